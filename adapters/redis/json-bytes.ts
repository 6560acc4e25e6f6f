// JSON that carries `Uint8Array`s anywhere in the value, without base64: each array of bytes is
// replaced by a tag object `{"$b": <index>}` and its bytes travel raw beside the JSON text. So
// that no value of the caller's can be mistaken for a tag, every object key that starts with `$`
// is escaped with one more `$` (`$b` → `$$b`) whenever a value has bytes or such keys; the
// decoder undoes both. A value with neither is plain JSON text, and decodes with a bare
// `JSON.parse`.
import { PlugSocketError } from '../../src/index.js';

/** The key of a tag object standing for the bytes at `blobs[index]`. */
const TAG = '$b';
const DOLLAR = 0x24;

/** A value split into JSON text and the byte arrays its tags refer to. */
export interface JsonWithBytes {
  /** JSON text: the value, each `Uint8Array` replaced by a tag. */
  readonly json: string;
  /** The byte arrays, in tag order. */
  readonly blobs: readonly Uint8Array[];
  /** True when the JSON holds tags or escaped keys, so it must be decoded with {@link parseJsonWithBytes}. */
  readonly tagged: boolean;
}

/**
 * Splits `value` into JSON text and its byte arrays.
 *
 * `strict` (packets): refuses with a `TypeError` anything the backplane port does not carry —
 * numbers that are not finite, functions, symbols, bigints, objects that are not plain (a `Date`,
 * a `Map`, a class instance) — exactly as `MemoryCluster` does, so code that works on one
 * backplane works on the other. Not strict (session records): what `JSON.stringify` would write,
 * but bytes kept as bytes (a `Date` becomes its ISO string, a class instance its own fields).
 * Cycles and bigints throw a `TypeError` either way.
 */
export function stringifyWithBytes(value: unknown, strict: boolean): JsonWithBytes {
  const blobs: Uint8Array[] = [];
  let tagged = false;
  const replacer = function (this: Record<string, unknown>, key: string, converted: unknown) {
    // `this[key]` is the value before `toJSON` (a Buffer has one), `converted` the value after.
    const raw = this[key];
    if (raw instanceof Uint8Array) {
      tagged = true;
      blobs.push(raw);
      return { [TAG]: blobs.length - 1 };
    }
    if (raw === null || typeof raw === 'string' || typeof raw === 'boolean') return raw;
    if (typeof raw === 'number') {
      if (strict && !Number.isFinite(raw))
        throw new TypeError('a backplane packet carries finite numbers');
      return raw;
    }
    if (raw === undefined) return undefined;
    if (typeof raw === 'object') {
      if (Array.isArray(raw)) return raw as unknown[];
      if (strict) {
        const proto = Object.getPrototypeOf(raw) as unknown;
        if (proto !== Object.prototype && proto !== null)
          throw new TypeError('a backplane packet carries plain objects, arrays and bytes');
      }
      if (converted === null || typeof converted !== 'object' || Array.isArray(converted))
        return converted;
      return escapeKeys(converted as Record<string, unknown>, () => (tagged = true));
    }
    if (strict) throw new TypeError(`a backplane packet cannot carry a ${typeof raw}`);
    return converted;
  };
  const json = JSON.stringify(value, replacer);
  // undefined at the top (or a function, when not strict): JSON has no text for it.
  if (json === undefined) throw new TypeError('the value has no JSON form');
  return { json, blobs, tagged };
}

/** `object`, or a copy with every key that starts with `$` given one more. */
function escapeKeys(object: Record<string, unknown>, escaped: () => void): Record<string, unknown> {
  let any = false;
  for (const key in object) {
    if (key.charCodeAt(0) === DOLLAR && Object.hasOwn(object, key)) {
      any = true;
      break;
    }
  }
  if (!any) return object;
  escaped();
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(object)) {
    define(out, key.charCodeAt(0) === DOLLAR ? `$${key}` : key, object[key]);
  }
  return out;
}

/**
 * The value {@link stringifyWithBytes} split, from its JSON text and byte arrays. Throws a
 * `PlugSocketError` (`INVALID_MESSAGE`) on malformed input: text that is not JSON, a tag whose
 * index has no byte array, a key with a lone `$` that is not a tag.
 */
export function parseJsonWithBytes(
  json: string,
  blobs: readonly Uint8Array[],
  tagged: boolean,
): unknown {
  try {
    if (!tagged) return JSON.parse(json) as unknown;
    return JSON.parse(json, function (_key, value: unknown) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
      const object = value as Record<string, unknown>;
      let any = false;
      for (const key in object) {
        if (key.charCodeAt(0) === DOLLAR) {
          any = true;
          break;
        }
      }
      if (!any) return object;
      const keys = Object.keys(object);
      if (keys.length === 1 && keys[0] === TAG) {
        const index = object[TAG];
        if (typeof index !== 'number' || !Number.isInteger(index) || index < 0)
          throw invalid(`a byte tag has a bad index`);
        const blob = blobs[index];
        if (blob === undefined)
          throw invalid(`a byte tag refers to array ${index}, which is absent`);
        return blob;
      }
      const out: Record<string, unknown> = {};
      for (const key of keys) {
        if (key.charCodeAt(0) !== DOLLAR) define(out, key, object[key]);
        else if (key.charCodeAt(1) === DOLLAR) define(out, key.slice(1), object[key]);
        else throw invalid(`the key "${key.slice(0, 20)}" is neither a tag nor escaped`);
      }
      return out;
    }) as unknown;
  } catch (error) {
    if (PlugSocketError.is(error)) throw error;
    throw invalid(`its JSON does not parse (${(error as Error).message})`, error);
  }
}

/** Sets an own property, `__proto__` included (an assignment would set the prototype). */
function define(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(object, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  else object[key] = value;
}

/** The error every malformed input gives. */
export function invalid(reason: string, cause?: unknown): PlugSocketError {
  return new PlugSocketError('INVALID_MESSAGE', `malformed backplane data: ${reason}`, { cause });
}
