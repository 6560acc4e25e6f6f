import { CloseCodes, type CloseInfo } from '../../src/index.js';

/** RFC 6455 §7.1.5: the connection closed cleanly but no status code was given. Never sent. */
const NO_STATUS = 1005;

/**
 * The close code reported for each Socket.IO disconnect reason when the peer did not announce
 * `{ code, reason }` with the reserved close event first (when it did, its code wins). Socket.IO
 * has no close codes, so this table is how the adapter speaks RFC 6455:
 *
 * | Socket.IO reason (side)                       | code | why                                          |
 * | --------------------------------------------- | ---- | -------------------------------------------- |
 * | `client namespace disconnect` (server)        | 1005 | the client left cleanly without a code       |
 * | `server namespace disconnect` (server)        | 1005 | the app called `socket.disconnect()` itself  |
 * | `io server disconnect` (client)               | 1005 | the server left cleanly without a code       |
 * | `io client disconnect` (client)               | 1005 | the app called `socket.disconnect()` itself  |
 * | `server shutting down` (server)               | 1001 | the app called `io.close()`                  |
 * | `transport close` (both)                      | 1006 | the connection dropped without a goodbye     |
 * | `transport error` (both)                      | 1006 | the connection broke                         |
 * | `ping timeout` (both)                         | 1006 | Socket.IO's own heartbeat found it dead      |
 * | `forced close` (both)                         | 1006 | the engine connection was closed underneath  |
 * | `forced server close` (server)                | 1006 | idem, from Socket.IO's `Client`              |
 * | `parse error` (both)                          | 1002 | the peer sent a packet that does not decode  |
 * | anything else                                 | 1006 |                                              |
 */
export const SOCKET_IO_DISCONNECT_CODES: Readonly<Record<string, number>> = Object.freeze({
  'client namespace disconnect': NO_STATUS,
  'server namespace disconnect': NO_STATUS,
  'io server disconnect': NO_STATUS,
  'io client disconnect': NO_STATUS,
  'server shutting down': CloseCodes.GOING_AWAY,
  'transport close': CloseCodes.ABNORMAL,
  'transport error': CloseCodes.ABNORMAL,
  'ping timeout': CloseCodes.ABNORMAL,
  'forced close': CloseCodes.ABNORMAL,
  'forced server close': CloseCodes.ABNORMAL,
  'parse error': CloseCodes.PROTOCOL_ERROR,
});

/**
 * How a connection ended: the `{ code, reason }` the peer announced when there is one, else the
 * code {@link SOCKET_IO_DISCONNECT_CODES} gives the Socket.IO `reason`. The Socket.IO reason then
 * becomes the reason text, so a log line still tells a ping timeout from a dropped transport.
 */
export function closeInfoFor(reason: string, announced: CloseInfo | undefined): CloseInfo {
  if (announced !== undefined) return announced;
  const code = Object.hasOwn(SOCKET_IO_DISCONNECT_CODES, reason)
    ? SOCKET_IO_DISCONNECT_CODES[reason]
    : CloseCodes.ABNORMAL;
  return { code, reason };
}
