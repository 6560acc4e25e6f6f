import type { ConnectOptions, Handshake, Unsubscribe } from './types.js';

/** The server's verdict on a handshake: a principal, or a denial with a reason. */
export type AuthorizationResult<P = unknown> =
  | {
      readonly ok: true;
      readonly principal: P;
      /**
       * When the credentials stop being valid, in milliseconds since the epoch (a JWT's `exp`
       * times 1000). The server closes a connection whose credentials expired without a refresh
       * (`client.refreshAuthorization()`) with 4419 (`TOKEN_EXPIRED`). Absent: they do not expire.
       */
      readonly expiresAt?: number;
    }
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
 * Authentication and authorisation: two faces of one contract. Only the two methods are
 * required; the optional members let a strategy take credentials in-band (in an `auth` frame,
 * see `docs/protocol.md`), which is how a browser authenticates without putting a secret in a URL,
 * and how any client refreshes a credential without reconnecting.
 *
 * - Client side, {@link applyAuthorization} adds credentials to the connect options. It is called
 *   anew on every connect and reconnect and may be async, so a token can be refreshed.
 * - Server side, {@link authorize} turns a handshake into a principal or a denial. A denial is an
 *   expected outcome, returned as a value, never thrown; a throw is treated as a server error.
 *   Credentials that arrive in an `auth` frame reach it as the handshake's `auth` value.
 *
 * @typeParam P the principal type the server attaches to each client.
 */
export interface AuthorizationStrategy<P = unknown> {
  /** Client side: returns the connect options with credentials added (do not mutate the argument). */
  applyAuthorization(options: ConnectOptions): ConnectOptions | Promise<ConnectOptions>;
  /**
   * Server side: decides whether the handshake may connect, and who it is. Called again, with
   * the fresh credentials as `handshake.auth`, when a connected client refreshes them.
   */
  authorize(handshake: Handshake): AuthorizationResult<P> | Promise<AuthorizationResult<P>>;
  /**
   * Client side: the credentials to send in-band, in an `auth` frame — as the first frame when
   * {@link firstFrame} is true, and on `client.refreshAuthorization()` when it is given none.
   */
  credentials?(): Record<string, unknown> | Promise<Record<string, unknown>>;
  /**
   * Client side: send {@link credentials} as the connection's first frame, before the server
   * admits it (the server's strategy must expect it, see {@link expectsFirstFrame}).
   */
  readonly firstFrame?: boolean;
  /**
   * Server side: whether this handshake's credentials arrive in a first `auth` frame. The server
   * then waits for that frame (at most `authTimeout`) and calls {@link authorize} with its
   * credentials as `handshake.auth`. @default false
   */
  expectsFirstFrame?(handshake: Handshake): boolean;
  /**
   * Server side: whether the handshake carries credentials this strategy reads, for
   * `CompositeAuthorization`, which lets the first strategy that recognises them decide.
   * @default true
   */
  recognizes?(handshake: Handshake): boolean;
  /**
   * Server side: the server registers a listener when it is created; the strategy calls it with
   * a principal id (see the server's `principalId`) whose credentials it revoked, and the server
   * closes that principal's connections at once (4401). Returns what removes the listener.
   */
  onRevoke?(listener: (principalId: string) => void): Unsubscribe;
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
