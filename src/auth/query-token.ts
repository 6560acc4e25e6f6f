import type {
  AuthorizationResult,
  AuthorizationStrategy,
} from '../ports/authorization-strategy.js';
import type { ConnectOptions, Handshake, Unsubscribe } from '../ports/types.js';
import { NO_CREDENTIALS, readBearerToken } from './token.js';
import type { TokenVerifier } from './verifier.js';

/** Options of {@link QueryTokenAuthorization}: give `token`, `verifier`, or both. */
export interface QueryTokenOptions<P = unknown> {
  /** The query parameter that carries the token. @default 'token' */
  param?: string;
  /**
   * Client side: returns the token, called on every connect and reconnect (so it may fetch a
   * fresh one) and for an in-band refresh.
   */
  token?: () => string | Promise<string>;
  /** Server side: what turns the token into a verdict (a `TokenRegistry`, a `JwtAuthorization`…). */
  verifier?: TokenVerifier<P>;
}

const OPTION_KEYS = new Set(['param', 'token', 'verifier']);

const NOOP: Unsubscribe = () => {};

/**
 * Carries a bearer token in a query parameter, the one place a browser's `WebSocket` can put
 * one at connect time. Both faces in one class: the client adds the token to the URL, the server
 * reads it back and hands it to a {@link TokenVerifier}.
 *
 * Query strings end up in proxy and server access logs: prefer short-lived tokens here, or
 * `FirstFrameAuthorization`, which keeps the credential out of the URL.
 *
 * @example
 * // client
 * const auth = new QueryTokenAuthorization({ token: () => fetchToken() });
 * // server
 * const auth = new QueryTokenAuthorization({ verifier: new TokenRegistry({ users }) });
 */
export class QueryTokenAuthorization<P = unknown> implements AuthorizationStrategy<P> {
  /** The query parameter that carries the token. */
  readonly param: string;
  private readonly token: (() => string | Promise<string>) | undefined;
  private readonly verifier: TokenVerifier<P> | undefined;

  /** @throws TypeError on an unknown option, a wrong type, or neither `token` nor `verifier`. */
  constructor(options: QueryTokenOptions<P>) {
    if (typeof options !== 'object' || options === null)
      throw new TypeError('QueryTokenAuthorization: options must be an object');
    for (const key of Object.keys(options))
      if (!OPTION_KEYS.has(key))
        throw new TypeError(`QueryTokenAuthorization: unknown option "${key}"`);
    const { param = 'token', token, verifier } = options;
    if (typeof param !== 'string' || param === '')
      throw new TypeError('QueryTokenAuthorization: param must be a non-empty string');
    if (token !== undefined && typeof token !== 'function')
      throw new TypeError('QueryTokenAuthorization: token must be a function returning the token');
    if (verifier !== undefined && !isVerifier(verifier))
      throw new TypeError('QueryTokenAuthorization: verifier must have a verify(token) method');
    if (token === undefined && verifier === undefined)
      throw new TypeError(
        'QueryTokenAuthorization: give token (client side), verifier (server side), or both',
      );
    this.param = param;
    this.token = token;
    this.verifier = verifier;
  }

  /**
   * Client side: a copy of `options` with the token in the query parameter (the argument is not
   * touched).
   * @throws TypeError without a `token` option, or when it returns no non-empty string.
   */
  async applyAuthorization(options: ConnectOptions): Promise<ConnectOptions> {
    const token = await this.currentToken();
    return { ...options, query: { ...options.query, [this.param]: token } };
  }

  /**
   * Client side: `{ token }`, the credentials of an in-band refresh (`client.refreshAuthorization()`),
   * which the server reads as `handshake.auth.token`.
   * @throws TypeError as {@link applyAuthorization} does.
   */
  async credentials(): Promise<Record<string, unknown>> {
    return { token: await this.currentToken() };
  }

  /**
   * Server side: verifies the token in `handshake.auth.token` (where a refresh brings it), else
   * the `Authorization: Bearer` header, else the query parameter; `NO_CREDENTIALS` when there is
   * none.
   * @throws TypeError without a `verifier` option.
   */
  authorize(handshake: Handshake): AuthorizationResult<P> | Promise<AuthorizationResult<P>> {
    if (this.verifier === undefined)
      throw new TypeError(
        'QueryTokenAuthorization: the server side needs a verifier (e.g. a TokenRegistry) to check tokens',
      );
    const token = readBearerToken(handshake, { queryParam: this.param });
    return token === undefined ? NO_CREDENTIALS : this.verifier.verify(token);
  }

  /** Server side: whether the handshake carries a token where {@link authorize} looks. */
  recognizes(handshake: Handshake): boolean {
    return readBearerToken(handshake, { queryParam: this.param }) !== undefined;
  }

  /** Server side: the verifier's revocations; a no-op when it has none. */
  onRevoke(listener: (principalId: string) => void): Unsubscribe {
    return this.verifier?.onRevoke?.(listener) ?? NOOP;
  }

  private async currentToken(): Promise<string> {
    if (this.token === undefined)
      throw new TypeError(
        'QueryTokenAuthorization: the client side needs a token option returning the token',
      );
    const token = await this.token();
    if (typeof token !== 'string' || token === '')
      throw new TypeError('QueryTokenAuthorization: token() must return a non-empty string');
    return token;
  }
}

/** Whether `value` looks like a {@link TokenVerifier}. @internal */
export function isVerifier<P>(value: unknown): value is TokenVerifier<P> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { verify?: unknown }).verify === 'function'
  );
}
