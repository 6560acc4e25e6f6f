// The built-in authentication strategies (see docs/security.md).
export { readBearerToken, type TokenLocation } from './token.js';
export type { TokenVerifier } from './verifier.js';
