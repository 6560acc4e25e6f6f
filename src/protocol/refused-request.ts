import { PlugSocketError, type ErrorCode } from '../errors.js';
import {
  isRequestId,
  kindNamed,
  kindNumbered,
  mayBeSentBy,
  type KindSpec,
  type Side,
} from './kinds.js';

/** The frame kinds whose `id` is a request id chosen by their sender. */
export type RequestKind = 'join' | 'leave' | 'req';

/**
 * A refused frame that made a request — a `join`, `leave` or `req` whose `id` was valid even
 * though something else in it was not. The receiver answers `nack` with {@link requestId} and
 * this error's code and message, rather than a bare `error` frame, so that the sender's request
 * fails at once instead of at its timeout.
 *
 * Thrown by the envelope parsers, by `JsonCodec` and `CompactCodec` (for a request frame they
 * refuse after reading its id: a prototype key, nesting too deep, a structured frame over
 * `maxBytes`) and by the frame reader. It is a `PlugSocketError`, with code `INVALID_MESSAGE` or
 * `PAYLOAD_TOO_LARGE`.
 */
export class RefusedRequestError extends PlugSocketError {
  /** The request id the refused frame carried. */
  readonly requestId: number;
  /** The kind of the refused frame. */
  readonly requestKind: RequestKind;

  constructor(
    code: ErrorCode,
    message: string,
    requestId: number,
    requestKind: RequestKind,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'RefusedRequestError';
    this.requestId = requestId;
    this.requestKind = requestKind;
  }
}

/**
 * The request id of a decoded frame that makes a request (`join`, `leave` or `req`), in the object
 * form (`{ k, id, … }`) or the compact one (`[number, id, …]`), when that id is valid (a
 * non-negative safe integer) — whether or not the rest of the frame is. `undefined` for any other
 * frame. With `sender`, only for kinds that side may send (a server sends no `join`).
 *
 * The domain answers a refused request frame with `nack` on this id; the parsers, codecs and the
 * frame reader throw {@link RefusedRequestError} carrying it.
 */
export function requestIdOf(decoded: unknown, sender?: Side): number | undefined {
  return requestOf(decoded, sender)?.id;
}

function requestOf(
  decoded: unknown,
  sender: Side | undefined,
): { id: number; kind: RequestKind } | undefined {
  if (typeof decoded !== 'object' || decoded === null) return undefined;
  let kind: KindSpec | undefined;
  let id: unknown;
  if (Array.isArray(decoded)) {
    kind = kindNumbered(decoded[0]);
    id = decoded[1];
  } else {
    const record = decoded as Record<string, unknown>;
    kind = kindNamed(record.k);
    id = record.id;
  }
  if (kind === undefined || !kind.request) return undefined;
  if (sender !== undefined && !mayBeSentBy(kind, sender)) return undefined;
  return isRequestId(id) ? { id, kind: kind.k as RequestKind } : undefined;
}

/**
 * `error` as a {@link RefusedRequestError} when `decoded` made a request with a valid id that
 * `sender` may send (any side when not given); otherwise a plain `PlugSocketError`. Anything that
 * is not a `PlugSocketError` is returned as it is. Called on the failure path only.
 */
export function refusal(error: PlugSocketError, decoded: unknown, sender?: Side): PlugSocketError;
export function refusal(error: unknown, decoded: unknown, sender?: Side): unknown;
export function refusal(error: unknown, decoded: unknown, sender?: Side): unknown {
  if (!PlugSocketError.is(error)) return error;
  if (error instanceof RefusedRequestError) {
    const kind = kindNamed(error.requestKind);
    if (sender === undefined || (kind !== undefined && mayBeSentBy(kind, sender))) return error;
    return new PlugSocketError(error.code, error.message, { cause: error.cause });
  }
  const request = requestOf(decoded, sender);
  if (request === undefined) return error;
  return new RefusedRequestError(error.code, error.message, request.id, request.kind, {
    cause: error.cause,
  });
}
