import type { ConnectOptions, Handshake } from './types.js';

/** The server's verdict on a handshake: a principal, or a denial with a reason. */
export type AuthorizationResult<P = unknown> =
  | { readonly ok: true; readonly principal: P }
  | {
      readonly ok: false;
      /**
       * `AUTHENTICATION_FAILED` (close code 4401) when the credentials are missing or wrong,
       * `UNAUTHORIZED` (close code 4403) when they are valid but do not allow a connection.
       * @default 'AUTHENTICATION_FAILED'
       */
      readonly code?: 'AUTHENTICATION_FAILED' | 'UNAUTHORIZED';
      /** Sent to the client as the close reason (at most 123 bytes of UTF-8). */
      readonly reason: string;
    };

/**
 * Authentication and authorisation: two faces of one contract.
 *
 * - Client side, {@link applyAuthorization} adds credentials to the connect options. It is called
 *   anew on every connect and reconnect and may be async, so a token can be refreshed.
 * - Server side, {@link authorize} turns a handshake into a principal or a denial. A denial is an
 *   expected outcome, returned as a value, never thrown; a throw is treated as a server error.
 *
 * @typeParam P the principal type the server attaches to each client.
 */
export interface AuthorizationStrategy<P = unknown> {
  /** Returns the connect options with credentials added (do not mutate the argument). */
  applyAuthorization(options: ConnectOptions): ConnectOptions | Promise<ConnectOptions>;
  /** Decides whether the handshake may connect, and who it is. */
  authorize(handshake: Handshake): AuthorizationResult<P> | Promise<AuthorizationResult<P>>;
}

/**
 * The default strategy: adds no credentials and lets everyone in with an `undefined` principal.
 */
export class AllowAllAuthorization implements AuthorizationStrategy<undefined> {
  /** Returns the options unchanged. */
  applyAuthorization(options: ConnectOptions): ConnectOptions {
    return options;
  }

  /** Admits every handshake, with an `undefined` principal. */
  authorize(): AuthorizationResult<undefined> {
    return ALLOWED;
  }
}

const ALLOWED: AuthorizationResult<undefined> = Object.freeze({ ok: true, principal: undefined });
