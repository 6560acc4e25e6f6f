// Equality as the backplane port defines it for packets, directory entries and session records:
// JSON values in which Uint8Arrays may appear anywhere, a Buffer being as good as a Uint8Array,
// and a key whose value is undefined free to be dropped.
import type { BackplanePacket, ClusterClient } from '../../src/index.js';
import { describeFrame } from '../helpers.js';

/**
 * Describes where `actual` first differs from `expected` (by path, e.g. `data.rows[2].blob`), or
 * returns undefined when they are equal as the port defines it: the same JSON value, with
 * `Uint8Array`s (a `Buffer` counts as one) compared by bytes, and expected keys whose value is
 * `undefined` either absent or `undefined`.
 */
export function valueDifference(
  actual: unknown,
  expected: unknown,
  at = 'value',
): string | undefined {
  if (expected instanceof Uint8Array) {
    if (!(actual instanceof Uint8Array)) {
      return `at ${at}: expected Uint8Array(${expected.byteLength}), got ${describe(actual)}`;
    }
    if (actual.byteLength !== expected.byteLength) {
      return `at ${at}: expected ${expected.byteLength} bytes, got ${actual.byteLength}`;
    }
    for (let i = 0; i < expected.byteLength; i++) {
      if (actual[i] !== expected[i]) {
        return `at ${at}: bytes differ at index ${i} (${actual[i]} instead of ${expected[i]})`;
      }
    }
    return undefined;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) {
      return `at ${at}: expected array(${expected.length}), got ${describe(actual)}`;
    }
    if (actual.length !== expected.length) {
      return `at ${at}: expected ${expected.length} elements, got ${actual.length}`;
    }
    for (let i = 0; i < expected.length; i++) {
      const difference = valueDifference(actual[i], expected[i], `${at}[${i}]`);
      if (difference !== undefined) return difference;
    }
    return undefined;
  }
  if (typeof expected === 'object' && expected !== null) {
    if (
      typeof actual !== 'object' ||
      actual === null ||
      Array.isArray(actual) ||
      actual instanceof Uint8Array
    ) {
      return `at ${at}: expected an object, got ${describe(actual)}`;
    }
    const prototype: unknown = Object.getPrototypeOf(actual);
    if (prototype !== Object.prototype && prototype !== null) {
      return `at ${at}: expected a plain object, got ${describe(actual)}`;
    }
    const want = expected as Record<string, unknown>;
    const have = actual as Record<string, unknown>;
    for (const key of Object.keys(want)) {
      const path = /^[A-Za-z_$][\w$]*$/.test(key)
        ? `${at}.${key}`
        : `${at}[${JSON.stringify(key)}]`;
      if (want[key] === undefined) {
        // The port lets a key whose value is undefined be dropped.
        if (Object.hasOwn(have, key) && have[key] !== undefined) {
          return `at ${path}: expected undefined or no key, got ${describe(have[key])}`;
        }
        continue;
      }
      if (!Object.hasOwn(have, key)) return `at ${at}: missing key ${JSON.stringify(key)}`;
      const difference = valueDifference(have[key], want[key], path);
      if (difference !== undefined) return difference;
    }
    const extra = Object.keys(have).filter((key) => !Object.hasOwn(want, key));
    if (extra.length > 0) return `at ${at}: unexpected key ${JSON.stringify(extra[0])}`;
    return undefined;
  }
  if (actual === expected) return undefined;
  return `at ${at}: expected ${describe(expected)}, got ${describe(actual)}`;
}

/**
 * Describes how a received packet differs from the one published, or returns undefined when it is
 * equal as the port defines it: the same `kind`, the same `frame` (string, or bytes), and `data`
 * the same value (see {@link valueDifference}). An absent `frame` or `data` may arrive undefined.
 */
export function packetDifference(
  actual: BackplanePacket | undefined,
  expected: BackplanePacket,
): string | undefined {
  if (typeof actual !== 'object' || actual === null)
    return `expected a packet, got ${describe(actual)}`;
  const fields: Record<string, unknown> = { kind: expected.kind };
  if (expected.data !== undefined) fields.data = expected.data;
  if (expected.frame !== undefined) fields.frame = expected.frame;
  const got: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(actual)) if (value !== undefined) got[key] = value;
  return valueDifference(got, fields, 'packet');
}

/**
 * Describes how a list of topics differs from `expected`, or returns undefined when it names the
 * same topics. The port promises no order for a list of topics (a `RemovedClient`'s, a session
 * record's), so they compare as sets: in any order, a topic named twice counting once.
 */
export function topicsDifference(
  actual: unknown,
  expected: readonly string[],
  at = 'topics',
): string | undefined {
  if (!Array.isArray(actual))
    return `at ${at}: expected an array of topics, got ${describe(actual)}`;
  const list: readonly unknown[] = actual;
  const stray = list.findIndex((topic) => typeof topic !== 'string');
  if (stray !== -1) return `at ${at}[${stray}]: expected a topic, got ${describe(list[stray])}`;
  const have = new Set(list as string[]);
  const want = new Set(expected);
  const missing = [...want].filter((topic) => !have.has(topic));
  const extra = [...have].filter((topic) => !want.has(topic));
  if (missing.length === 0 && extra.length === 0) return undefined;
  return (
    `at ${at}: listed ${JSON.stringify([...have].sort())}, expected ${JSON.stringify([...want].sort())} (in any order)` +
    (missing.length > 0 ? `; missing ${JSON.stringify(missing)}` : '') +
    (extra.length > 0 ? `; not expected ${JSON.stringify(extra)}` : '')
  );
}

/**
 * Describes how a directory entry differs from the client as listed, or returns undefined when
 * they match: same id, node, user, connectedAt and parked state (`parked` false, absent or
 * undefined all mean online; `user` absent or undefined both mean anonymous). Other fields are
 * compared when `expected` has them (a JSON value, like a packet's data), but `topics`, a list of
 * topics, which compares as a set (see {@link topicsDifference}).
 */
export function clientDifference(
  actual: ClusterClient | undefined,
  expected: ClusterClient,
): string | undefined {
  if (typeof actual !== 'object' || actual === null) {
    return `expected the entry of ${expected.id}, got ${describe(actual)}`;
  }
  const normal = (client: ClusterClient): Record<string, unknown> => {
    const { parked, user, ...rest } = client;
    return { ...rest, parked: parked === true, user: user ?? null };
  };
  const want = normal(expected);
  const have = normal(actual);
  // Fields a backplane may add for itself are not the test's concern; those given must match.
  for (const key of Object.keys(have)) if (!Object.hasOwn(want, key)) delete have[key];
  const topics: unknown = want.topics;
  if (Array.isArray(topics)) {
    const difference = topicsDifference(
      have.topics,
      topics as string[],
      `topics of ${expected.id}`,
    );
    if (difference !== undefined) return difference;
    delete want.topics;
    delete have.topics;
  }
  return valueDifference(have, want, `entry ${expected.id}`);
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    return value.length <= 40 ? `the string ${JSON.stringify(value)}` : `string(${value.length})`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  if (Array.isArray(value)) return `array(${value.length})`;
  if (value instanceof Uint8Array) return describeFrame(value);
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    const name = value.constructor?.name ?? 'object';
    return `${name === 'Object' ? 'an object' : name} with keys ${JSON.stringify(keys.slice(0, 5))}`;
  }
  return typeof value;
}
