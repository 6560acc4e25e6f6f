// The built-in authentication strategies (see docs/security.md).
export { CompositeAuthorization } from './composite.js';
export { constantTimeEqual, sha256, sha256Sync } from './digest.js';
export {
  FirstFrameAuthorization,
  type FirstFrameCheck,
  type FirstFrameOptions,
} from './first-frame.js';
export { QueryTokenAuthorization, type QueryTokenOptions } from './query-token.js';
export { readBearerToken, type TokenLocation } from './token.js';
export { TokenRegistry, type TokenRegistryOptions } from './token-registry.js';
export type { TokenVerifier } from './verifier.js';
