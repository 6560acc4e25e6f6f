import type { Handshake } from '../ports/types.js';

/** Where a bearer token is read from, in order, by the built-in token strategies. */
export interface TokenLocation {
  /**
   * The query parameter that may carry the token (browsers cannot set headers on a WebSocket).
   * `false` never reads the URL, for deployments whose proxies log query strings.
   * @default 'token'
   */
  queryParam?: string | false;
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/**
 * The bearer token of a handshake, read from, in order: `handshake.auth.token` (the handshake's
 * credentials object, and the `auth` frame of first-frame authentication and of a refresh), the
 * `Authorization: Bearer …` header, then the query parameter (`token` unless configured). The
 * first place that has one decides, so a refresh's token wins over the one in the URL. Returns
 * undefined when none holds a non-empty string.
 */
export function readBearerToken(
  handshake: Handshake,
  location: TokenLocation = {},
): string | undefined {
  const auth = handshake.auth;
  if (typeof auth === 'object' && auth !== null && Object.hasOwn(auth, 'token')) {
    const token = auth.token;
    if (typeof token === 'string' && token !== '') return token;
  }
  const header = handshake.headers?.authorization;
  if (typeof header === 'string') {
    const match = BEARER.exec(header);
    if (match !== null) return match[1];
  }
  const param = location.queryParam ?? 'token';
  if (param !== false && Object.hasOwn(handshake.query ?? {}, param)) {
    const token = handshake.query[param];
    if (typeof token === 'string' && token !== '') return token;
  }
  return undefined;
}

/** A denial for a handshake without credentials. */
export const NO_CREDENTIALS = Object.freeze({
  ok: false,
  code: 'AUTHENTICATION_FAILED',
  reason: 'no credentials',
} as const);

/** A denial for credentials that did not verify; the reason never says which check failed. */
export const INVALID_CREDENTIALS = Object.freeze({
  ok: false,
  code: 'AUTHENTICATION_FAILED',
  reason: 'invalid credentials',
} as const);
