// Internal barrel of the pure rule modules (not part of the jsii API).
export * from './catalogue';
export * from './kubernetes';
export * from './finding';
export * from './check-pod';
export * from './check-sources';
export * from './check-issuer';
export * from './issuer-rotation';
export * from './go-url';
export * from './manifest';
export * from './input';
export * from './check-preset';
export * from './explain';
export * from './trust';
export * from './token-limits';
export * from './check-controller';
export * from './check-image-pull';
export * from './check-presets-in-step';
