import type {
  AuthorizationResult,
  AuthorizationStrategy,
} from '../ports/authorization-strategy.js';
import type { ConnectOptions, Handshake, Unsubscribe } from '../ports/types.js';
import { constantTimeEqual, sha256Sync } from './digest.js';
import { INVALID_CREDENTIALS, NO_CREDENTIALS, readBearerToken } from './token.js';
import type { TokenVerifier } from './verifier.js';

/** Options of {@link TokenRegistry}. */
export interface TokenRegistryOptions {
  /**
   * The users to start with, as `{ name: token }` or `[name, token]` pairs (a `Map` works). The
   * same rules as {@link TokenRegistry.setUser} apply. @default none
   */
  users?: Readonly<Record<string, string>> | Iterable<readonly [string, string]>;
  /**
   * The query parameter {@link TokenRegistry.authorize} reads the token from, after
   * `handshake.auth.token` and the `Authorization: Bearer` header; `false` never reads the URL.
   * @default 'token'
   */
  queryParam?: string | false;
}

interface Entry {
  readonly digest: Uint8Array;
  readonly key: string;
}

const OPTION_KEYS = new Set(['users', 'queryParam']);

/**
 * Named users, each with a bearer token: the hub's simplest login. The principal is the user's
 * name, which is also its principal id, so `server.requestUser(name, …)` reaches it and revoking
 * the user closes its connections.
 *
 * Tokens are never stored: only their SHA-256 digests, looked up by digest and confirmed with a
 * constant-time comparison, so neither a heap dump nor the timing of a wrong guess gives a token
 * away. Choose tokens with enough entropy (say 128 random bits): a digest does not slow down
 * guessing the way a password hash does.
 *
 * It is a strategy by itself (the token read by `readBearerToken`: `handshake.auth.token`, the
 * `Authorization: Bearer` header, then the `token` query parameter) and a {@link TokenVerifier}
 * for the carrier strategies (`QueryTokenAuthorization`, `FirstFrameAuthorization`).
 *
 * Revocation: {@link removeUser} and {@link setUser} with a different token call every
 * {@link onRevoke} listener with the user's name; the server closes that user's live
 * connections at once (4401).
 *
 * @example
 * const users = new TokenRegistry({ users: { alice: process.env.ALICE_TOKEN! } });
 * const server = new SocketServer(transport, { authorization: users });
 * users.setUser('bob', freshToken);
 * users.removeUser('alice'); // alice's connections close now
 */
export class TokenRegistry implements AuthorizationStrategy<string>, TokenVerifier<string> {
  private readonly users = new Map<string, Entry>();
  /** Hex digest → user name. */
  private readonly byDigest = new Map<string, string>();
  private readonly listeners = new Set<(principalId: string) => void>();
  private readonly queryParam: string | false;

  constructor(options: TokenRegistryOptions = {}) {
    if (typeof options !== 'object' || options === null)
      throw new TypeError('TokenRegistry: options must be an object');
    for (const key of Object.keys(options))
      if (!OPTION_KEYS.has(key)) throw new TypeError(`TokenRegistry: unknown option "${key}"`);
    const { users, queryParam = 'token' } = options;
    if (queryParam !== false && (typeof queryParam !== 'string' || queryParam === ''))
      throw new TypeError('TokenRegistry: queryParam must be a non-empty string or false');
    this.queryParam = queryParam;
    if (users !== undefined)
      for (const [name, token] of entriesOf(users)) this.setUser(name, token);
  }

  /** How many users there are. */
  get size(): number {
    return this.users.size;
  }

  /**
   * Adds a user, or gives an existing one a new token. Only the token's SHA-256 digest is kept.
   *
   * Replacing a user's token with a different one revokes the old one: the {@link onRevoke}
   * listeners are called with `name`, so the server closes the connections made with it (and any
   * already made with the new token, which reconnect). The same token again changes nothing.
   *
   * @throws TypeError when `name` or `token` is not a non-empty string.
   * @throws Error when another user has the same token: a token must name exactly one user.
   */
  setUser(name: string, token: string): void {
    if (typeof name !== 'string' || name === '')
      throw new TypeError('TokenRegistry.setUser: name must be a non-empty string');
    if (typeof token !== 'string' || token === '')
      throw new TypeError('TokenRegistry.setUser: token must be a non-empty string');
    const digest = sha256Sync(token);
    const key = toHex(digest);
    const holder = this.byDigest.get(key);
    if (holder === name) return;
    if (holder !== undefined)
      throw new Error(
        `TokenRegistry.setUser: another user already has the token given for "${name}"; ` +
          'each token must belong to exactly one user',
      );
    const previous = this.users.get(name);
    if (previous !== undefined) this.byDigest.delete(previous.key);
    this.users.set(name, { digest, key });
    this.byDigest.set(key, name);
    if (previous !== undefined) this.revoke(name);
  }

  /**
   * Removes a user and revokes its token: the {@link onRevoke} listeners are called with `name`,
   * so the server closes its connections at once. Returns whether the user existed.
   */
  removeUser(name: string): boolean {
    const entry = this.users.get(name);
    if (entry === undefined) return false;
    this.users.delete(name);
    this.byDigest.delete(entry.key);
    this.revoke(name);
    return true;
  }

  /** Whether there is a user named `name`. */
  hasUser(name: string): boolean {
    return this.users.has(name);
  }

  /**
   * The user `token` belongs to, as `{ ok: true, principal: name }`, or `INVALID_CREDENTIALS`
   * (the same denial whatever was wrong with it).
   */
  verify(token: string): AuthorizationResult<string> {
    if (typeof token !== 'string' || token === '') return INVALID_CREDENTIALS;
    const digest = sha256Sync(token);
    const name = this.byDigest.get(toHex(digest));
    // The map lookup is not constant-time, but it only sees digests; the comparison that decides
    // is, so a bug in the index can never admit a token that does not match.
    const entry = name === undefined ? undefined : this.users.get(name);
    if (name === undefined || entry === undefined || !constantTimeEqual(entry.digest, digest))
      return INVALID_CREDENTIALS;
    return { ok: true, principal: name };
  }

  /** Server side: verifies the handshake's bearer token; `NO_CREDENTIALS` when it has none. */
  authorize(handshake: Handshake): AuthorizationResult<string> {
    const token = readBearerToken(handshake, { queryParam: this.queryParam });
    return token === undefined ? NO_CREDENTIALS : this.verify(token);
  }

  /** Server side: whether the handshake carries a bearer token (for `CompositeAuthorization`). */
  recognizes(handshake: Handshake): boolean {
    return readBearerToken(handshake, { queryParam: this.queryParam }) !== undefined;
  }

  /**
   * Client side: returns the options unchanged. A client sends its token with a carrier
   * (`QueryTokenAuthorization`, `FirstFrameAuthorization`) or in `ConnectOptions.auth`.
   */
  applyAuthorization(options: ConnectOptions): ConnectOptions {
    return options;
  }

  /**
   * Registers a listener called with a user's name when its token is revoked ({@link removeUser},
   * or {@link setUser} with a different token). Returns what removes it.
   */
  onRevoke(listener: (principalId: string) => void): Unsubscribe {
    if (typeof listener !== 'function')
      throw new TypeError('TokenRegistry.onRevoke: listener must be a function');
    // A wrapper per registration, so registering the same function twice needs two unsubscribes.
    const entry = (principalId: string): void => listener(principalId);
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  /** Calls every listener, even when one throws; the first error is rethrown after the last. */
  private revoke(name: string): void {
    let failure: { error: unknown } | undefined;
    for (const listener of [...this.listeners]) {
      try {
        listener(name);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure !== undefined) throw failure.error;
  }
}

function entriesOf(
  users: Readonly<Record<string, string>> | Iterable<readonly [string, string]>,
): Iterable<readonly [string, string]> {
  if (typeof users !== 'object' || users === null)
    throw new TypeError('TokenRegistry: users must be a record or an iterable of [name, token]');
  if (Symbol.iterator in users) {
    const pairs: (readonly [string, string])[] = [];
    for (const pair of users as Iterable<unknown>) {
      if (!Array.isArray(pair) || pair.length !== 2)
        throw new TypeError('TokenRegistry: each user must be a [name, token] pair');
      pairs.push(pair as [string, string]);
    }
    return pairs;
  }
  return Object.entries(users);
}

function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
