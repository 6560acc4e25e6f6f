import { PlugSocketError, type SerializedError } from '../errors.js';

/** The protocol version a server announces in its `welcome` frame. */
export const PROTOCOL_VERSION = 1;

/** Longest accepted message type or topic name, in UTF-16 code units. */
export const MAX_NAME_LENGTH = 256;

/** An application message, in both directions. */
export interface MessageEnvelope {
  /** Frame kind. */
  k: 'msg';
  /** Message type, 1–256 characters. */
  type: string;
  /** Any JSON value; absent means undefined. */
  payload?: unknown;
  /** Optional metadata object. */
  headers?: Record<string, unknown>;
}
/** Client → server: join a topic; answered by `ack` or `nack` with the same `id`. */
export interface JoinEnvelope {
  /** Frame kind. */
  k: 'join';
  /** Client-chosen request id, echoed by the answer. */
  id: number;
  /** Topic name, 1–256 characters. */
  topic: string;
}
/** Client → server: leave a topic; answered by `ack` with the same `id`. */
export interface LeaveEnvelope {
  /** Frame kind. */
  k: 'leave';
  /** Client-chosen request id, echoed by the answer. */
  id: number;
  /** Topic name, 1–256 characters. */
  topic: string;
}
/** Server → client: the connection is accepted; `id` is the client's server-assigned id. */
export interface WelcomeEnvelope {
  /** Frame kind. */
  k: 'welcome';
  /** Protocol version ({@link PROTOCOL_VERSION}). */
  v: number;
  /** The client's server-assigned id. */
  id: string;
}
/** Server → client: the request `id` succeeded. */
export interface AckEnvelope {
  /** Frame kind. */
  k: 'ack';
  /** The request id being answered. */
  id: number;
}
/** Server → client: the request `id` failed. */
export interface NackEnvelope {
  /** Frame kind. */
  k: 'nack';
  /** The request id being answered. */
  id: number;
  /** Why it failed. */
  error: SerializedError;
}
/** Server → client: a frame the client sent was rejected; the connection stays open. */
export interface ErrorEnvelope {
  /** Frame kind. */
  k: 'error';
  /** What was wrong with the frame. */
  error: SerializedError;
}

/** Frames a client may send. */
export type ClientEnvelope = MessageEnvelope | JoinEnvelope | LeaveEnvelope;
/** Frames a server may send. */
export type ServerEnvelope =
  MessageEnvelope | WelcomeEnvelope | AckEnvelope | NackEnvelope | ErrorEnvelope;

function invalid(message: string): PlugSocketError {
  return new PlugSocketError('INVALID_MESSAGE', message);
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME_LENGTH;
}

function isRequestId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function checkMessage(e: Record<string, unknown>): MessageEnvelope {
  if (!isName(e.type)) throw invalid(`"type" must be a string of 1–${MAX_NAME_LENGTH} characters`);
  const headers = e.headers;
  if (
    headers !== undefined &&
    (typeof headers !== 'object' || headers === null || Array.isArray(headers))
  ) {
    throw invalid('"headers" must be an object');
  }
  return e as unknown as MessageEnvelope;
}

/**
 * Checks the headers of a message about to be sent: absent, or an object that is not an array, as
 * receivers require. Thrown at the sender so that a bad message fails where it was made.
 * @throws {TypeError}
 */
export function assertHeadersToSend(headers: unknown): void {
  if (
    headers !== undefined &&
    (typeof headers !== 'object' || headers === null || Array.isArray(headers))
  ) {
    throw new TypeError('message headers must be an object');
  }
}

function checkTopicRequest(e: Record<string, unknown>): JoinEnvelope | LeaveEnvelope {
  if (!isRequestId(e.id)) throw invalid('"id" must be a non-negative integer');
  if (!isName(e.topic))
    throw invalid(`"topic" must be a string of 1–${MAX_NAME_LENGTH} characters`);
  return e as unknown as JoinEnvelope | LeaveEnvelope;
}

function asRecord(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('a frame must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/**
 * Validates a decoded frame received by a server.
 * @throws {PlugSocketError} `INVALID_MESSAGE` naming what is wrong.
 */
export function parseClientEnvelope(value: unknown): ClientEnvelope {
  const e = asRecord(value);
  switch (e.k) {
    case 'msg':
      return checkMessage(e);
    case 'join':
    case 'leave':
      return checkTopicRequest(e);
    case undefined:
      throw invalid('missing frame kind "k"');
    default:
      throw invalid(`unknown frame kind ${JSON.stringify(e.k)}`);
  }
}

function checkError(value: unknown): SerializedError {
  const e = asRecord(value);
  if (typeof e.code !== 'string' || typeof e.message !== 'string') {
    throw invalid('"error" must have string "code" and "message"');
  }
  return { code: e.code, message: e.message };
}

/**
 * Validates a decoded frame received by a client.
 * @throws {PlugSocketError} `INVALID_MESSAGE` naming what is wrong.
 */
export function parseServerEnvelope(value: unknown): ServerEnvelope {
  const e = asRecord(value);
  switch (e.k) {
    case 'msg':
      return checkMessage(e);
    case 'welcome':
      if (typeof e.v !== 'number' || !isName(e.id)) throw invalid('malformed welcome frame');
      return e as unknown as WelcomeEnvelope;
    case 'ack':
      if (!isRequestId(e.id)) throw invalid('"id" must be a non-negative integer');
      return e as unknown as AckEnvelope;
    case 'nack':
      if (!isRequestId(e.id)) throw invalid('"id" must be a non-negative integer');
      return { k: 'nack', id: e.id, error: checkError(e.error) };
    case 'error':
      return { k: 'error', error: checkError(e.error) };
    case undefined:
      throw invalid('missing frame kind "k"');
    default:
      throw invalid(`unknown frame kind ${JSON.stringify(e.k)}`);
  }
}
