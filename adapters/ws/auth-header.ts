/**
 * The request header that carries `ConnectOptions.auth` in the ws transport's handshake: the
 * base64url encoding (RFC 4648 §5, no padding) of the UTF-8 JSON of one object. A client written
 * in another language sends it to present credentials; the server rejects a malformed value with
 * HTTP 400.
 *
 * Headers, not the query, because query strings end up in access logs and `Referer`s. Node limits
 * all request headers together to 16 KiB by default (`--max-http-header-size`), which bounds the
 * size of the credentials.
 */
export const WS_AUTH_HEADER = 'x-plugsocket-auth';

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** Encodes credentials for the {@link WS_AUTH_HEADER} header. */
export function encodeAuthHeader(auth: Readonly<Record<string, unknown>>): string {
  return Buffer.from(JSON.stringify(auth), 'utf8').toString('base64url');
}

/**
 * Decodes the {@link WS_AUTH_HEADER} header: `undefined` when it is absent, `null` when it is not
 * the base64url of a JSON object.
 * @internal
 */
export function decodeAuthHeader(
  value: string | string[] | undefined,
): Record<string, unknown> | undefined | null {
  if (value === undefined) return undefined;
  // Node's base64url decoder skips characters outside the alphabet instead of failing, so a
  // damaged value could otherwise decode to something that happens to parse.
  if (typeof value !== 'string' || value === '' || !BASE64URL.test(value)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  return parsed as Record<string, unknown>;
}
