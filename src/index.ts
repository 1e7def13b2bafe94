export * from './token-projection';
export * from './projected-token-volume';
export * from './bound-token-pod';
export * from './authentication';
export * from './cluster-issuer-config';
export * from './bound-token-rules';
export * from './validation-plugin';
