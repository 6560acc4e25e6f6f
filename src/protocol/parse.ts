import { PlugSocketError } from '../errors.js';
import type { ClientEnvelope, ServerEnvelope } from './envelope.js';
import {
  isName,
  isPlainObject,
  isRequestId,
  kindNamed,
  mayBeSentBy,
  type KindSpec,
  type Side,
} from './kinds.js';
import { MAX_NAME_LENGTH } from './limits.js';
import { refusal } from './refused-request.js';

function invalid(message: string): PlugSocketError {
  return new PlugSocketError('INVALID_MESSAGE', message);
}

/**
 * Validates a decoded frame that `sender` sent, by the kinds table: an object whose `k` names a
 * kind that side may send, with every required field, and every present field valid and one
 * that side may send. Keys the table does not name are ignored.
 *
 * Returns `value` itself, validated in place (no copy on the hot path), except for kinds with a
 * normalised field (`nack`, `error`: the error keeps `code` and `message` only), which are
 * rebuilt from their fields alone. Read the envelope's fields by name; do not spread it into a
 * frame you send, since an object frame may carry keys the table ignores.
 * @throws {PlugSocketError} `INVALID_MESSAGE` naming what is wrong; a {@link RefusedRequestError}
 *   (with the `requestId` to answer with `nack`) when the frame is a request with a valid id.
 */
export function parseEnvelope(value: unknown, sender: Side): ClientEnvelope | ServerEnvelope {
  if (!isPlainObject(value)) throw invalid('a frame must be a JSON object');
  // Most frames are messages, requests and their answers: accepted without the table's loop (a
  // measurable share of a request round trip), by checks equal to it (unit tests hold them
  // equal). A refusal, and any other kind, takes the table's path, which says what is wrong.
  const k = value.k;
  if (k === 'msg') {
    if (isValidMessage(value, sender)) return value as unknown as ClientEnvelope;
  } else if (k === 'ack') {
    // The ack row: an id; the result is anything.
    if (isRequestId(value.id)) return value as unknown as ClientEnvelope;
  } else if (k === 'req') {
    // The req row without its optional fields, the common request: an id and a name.
    if (
      isRequestId(value.id) &&
      isName(value.name) &&
      value.headers === undefined &&
      value.to === undefined &&
      value.from === undefined
    )
      return value as unknown as ClientEnvelope;
  }
  return parseByTable(value, sender);
}

/**
 * The `msg` row of the kinds table, written out: a type, headers absent or an object, `from`
 * absent or (from a server) a name; the payload is anything.
 */
function isValidMessage(value: Record<string, unknown>, sender: Side): boolean {
  const headers = value.headers;
  const from = value.from;
  return (
    isName(value.type) &&
    (headers === undefined || isPlainObject(headers)) &&
    (from === undefined || (sender === 'server' && isName(from)))
  );
}

/**
 * {@link parseEnvelope} by the kinds table alone, without the message fast path. Exported for the
 * test that holds the two equal.
 * @internal
 */
export function parseByTable(
  value: Record<string, unknown>,
  sender: Side,
): ClientEnvelope | ServerEnvelope {
  const kind = kindNamed(value.k);
  if (kind === undefined) {
    throw invalid(
      value.k === undefined ? 'missing frame kind "k"' : `unknown frame kind ${describe(value.k)}`,
    );
  }
  if (!mayBeSentBy(kind, sender)) throw invalid(`a ${sender} may not send "${kind.k}" frames`);
  const fields = kind.checked;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    const item = value[field.name];
    if (item === undefined) {
      if (field.required) throw refusal(invalid(field.message), value, sender);
    } else if (field.sentBy !== undefined && field.sentBy !== sender) {
      throw refusal(
        invalid(`"${field.name}" may only be sent by a ${field.sentBy}`),
        value,
        sender,
      );
    } else if (field.valid !== undefined && !field.valid(item)) {
      throw refusal(invalid(field.message), value, sender);
    }
  }
  return (kind.rebuild ? rebuild(kind, value) : value) as unknown as ClientEnvelope;
}

/** A new envelope holding the kind's fields only, normalised. */
function rebuild(kind: KindSpec, value: Record<string, unknown>): Record<string, unknown> {
  const envelope: Record<string, unknown> = { k: kind.k };
  for (const field of kind.fields) {
    const item = value[field.name];
    if (item !== undefined)
      envelope[field.name] = field.normalize === undefined ? item : field.normalize(item);
  }
  return envelope;
}

/** A peer's unknown `k`, shown in an error without echoing a long value back. */
function describe(k: unknown): string {
  if (typeof k === 'string')
    return JSON.stringify(k.length > MAX_NAME_LENGTH ? `${k.slice(0, MAX_NAME_LENGTH)}…` : k);
  if (typeof k === 'number' || typeof k === 'boolean' || k === null) return String(k);
  return `(${typeof k})`;
}

/**
 * Validates a decoded frame received by a server (sent by a client): `msg`, `join`, `leave`,
 * `req`, `ack`, `nack` or `cancel`, without the server's fields (`from`).
 * @throws {PlugSocketError} `INVALID_MESSAGE` naming what is wrong (a {@link RefusedRequestError}
 *   for a `join`, `leave` or `req` with a valid id).
 */
export function parseClientEnvelope(value: unknown): ClientEnvelope {
  return parseEnvelope(value, 'client') as ClientEnvelope;
}

/**
 * Validates a decoded frame received by a client (sent by a server): `msg`, `welcome`, `ack`,
 * `nack`, `error`, `req` or `cancel`, without the client's fields (`to`).
 * @throws {PlugSocketError} `INVALID_MESSAGE` naming what is wrong (a {@link RefusedRequestError}
 *   for a `req` with a valid id).
 */
export function parseServerEnvelope(value: unknown): ServerEnvelope {
  return parseEnvelope(value, 'server') as ServerEnvelope;
}
