import type {
  AuthorizationResult,
  AuthorizationStrategy,
} from '../ports/authorization-strategy.js';
import type { ConnectOptions, Handshake, Unsubscribe } from '../ports/types.js';
import { isVerifier } from './query-token.js';
import { NO_CREDENTIALS } from './token.js';
import type { TokenVerifier } from './verifier.js';

/** Checks the credentials of an `auth` frame; a denial is a value, never a throw. */
export type FirstFrameCheck<P> = (
  credentials: Readonly<Record<string, unknown>>,
  handshake: Handshake,
) => AuthorizationResult<P> | Promise<AuthorizationResult<P>>;

/** Options of {@link FirstFrameAuthorization}: give `credentials`, `verify`, or both. */
export interface FirstFrameOptions<P = unknown> {
  /**
   * Client side: returns the credentials to send in the first frame, a plain object (e.g.
   * `{ token }`), called on every connect and reconnect and for an in-band refresh.
   */
  credentials?: () => Record<string, unknown> | Promise<Record<string, unknown>>;
  /**
   * Server side: a {@link TokenVerifier}, which is given the frame's `token` (a non-empty
   * string; without one the client is refused with `NO_CREDENTIALS`), or a function given the
   * whole credentials object and the handshake.
   */
  verify?: TokenVerifier<P> | FirstFrameCheck<P>;
}

const OPTION_KEYS = new Set(['credentials', 'verify']);

const NOOP: Unsubscribe = () => {};

/**
 * Sends the credentials in the connection's first protocol frame (an `auth` frame, see
 * `docs/protocol.md`), never in the URL or a header: nothing for proxies to log, and it works
 * from a browser. The server waits for that frame (at most its `authTimeout`) before admitting
 * the connection, and authorises it with the frame's credentials as `handshake.auth`.
 *
 * It recognises every handshake, so in a `CompositeAuthorization` it is the catch-all: put it
 * last, after the strategies that look for credentials in the URL or headers.
 *
 * @example
 * // client
 * const auth = new FirstFrameAuthorization({ credentials: async () => ({ token: await login() }) });
 * // server, with a token verifier or a function of the whole credentials object
 * const auth = new FirstFrameAuthorization({ verify: new TokenRegistry({ users }) });
 */
export class FirstFrameAuthorization<P = unknown> implements AuthorizationStrategy<P> {
  /** Client side: the credentials go in the first frame. Always true. */
  readonly firstFrame = true;
  private readonly getCredentials:
    (() => Record<string, unknown> | Promise<Record<string, unknown>>) | undefined;
  private readonly verify: TokenVerifier<P> | FirstFrameCheck<P> | undefined;

  /** @throws TypeError on an unknown option, a wrong type, or neither `credentials` nor `verify`. */
  constructor(options: FirstFrameOptions<P>) {
    if (typeof options !== 'object' || options === null)
      throw new TypeError('FirstFrameAuthorization: options must be an object');
    for (const key of Object.keys(options))
      if (!OPTION_KEYS.has(key))
        throw new TypeError(`FirstFrameAuthorization: unknown option "${key}"`);
    const { credentials, verify } = options;
    if (credentials !== undefined && typeof credentials !== 'function')
      throw new TypeError('FirstFrameAuthorization: credentials must be a function');
    if (verify !== undefined && typeof verify !== 'function' && !isVerifier(verify))
      throw new TypeError(
        'FirstFrameAuthorization: verify must be a TokenVerifier or a function (credentials, handshake)',
      );
    if (credentials === undefined && verify === undefined)
      throw new TypeError(
        'FirstFrameAuthorization: give credentials (client side), verify (server side), or both',
      );
    this.getCredentials = credentials;
    this.verify = verify;
  }

  /** Client side: returns the options unchanged; the credentials never go in the URL or headers. */
  applyAuthorization(options: ConnectOptions): ConnectOptions {
    return options;
  }

  /**
   * Client side: the credentials for the first frame (and for a refresh).
   * @throws TypeError without a `credentials` option, or when it returns no plain object.
   */
  async credentials(): Promise<Record<string, unknown>> {
    if (this.getCredentials === undefined)
      throw new TypeError(
        'FirstFrameAuthorization: the client side needs a credentials option returning them',
      );
    const credentials = await this.getCredentials();
    if (!isPlainObject(credentials))
      throw new TypeError('FirstFrameAuthorization: credentials() must return a plain object');
    return credentials;
  }

  /** Server side: always true, the credentials arrive in a first `auth` frame. */
  expectsFirstFrame(): boolean {
    return true;
  }

  /** Server side: always true, since the credentials arrive after the handshake. */
  recognizes(): boolean {
    return true;
  }

  /**
   * Server side: checks the first frame's credentials, `handshake.auth`: its `token` with a
   * {@link TokenVerifier} (`NO_CREDENTIALS` without a non-empty string one), or the whole object
   * with a function.
   * @throws TypeError without a `verify` option.
   */
  authorize(handshake: Handshake): AuthorizationResult<P> | Promise<AuthorizationResult<P>> {
    const verify = this.verify;
    if (verify === undefined)
      throw new TypeError(
        'FirstFrameAuthorization: the server side needs a verify option to check credentials',
      );
    const auth = handshake.auth ?? {};
    if (typeof verify === 'function') return verify(auth, handshake);
    const token = Object.hasOwn(auth, 'token') ? auth.token : undefined;
    if (typeof token !== 'string' || token === '') return NO_CREDENTIALS;
    return verify.verify(token);
  }

  /** Server side: a {@link TokenVerifier}'s revocations; a no-op for a function or none. */
  onRevoke(listener: (principalId: string) => void): Unsubscribe {
    const verify = this.verify;
    if (verify === undefined || typeof verify === 'function') return NOOP;
    return verify.onRevoke?.(listener) ?? NOOP;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
