// The sender's checks, in one place: what a receiver would refuse fails where it was made, as a
// TypeError (a programmer mistake), before anything is sent.
import type { MessageEnvelope } from './envelope.js';
import { isName, isPlainObject } from './kinds.js';
import { MAX_NAME_LENGTH } from './limits.js';

/**
 * Checks a name about to be sent: a message type, topic, request or handler name, client id.
 * @param what how the message calls it, e.g. `'message type'`, `'topic'`.
 * @throws {TypeError} `${what} must be a string of 1–256 characters`.
 */
export function assertName(value: unknown, what: string): asserts value is string {
  if (!isName(value)) {
    throw new TypeError(`${what} must be a string of 1–${MAX_NAME_LENGTH} characters`);
  }
}

/**
 * Checks the headers of a message about to be sent: absent, or an object that is not an array, as
 * receivers require.
 * @throws {TypeError}
 */
export function assertHeadersToSend(headers: unknown): void {
  if (headers !== undefined && !isPlainObject(headers)) {
    throw new TypeError('message headers must be an object');
  }
}

/** An application message as the domain's API takes it. */
export interface OutgoingMessage {
  /** 1–256 characters. */
  readonly type: string;
  /** Any JSON value; `undefined` is left out. */
  readonly payload?: unknown;
  /** An object, when present. */
  readonly headers?: Record<string, unknown>;
}

/**
 * The `msg` envelope of an application message, checked as a receiver would check it; keys whose
 * value is absent (`payload`, `headers`, `from` undefined) are not added, and nothing else of
 * `message` is copied.
 * @param from the sending client's id, on a message a server relays.
 * @throws {TypeError} when `message` is not an object, its type is not a string of 1–256
 *   characters, or its headers are not an object.
 */
export function messageEnvelope(message: OutgoingMessage, from?: string): MessageEnvelope {
  if (typeof message !== 'object' || message === null) {
    throw new TypeError('message must be an object');
  }
  const { type, payload, headers } = message;
  assertName(type, 'message type');
  assertHeadersToSend(headers);
  // The common shapes as literals, so that they share a hidden class.
  const envelope: MessageEnvelope =
    payload === undefined ? { k: 'msg', type } : { k: 'msg', type, payload };
  if (headers !== undefined) envelope.headers = headers;
  if (from !== undefined) envelope.from = from;
  return envelope;
}
