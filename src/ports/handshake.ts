import { MAX_NESTING_DEPTH } from '../protocol/limits.js';
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

/** Thrown inside {@link inspectAuth} when credentials nest too deep; caught in this module only. */
const TOO_DEEP = new Error('credentials nest too deep');

/**
 * True when `value` (at `depth`, the credentials themselves being 1) holds a prototype key: a
 * `__proto__` own key, or a `constructor` key whose value has a `prototype` key.
 * @throws {@link TOO_DEEP} past {@link MAX_NESTING_DEPTH}, which also ends the walk of a cycle.
 */
function inspectAuth(value: object, depth: number): boolean {
  if (depth > MAX_NESTING_DEPTH) throw TOO_DEEP;
  let found = false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null && inspectAuth(item, depth + 1)) found = true;
    }
    return found;
  }
  for (const key of Object.keys(value)) {
    const item: unknown = (value as Record<string, unknown>)[key];
    if (isPrototypeKey(key, item)) found = true;
    if (typeof item === 'object' && item !== null && inspectAuth(item, depth + 1)) found = true;
  }
  return found;
}

function isPrototypeKey(key: string, item: unknown): boolean {
  return (
    key === '__proto__' ||
    (key === 'constructor' &&
      typeof item === 'object' &&
      item !== null &&
      Object.prototype.hasOwnProperty.call(item, 'prototype'))
  );
}

/** A copy of plain objects and arrays in `value` without their prototype keys. */
function withoutPrototypeKeys(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(withoutPrototypeKeys);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value; // a Date, a Map: not walked
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item: unknown = (value as Record<string, unknown>)[key];
    if (!isPrototypeKey(key, item)) out[key] = withoutPrototypeKeys(item);
  }
  return out;
}

/**
 * The credentials of a handshake, as the server's strategy sees them: a frozen copy. Whatever the
 * adapter decoded them from (a ws header, Socket.IO's CONNECT packet, a memory transport's
 * `structuredClone`), prototype keys are dropped at every depth — an own `__proto__` key is
 * harmless to read but becomes a prototype when an application copies the credentials with
 * `Object.assign` — and credentials nesting deeper than {@link MAX_NESTING_DEPTH} (or cyclic)
 * are dropped whole, as no credentials at all: a strategy then refuses them as missing.
 */
function authOf(value: unknown): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Object.keys(value).length === 0) return EMPTY;
  let dirty: boolean;
  try {
    dirty = inspectAuth(value, 1);
  } catch (error) {
    if (error === TOO_DEEP) return EMPTY;
    throw error;
  }
  const copy = dirty
    ? (withoutPrototypeKeys(value) as Record<string, unknown>)
    : { ...(value as Record<string, unknown>) };
  return Object.keys(copy).length === 0 ? EMPTY : Object.freeze(copy);
}

/**
 * Fills in the defaults of a handshake reported by an adapter and freezes it. Credentials lose
 * their prototype keys, and are dropped when they nest deeper than {@link MAX_NESTING_DEPTH}.
 */
export function normalizeHandshake(init: HandshakeInit): Handshake {
  const auth = authOf(init.auth);
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
