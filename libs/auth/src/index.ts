export * from './access-token';
export * from './access-token.verifier';
export * from './api-key';
export * from './embedded-signing-key';
export * from './verified-token.cache';
