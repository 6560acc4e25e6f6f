import type { Handshake, HandshakeInit } from './types.js';

function flatten(
  source: Record<string, string | string[] | undefined> | undefined,
  lowerCase: boolean,
  join: (values: string[]) => string,
): Record<string, string> {
  // A null-prototype object: keys such as `__proto__` from a client stay plain data.
  const out = Object.create(null) as Record<string, string>;
  if (source === undefined) return out;
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (value === undefined) continue;
    const name = lowerCase ? key.toLowerCase() : key;
    out[name] = Array.isArray(value) ? join(value) : String(value);
  }
  return out;
}

/** Fills in the defaults of a handshake reported by an adapter and freezes it. */
export function normalizeHandshake(init: HandshakeInit): Handshake {
  const auth = init.auth && typeof init.auth === 'object' ? { ...init.auth } : {};
  const handshake: Handshake = {
    url: typeof init.url === 'string' ? init.url : '',
    headers: Object.freeze(flatten(init.headers, true, (v) => v.join(', '))),
    query: Object.freeze(flatten(init.query, false, (v) => v[0] ?? '')),
    auth: Object.freeze(auth),
    ...(init.remoteAddress === undefined ? {} : { remoteAddress: init.remoteAddress }),
  };
  return Object.freeze(handshake);
}

/** Parses the query part of a request URL into a record (first value wins). */
export function parseQuery(url: string | undefined): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  if (!url) return out;
  const q = url.indexOf('?');
  if (q === -1) return out;
  for (const [key, value] of new URLSearchParams(url.slice(q + 1))) {
    if (!(key in out)) out[key] = value;
  }
  return out;
}
