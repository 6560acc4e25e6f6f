import type { CloseInfo } from './types.js';

/**
 * Close codes plugsocket uses. 1000–1015 are RFC 6455's; 4000–4999 are private to plugsocket and
 * documented in `docs/protocol.md`.
 */
export const CloseCodes = {
  /** The purpose of the connection was fulfilled. */
  NORMAL: 1000,
  /** The server is shutting down or the client navigates away. */
  GOING_AWAY: 1001,
  /** The endpoint received data it cannot accept (a protocol error). */
  PROTOCOL_ERROR: 1002,
  /** No close frame was received: the peer vanished or the connection broke. */
  ABNORMAL: 1006,
  /** The message violates the endpoint's policy. */
  POLICY_VIOLATION: 1008,
  /** A frame exceeded the maximum size. */
  MESSAGE_TOO_BIG: 1009,
  /** The server hit an unexpected condition. */
  INTERNAL_ERROR: 1011,
  /** The server cannot take the connection now (too many connections); try again later. */
  TRY_AGAIN_LATER: 1013,
  /** The server did not receive a valid handshake in time. */
  HANDSHAKE_TIMEOUT: 4408,
  /** The credentials were rejected. */
  AUTHENTICATION_FAILED: 4401,
  /** The principal may not connect. */
  UNAUTHORIZED: 4403,
  /** The credentials expired and were not refreshed in time. */
  TOKEN_EXPIRED: 4419,
  /** The client kept sending past its rate limit, or its address failed to authenticate too often. */
  RATE_LIMITED: 4429,
  /** The peer speaks an incompatible protocol version. */
  PROTOCOL_VERSION: 4426,
} as const;

const encoder = new TextEncoder();

/**
 * Throws `RangeError` unless `code` may be sent in a close frame (1000, 1001–1003, 1007–1014 or
 * 3000–4999, as the WebSocket API allows applications) and `reason` fits in 123 bytes of UTF-8.
 */
export function assertValidClose(code: number, reason: string): void {
  if (!Number.isInteger(code) || !isSendableCloseCode(code)) {
    throw new RangeError(`invalid close code ${String(code)}: use 1000 or 3000–4999`);
  }
  if (typeof reason !== 'string') throw new TypeError('close reason must be a string');
  if (reason.length > 41 && encoder.encode(reason).byteLength > 123) {
    throw new RangeError('close reason must be at most 123 bytes of UTF-8');
  }
}

function isSendableCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  return (
    code === 1000 ||
    code === 1001 ||
    code === 1002 ||
    code === 1003 ||
    (code >= 1007 && code <= 1014)
  );
}

/** `{ code, reason }` as a frozen value. */
export function closeInfo(code: number, reason = ''): CloseInfo {
  return Object.freeze({ code, reason });
}
