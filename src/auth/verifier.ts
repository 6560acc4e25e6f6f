import type { AuthorizationResult } from '../ports/authorization-strategy.js';
import type { Unsubscribe } from '../ports/types.js';

/**
 * Turns a bearer token into a verdict: what `TokenRegistry` and `JwtAuthorization` (`plugsocket/jwt`)
 * are, and what `QueryTokenAuthorization` and `FirstFrameAuthorization` take, so any verifier
 * travels by any carrier.
 */
export interface TokenVerifier<P = unknown> {
  /** Verifies `token`; a denial is a value, never a throw. */
  verify(token: string): AuthorizationResult<P> | Promise<AuthorizationResult<P>>;
  /** Revocation, passed on by the carrier strategies (see `AuthorizationStrategy.onRevoke`). */
  onRevoke?(listener: (principalId: string) => void): Unsubscribe;
}
