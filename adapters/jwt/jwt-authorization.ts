import {
  createLocalJWKSet,
  createRemoteJWKSet,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';
import { readBearerToken } from '../../src/auth/token.js';
import type { TokenVerifier } from '../../src/auth/verifier.js';
import type {
  AuthorizationResult,
  AuthorizationStrategy,
} from '../../src/ports/authorization-strategy.js';
import type { ConnectOptions, Handshake } from '../../src/ports/types.js';
import { ALGORITHMS, checkKeyFitsAlgorithms, resolveKey, type ResolvedKey } from './jwt-keys.js';
import {
  validateOptions,
  type JwtAuthorizationOptions,
  type JwtPrincipal,
  type JwtSettings,
} from './jwt-options.js';

/** Why `JwtAuthorization` refused a handshake: the close reason the client sees with 4401. */
export type JwtRefusalReason =
  'no credentials' | 'invalid token' | 'token expired' | 'key set unavailable';

/** A refusal of `JwtAuthorization`. */
export interface JwtRefusal {
  readonly ok: false;
  readonly code: 'AUTHENTICATION_FAILED';
  readonly reason: JwtRefusalReason;
}

function refusal(reason: JwtRefusalReason): JwtRefusal {
  return Object.freeze({ ok: false, code: 'AUTHENTICATION_FAILED', reason });
}

/** The refusals `JwtAuthorization` returns, one per reason (frozen, compare by `reason`). */
export const JWT_REFUSALS: Readonly<Record<JwtRefusalReason, JwtRefusal>> = Object.freeze({
  'no credentials': refusal('no credentials'),
  'invalid token': refusal('invalid token'),
  'token expired': refusal('token expired'),
  'key set unavailable': refusal('key set unavailable'),
});

/**
 * Longest token verified, in characters. A JWT is a few hundred characters to a few KiB; the bound
 * keeps a peer from making the server base64-decode and parse megabytes per handshake.
 */
export const MAX_TOKEN_LENGTH = 16 * 1024;

// jose errors that say the token (its alg, its kid) found no key: the token's fault. Any other
// failure of a URL key set's key lookup is the key set's (unreachable, not 200, not a key set).
const TOKEN_KEY_ERRORS = new Set([
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JOSE_ALG_NOT_ALLOWED',
]);

/** A failure to get the key set, told apart from the token's failures. */
class KeySetUnavailable extends Error {
  constructor(cause: unknown) {
    super('key set unavailable', { cause });
    this.name = 'KeySetUnavailable';
  }
}

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null
    ? (error as { code?: unknown }).code
    : undefined;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The default principal: the claims, deeply frozen, with `id` = `sub`. */
function defaultPrincipal(claims: JWTPayload): JwtPrincipal {
  return deepFreeze({ ...claims, id: claims.sub });
}

/**
 * JSON Web Token authentication (RFC 7519), verified with `jose`: the `plugsocket/jwt` entry.
 *
 * Server side it is an `AuthorizationStrategy`: {@link authorize} reads the bearer token from the
 * handshake (`auth.token`, then `Authorization: Bearer …`, then the `token` query parameter, see
 * `readBearerToken`), verifies its signature with a pinned algorithm list and a key or key set,
 * checks its claims, and admits the client with a principal built from the claims; when the token
 * has `exp`, the server closes the connection with 4419 once it passes unless the client refreshes
 * it. It is also a `TokenVerifier`, so the carrier strategies can take it. Client side it adds
 * nothing: a client sends its token with `auth: { token }` or a carrier strategy.
 *
 * A bad token is never a throw: every refusal is `{ ok: false, code: 'AUTHENTICATION_FAILED',
 * reason }`, with one of the reasons of {@link JwtRefusalReason}, which never say which check
 * failed nor echo the token.
 *
 * @example
 * const server = new SocketServer(adapter, {
 *   authorization: new JwtAuthorization({
 *     algorithms: ['RS256'],
 *     jwks: 'https://issuer.example/.well-known/jwks.json',
 *     issuer: 'https://issuer.example/',
 *     audience: 'chat',
 *   }),
 * });
 *
 * @typeParam P the principal type; {@link JwtPrincipal} unless the `principal` option builds
 * another.
 */
export class JwtAuthorization<P = JwtPrincipal>
  implements AuthorizationStrategy<P>, TokenVerifier<P>
{
  readonly #settings: JwtSettings<P>;
  readonly #key: ResolvedKey['key'] | JWTVerifyGetKey;
  readonly #verifyOptions: JWTVerifyOptions;
  readonly #remote: boolean;

  /**
   * @param options what to accept; see {@link JwtAuthorizationOptions}.
   * @throws TypeError or RangeError when an option is missing, unknown or invalid, when
   * `algorithms` is not listed, or when the key cannot serve every listed algorithm.
   */
  constructor(options: JwtAuthorizationOptions<P>) {
    const settings = validateOptions<P>(options);
    this.#settings = settings;
    if (settings.key !== undefined) {
      const key = resolveKey(settings.key);
      checkKeyFitsAlgorithms(key, settings.algorithms);
      this.#key = key.key;
      this.#remote = false;
    } else {
      const hmac = settings.algorithms.find((alg) => ALGORITHMS[alg].family === 'HMAC');
      if (hmac !== undefined) {
        throw new TypeError(`algorithms: ${hmac} cannot be used with a key set (jwks); give key`);
      }
      const jwks = settings.jwks!;
      if (jwks instanceof URL) {
        this.#key = this.#guardRemote(createRemoteJWKSet(jwks, settings.remote));
        this.#remote = true;
      } else {
        for (const member of jwks.keys as unknown[]) {
          const m = member as { d?: unknown; kty?: unknown } | null;
          if (typeof m !== 'object' || m === null || m.d !== undefined || m.kty === 'oct') {
            throw new TypeError('jwks: every member must be a public key (no "d", no oct keys)');
          }
        }
        try {
          this.#key = createLocalJWKSet(jwks);
        } catch (error) {
          throw new TypeError('jwks is not a valid JSON Web Key Set', { cause: error });
        }
        this.#remote = false;
      }
    }
    this.#verifyOptions = Object.freeze({
      algorithms: settings.algorithms,
      issuer: settings.issuer,
      audience: settings.audience,
      clockTolerance: settings.clockTolerance,
      maxTokenAge: settings.maxTokenAge,
      requiredClaims: settings.requiredClaims,
    });
  }

  /** Whether the key set is fetched from a URL (and a fetch failure can refuse a token). */
  get usesRemoteKeySet(): boolean {
    return this.#remote;
  }

  /** Client side: returns the options unchanged (clients send the token themselves). */
  applyAuthorization(options: ConnectOptions): ConnectOptions {
    return options;
  }

  /**
   * Server side: reads the handshake's bearer token and verifies it (see {@link verify}); a
   * handshake without one is refused with 'no credentials'. Never throws for a bad token.
   */
  authorize(handshake: Handshake): Promise<AuthorizationResult<P>> {
    const token = readBearerToken(handshake, { queryParam: this.#settings.queryParam });
    if (token === undefined) return Promise.resolve(JWT_REFUSALS['no credentials']);
    return this.verify(token);
  }

  /** Server side: whether the handshake carries a bearer token (for `CompositeAuthorization`). */
  recognizes(handshake: Handshake): boolean {
    return readBearerToken(handshake, { queryParam: this.#settings.queryParam }) !== undefined;
  }

  /**
   * Verifies a token: signature (with one of `algorithms`), then `exp`, `nbf`, `iss`, `aud`,
   * `maxTokenAge` and `requiredClaims`. Resolves `{ ok: true, principal, expiresAt }` (`expiresAt`
   * = `exp` × 1000, absent without `exp`), or a refusal: 'token expired' (past `exp`, or older
   * than `maxTokenAge`), 'key set unavailable' (a URL key set could not be fetched; `onError` is
   * told why), 'no credentials' (an empty token), else 'invalid token'. Rejects only when the
   * `principal` option throws.
   */
  async verify(token: string): Promise<AuthorizationResult<P>> {
    if (typeof token !== 'string' || token === '') return JWT_REFUSALS['no credentials'];
    if (token.length > MAX_TOKEN_LENGTH) return JWT_REFUSALS['invalid token'];
    let claims: JWTPayload;
    try {
      // The key getter and the key value overloads differ only in the key's type.
      ({ payload: claims } = await jwtVerify(
        token,
        this.#key as Parameters<typeof jwtVerify>[1] & JWTVerifyGetKey,
        this.#verifyOptions,
      ));
    } catch (error) {
      return this.#refuse(error);
    }
    const build = this.#settings.principal;
    const principal = build === undefined ? (defaultPrincipal(claims) as P) : await build(claims);
    return typeof claims.exp === 'number'
      ? { ok: true, principal, expiresAt: claims.exp * 1000 }
      : { ok: true, principal };
  }

  #refuse(error: unknown): JwtRefusal {
    if (error instanceof KeySetUnavailable) {
      this.#report(error.cause);
      return JWT_REFUSALS['key set unavailable'];
    }
    const code = codeOf(error);
    if (code === 'ERR_JWT_EXPIRED') return JWT_REFUSALS['token expired'];
    // Every jose error is the token's fault; anything else (a TypeError from a key jose would
    // not take, a bug) is worth telling the operator about, and still refuses.
    if (typeof code !== 'string' || !code.startsWith('ERR_J')) this.#report(error);
    return JWT_REFUSALS['invalid token'];
  }

  #report(error: unknown): void {
    try {
      this.#settings.onError?.(error);
    } catch {
      // an observer's failure must not change the verdict
    }
  }

  /** Marks the key set's own failures, so they refuse with 'key set unavailable'. */
  #guardRemote(remote: JWTVerifyGetKey): JWTVerifyGetKey {
    return async (header, token) => {
      try {
        return await remote(header, token);
      } catch (error) {
        const code = codeOf(error);
        if (typeof code === 'string' && TOKEN_KEY_ERRORS.has(code)) throw error;
        throw new KeySetUnavailable(error);
      }
    };
  }
}
