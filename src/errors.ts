/**
 * Error codes shared by every part of plugsocket. The code is the stable contract: tests and
 * applications branch on `code`, never on the message text.
 */
export const ErrorCodes = {
  /** A connection could not be established (nothing listening, refused, timed out). */
  CONNECTION_FAILED: 'CONNECTION_FAILED',
  /** The server did not accept the credentials presented in the handshake. */
  AUTHENTICATION_FAILED: 'AUTHENTICATION_FAILED',
  /** The credentials were valid but do not allow this action (connect, join a topic, …). */
  UNAUTHORIZED: 'UNAUTHORIZED',
  /** The credentials expired and were not refreshed (`client.refreshAuthorization()`) in time. */
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  /** A rate limit was exceeded. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** An operation did not complete in the time allowed. */
  TIMEOUT: 'TIMEOUT',
  /** No handler is registered for the requested name on the side that was asked. */
  HANDLER_NOT_FOUND: 'HANDLER_NOT_FOUND',
  /** The caller gave up: the request's `AbortSignal` aborted, or the requester cancelled it. */
  ABORTED: 'ABORTED',
  /** A per-client cap was reached (`maxTopicsPerClient`). */
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  /** More requests are in flight than the limit allows (`maxRequestsInFlight`). */
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  /** The client a client-to-client request was addressed to is not connected. */
  TARGET_OFFLINE: 'TARGET_OFFLINE',
  /** A frame exceeds the configured maximum size. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** A frame could not be decoded, or decoded to something that is not a valid envelope. */
  INVALID_MESSAGE: 'INVALID_MESSAGE',
  /** The socket is not open, so the frame was not sent. */
  NOT_CONNECTED: 'NOT_CONNECTED',
  /** The client's offline queue is full (`messageQueueSize`), so the frame was not queued. */
  QUEUE_FULL: 'QUEUE_FULL',
  /**
   * A peer read too slowly: more than `maxBufferedAmount` bytes waited to be written to it, so the
   * connection was dropped rather than letting its backlog grow without bound.
   */
  SLOW_CONSUMER: 'SLOW_CONSUMER',
  /** An operation was called in a state that does not allow it (e.g. `listen()` twice). */
  INVALID_STATE: 'INVALID_STATE',
  /** Something failed on the server side (a handler threw, an adapter failed). */
  SERVER_ERROR: 'SERVER_ERROR',
} as const;

/** One of the stable error codes in {@link ErrorCodes}. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Brand that identifies plugsocket errors across duplicate copies of the package. */
const BRAND = Symbol.for('plugsocket:error');

/** Options accepted by {@link PlugSocketError}. */
export interface PlugSocketErrorOptions {
  /** The underlying error, kept for diagnosis; never sent over the wire. */
  cause?: unknown;
}

/** The shape of an error as it crosses the wire: a code and a message, never a stack. */
export interface SerializedError {
  /** One of {@link ErrorCodes} (a receiver treats unknown codes as `SERVER_ERROR`). */
  code: string;
  /** A human-readable description; never branch on it. */
  message: string;
}

/**
 * The one error class of plugsocket. Every failure that is not a programmer mistake (those stay
 * `TypeError` / `RangeError`) is a `PlugSocketError` with a stable {@link ErrorCode}.
 *
 * @example
 * ```ts
 * try { await client.connect(); }
 * catch (err) {
 *   if (PlugSocketError.is(err, 'AUTHENTICATION_FAILED')) showLogin();
 * }
 * ```
 */
export class PlugSocketError extends Error {
  /** The stable machine-readable code. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: PlugSocketErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PlugSocketError';
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /**
   * True when `value` is a plugsocket error (from this or any other copy of the package),
   * optionally with the given code. Prefer this to `instanceof`.
   */
  static is(value: unknown, code?: ErrorCode): value is PlugSocketError {
    if (typeof value !== 'object' || value === null) return false;
    if ((value as Record<symbol, unknown>)[BRAND] !== true) return false;
    return code === undefined || (value as PlugSocketError).code === code;
  }

  /**
   * Wraps anything thrown into a `PlugSocketError`: plugsocket errors pass through unchanged,
   * anything else becomes `fallback` with the original kept as `cause`.
   */
  static from(value: unknown, fallback: ErrorCode = 'SERVER_ERROR'): PlugSocketError {
    if (PlugSocketError.is(value)) return value;
    const message = value instanceof Error ? value.message : String(value);
    return new PlugSocketError(fallback, message, { cause: value });
  }

  /** Rebuilds an error received over the wire. Unknown codes become `SERVER_ERROR`. */
  static fromWire(value: SerializedError): PlugSocketError {
    const code = isErrorCode(value.code) ? value.code : 'SERVER_ERROR';
    return new PlugSocketError(code, value.message);
  }

  /** The wire form: `{ code, message }`, without the stack or cause. */
  toJSON(): SerializedError {
    return { code: this.code, message: this.message };
  }
}

const CODES = new Set<string>(Object.values(ErrorCodes));

/** True when `value` is one of the stable {@link ErrorCodes}. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && CODES.has(value);
}
