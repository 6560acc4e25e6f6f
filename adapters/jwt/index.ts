// The `plugsocket/jwt` entry point: JSON Web Token authentication, verified with `jose` (an
// optional peer dependency, loaded only by this entry).
export {
  JwtAuthorization,
  JWT_REFUSALS,
  MAX_TOKEN_LENGTH,
  type JwtRefusal,
  type JwtRefusalReason,
} from './jwt-authorization.js';
export {
  DEFAULT_CLOCK_TOLERANCE,
  MAX_CLOCK_TOLERANCE,
  type JwtAuthorizationOptions,
  type JwtPrincipal,
} from './jwt-options.js';
export type { JwtAlgorithm, JwtKey, KeyFamily } from './jwt-keys.js';
