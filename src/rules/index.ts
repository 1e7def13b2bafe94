// Internal barrel of the pure rule modules (not part of the jsii API).
export * from './catalogue';
export * from './kubernetes';
export * from './finding';
export * from './check-pod';
export * from './check-issuer';
export * from './go-url';
export * from './manifest';
export * from './input';
export * from './check-preset';
export * from './explain';
export * from './trust';
