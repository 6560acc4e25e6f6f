import type { Handshake, HandshakeInit } from './types.js';

const EMPTY: Readonly<Record<string, never>> = Object.freeze({});

function flatten(
  source: Record<string, string | string[] | undefined> | undefined,
  lowerCase: boolean,
  join: (values: string[]) => string,
): Readonly<Record<string, string>> {
  if (source === undefined) return EMPTY;
  const keys = Object.keys(source);
  if (keys.length === 0) return EMPTY;
  // A plain object in fast mode: a third of the memory of a null-prototype dictionary, which
  // matters because every connection keeps its handshake. A client's "__proto__" key is defined
  // as an own data property, so it stays plain data and never touches a prototype.
  const out: Record<string, string> = {};
  for (const key of keys) {
    const value = source[key];
    if (value === undefined) continue;
    const name = lowerCase ? key.toLowerCase() : key;
    const text = Array.isArray(value) ? join(value) : String(value);
    if (name === '__proto__') {
      Object.defineProperty(out, name, {
        value: text,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else out[name] = text;
  }
  return Object.freeze(out);
}

/** Fills in the defaults of a handshake reported by an adapter and freezes it. */
export function normalizeHandshake(init: HandshakeInit): Handshake {
  const auth =
    init.auth && typeof init.auth === 'object' && Object.keys(init.auth).length > 0
      ? Object.freeze({ ...init.auth })
      : EMPTY;
  const handshake: Handshake = {
    url: typeof init.url === 'string' ? init.url : '',
    headers: flatten(init.headers, true, (v) => v.join(', ')),
    query: flatten(init.query, false, (v) => v[0] ?? ''),
    auth,
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
