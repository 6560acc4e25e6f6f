import type { JSONWebKeySet, JWTPayload } from 'jose';
import { ALGORITHMS, type JwtAlgorithm, type JwtKey } from './jwt-keys.js';

/**
 * The principal `JwtAuthorization` builds when no `principal` option is given: the verified
 * claims, deeply frozen, with `id` set to the `sub` claim (a claim named `id` is overwritten, so
 * the server's default `principalId`, which reads `id`, always names the token's subject). `id`
 * is undefined when the token has no `sub`.
 */
export type JwtPrincipal = Readonly<JWTPayload & { readonly id: string | undefined }>;

/** Options of `JwtAuthorization`. Exactly one of `key` and `jwks` is required, and `algorithms`. */
export interface JwtAuthorizationOptions<P = JwtPrincipal> {
  /**
   * The signature algorithms accepted, listed explicitly (there is no default, so an attacker can
   * never choose one): any of `HS256`, `HS384`, `HS512`, `RS256`, `ES256`, `EdDSA`, all of one
   * key family. `none` is always refused.
   * @example ['RS256']
   */
  algorithms: readonly JwtAlgorithm[];
  /**
   * The verification key, for tokens signed with one key: an HMAC secret (a string, taken as
   * its UTF-8 bytes, or a `Uint8Array`; at least 32, 48 or 64 bytes for HS256, HS384, HS512), or
   * a public key as a `KeyObject`, `CryptoKey` or JWK. A PEM string is refused: import it first.
   */
  key?: JwtKey;
  /**
   * The verification keys as a JSON Web Key Set: a value (`{ keys: [...] }`), or the URL of one
   * (`https:`; `http:` only on a loopback host), fetched on the first verification and cached.
   * The token's `kid` and `alg` select the key. HMAC algorithms cannot be used with a key set.
   */
  jwks?: JSONWebKeySet | URL | string;
  /**
   * URL key sets only: milliseconds after a fetch during which a token with an unknown `kid`
   * does not cause another fetch (so forged `kid`s cannot make the server hammer the issuer).
   * @default 30000
   */
  jwksCooldown?: number;
  /**
   * URL key sets only: milliseconds a fetched key set is used before it is fetched again.
   * `Infinity`: refetched only for an unknown `kid`.
   * @default 600000
   */
  jwksCacheMaxAge?: number;
  /** URL key sets only: milliseconds a key set fetch may take. @default 5000 */
  jwksTimeout?: number;
  /** URL key sets only: extra headers sent with the key set request. @default none */
  jwksHeaders?: Readonly<Record<string, string>>;
  /** The accepted `iss` claim (or any of several). The token must carry it. @default not checked */
  issuer?: string | readonly string[];
  /**
   * The accepted `aud` claim values; the token's `aud` must contain one. @default not checked
   */
  audience?: string | readonly string[];
  /**
   * Seconds of clock skew allowed when checking `exp`, `nbf` and `maxTokenAge`, from 0 to 300.
   * @default 5
   */
  clockTolerance?: number;
  /**
   * Largest age of a token in seconds, counted from its `iat` claim (then required). An older
   * token is refused as expired. @default not checked
   */
  maxTokenAge?: number;
  /** Claims the token must carry (e.g. `['exp', 'sub']`). @default none */
  requiredClaims?: readonly string[];
  /**
   * Builds the principal from the verified claims; may be async. A throw is a server error
   * (`authorize` rejects and the server closes the connection with 1011), not a refusal.
   * @default claims => the claims, deeply frozen, with `id` = `sub` (see {@link JwtPrincipal})
   */
  principal?: (claims: JWTPayload) => P | Promise<P>;
  /**
   * The query parameter `authorize` reads the token from, after `auth.token` and the
   * `Authorization: Bearer` header; `false` never reads the URL (query strings end up in logs).
   * @default 'token'
   */
  queryParam?: string | false;
  /**
   * Told about failures that are not the token's fault: a key set that could not be fetched (the
   * handshake is refused with 'key set unavailable') and unexpected errors while verifying. What
   * it throws is ignored. @default none
   */
  onError?: (error: unknown) => void;
}

/** @internal The options after validation. */
export interface JwtSettings<P> {
  algorithms: JwtAlgorithm[];
  key?: JwtKey;
  jwks?: JSONWebKeySet | URL;
  remote: {
    cooldownDuration?: number;
    cacheMaxAge?: number;
    timeoutDuration?: number;
    headers?: Record<string, string>;
  };
  issuer?: string | string[];
  audience?: string | string[];
  clockTolerance: number;
  maxTokenAge?: number;
  requiredClaims?: string[];
  principal?: (claims: JWTPayload) => P | Promise<P>;
  queryParam: string | false;
  onError?: (error: unknown) => void;
}

/** The default of `clockTolerance`, in seconds. */
export const DEFAULT_CLOCK_TOLERANCE = 5;
/** The largest `clockTolerance` accepted, in seconds. */
export const MAX_CLOCK_TOLERANCE = 300;

const KNOWN = new Set([
  'algorithms',
  'key',
  'jwks',
  'jwksCooldown',
  'jwksCacheMaxAge',
  'jwksTimeout',
  'jwksHeaders',
  'issuer',
  'audience',
  'clockTolerance',
  'maxTokenAge',
  'requiredClaims',
  'principal',
  'queryParam',
  'onError',
]);

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function stringOrList(name: string, value: unknown): string | string[] | undefined {
  if (value === undefined) return undefined;
  if (isNonEmptyString(value)) return value;
  if (Array.isArray(value) && value.length > 0 && value.every(isNonEmptyString)) return [...value];
  throw new TypeError(`${name} must be a non-empty string or a non-empty array of them`);
}

function duration(name: string, value: unknown, allowInfinity = false): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value))
    throw new TypeError(`${name} must be a number`);
  if (value === Infinity && allowInfinity) return value;
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer number of milliseconds`);
  }
  return value;
}

function jwksValue(value: unknown): JSONWebKeySet | URL {
  let url: URL | undefined;
  if (value instanceof URL) url = new URL(value.href);
  else if (typeof value === 'string') {
    try {
      url = new URL(value);
    } catch {
      throw new TypeError('jwks must be a key set ({ keys: [...] }) or an absolute URL');
    }
  }
  if (url === undefined) {
    const keys = (value as { keys?: unknown } | null)?.keys;
    if (typeof value !== 'object' || value === null || !Array.isArray(keys) || keys.length === 0) {
      throw new TypeError('jwks must be a key set ({ keys: [...] }, at least one key) or a URL');
    }
    return value as JSONWebKeySet;
  }
  // A key set fetched in clear text lets anyone on the path choose the keys the server trusts.
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname)))) {
    throw new TypeError('jwks URL must be https: (http: only on a loopback host)');
  }
  return url;
}

/** @internal Validates the options; throws TypeError or RangeError on a bad one. */
export function validateOptions<P>(options: unknown): JwtSettings<P> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError('JwtAuthorization options must be an object');
  }
  for (const name of Object.keys(options)) {
    if (!KNOWN.has(name)) throw new TypeError(`JwtAuthorization: unknown option "${name}"`);
  }
  const o = options as JwtAuthorizationOptions<P>;

  const algorithms: unknown = o.algorithms;
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new TypeError(
      'algorithms must list the accepted algorithms explicitly, e.g. { algorithms: ["RS256"] }',
    );
  }
  for (const alg of algorithms) {
    if (typeof alg === 'string' && alg.toLowerCase() === 'none') {
      throw new TypeError('algorithms: "none" (an unsigned token) is never accepted');
    }
    if (typeof alg !== 'string' || !Object.hasOwn(ALGORITHMS, alg)) {
      throw new TypeError(
        `algorithms: ${JSON.stringify(alg)} is not one of ${Object.keys(ALGORITHMS).join(', ')}`,
      );
    }
  }

  if ((o.key === undefined) === (o.jwks === undefined)) {
    throw new TypeError('JwtAuthorization needs exactly one of key and jwks');
  }
  const jwks = o.jwks === undefined ? undefined : jwksValue(o.jwks);
  const remote: JwtSettings<P>['remote'] = {
    cooldownDuration: duration('jwksCooldown', o.jwksCooldown),
    cacheMaxAge: duration('jwksCacheMaxAge', o.jwksCacheMaxAge, true),
    timeoutDuration: duration('jwksTimeout', o.jwksTimeout),
  };
  if (o.jwksHeaders !== undefined) {
    const headers: unknown = o.jwksHeaders;
    if (
      typeof headers !== 'object' ||
      headers === null ||
      !Object.values(headers).every((v) => typeof v === 'string')
    ) {
      throw new TypeError('jwksHeaders must be an object of string values');
    }
    remote.headers = { ...(headers as Record<string, string>) };
  }
  const remoteGiven =
    o.jwksCooldown !== undefined ||
    o.jwksCacheMaxAge !== undefined ||
    o.jwksTimeout !== undefined ||
    o.jwksHeaders !== undefined;
  if (remoteGiven && !(jwks instanceof URL)) {
    throw new TypeError(
      'jwksCooldown, jwksCacheMaxAge, jwksTimeout and jwksHeaders need a jwks URL',
    );
  }

  const clockTolerance = o.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE;
  if (typeof clockTolerance !== 'number' || Number.isNaN(clockTolerance)) {
    throw new TypeError('clockTolerance must be a number of seconds');
  }
  if (
    !Number.isFinite(clockTolerance) ||
    clockTolerance < 0 ||
    clockTolerance > MAX_CLOCK_TOLERANCE
  ) {
    throw new RangeError(`clockTolerance must be from 0 to ${MAX_CLOCK_TOLERANCE} seconds`);
  }

  let maxTokenAge: number | undefined;
  if (o.maxTokenAge !== undefined) {
    maxTokenAge = o.maxTokenAge;
    if (typeof maxTokenAge !== 'number' || Number.isNaN(maxTokenAge)) {
      throw new TypeError('maxTokenAge must be a number of seconds');
    }
    if (!Number.isFinite(maxTokenAge) || maxTokenAge <= 0) {
      throw new RangeError('maxTokenAge must be a positive finite number of seconds');
    }
  }

  let requiredClaims: string[] | undefined;
  if (o.requiredClaims !== undefined) {
    const claims: unknown = o.requiredClaims;
    if (!Array.isArray(claims) || !claims.every(isNonEmptyString)) {
      throw new TypeError('requiredClaims must be an array of claim names');
    }
    requiredClaims = [...claims];
  }

  if (o.principal !== undefined && typeof o.principal !== 'function') {
    throw new TypeError('principal must be a function');
  }
  if (o.onError !== undefined && typeof o.onError !== 'function') {
    throw new TypeError('onError must be a function');
  }
  const queryParam = o.queryParam ?? 'token';
  if (queryParam !== false && !isNonEmptyString(queryParam)) {
    throw new TypeError('queryParam must be a non-empty string or false');
  }

  return {
    algorithms: [...(algorithms as JwtAlgorithm[])],
    key: o.key,
    jwks,
    remote,
    issuer: stringOrList('issuer', o.issuer),
    audience: stringOrList('audience', o.audience),
    clockTolerance,
    maxTokenAge,
    requiredClaims,
    principal: o.principal,
    queryParam,
    onError: o.onError,
  };
}
