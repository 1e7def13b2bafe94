export * from './token-projection';
export * from './projected-token-volume';
export * from './bound-token-pod';
export * from './authentication';
export * from './gitops';
export * from './issuer-rotation-restart';
export * from './cluster-issuer-config';
export * from './bound-token-rules';
