import type { TransportCapabilities } from '../../src/index.js';

/**
 * What the Socket.IO transport can do, on a server and on a Node client: everything the ports
 * describe. `ping` is plugsocket's own probe (a reserved event answered by the client adapter),
 * because Socket.IO's heartbeat cannot be triggered or observed through its public API.
 *
 * A client in a browser cannot set headers on a WebSocket handshake, so there
 * {@link socketIoClientCapabilities} reports `handshakeHeaders: false` unless the first transport
 * is long-polling.
 */
export const SOCKET_IO_CAPABILITIES: TransportCapabilities = Object.freeze({
  binary: true,
  ping: true,
  handshakeHeaders: true,
  handshakeQuery: true,
  handshakeAuth: true,
  remoteAddress: true,
  structured: true,
});

const BROWSER_WEBSOCKET_CAPABILITIES: TransportCapabilities = Object.freeze({
  ...SOCKET_IO_CAPABILITIES,
  handshakeHeaders: false,
});

/**
 * The manifest of a client using `transports`: {@link SOCKET_IO_CAPABILITIES}, except that outside
 * Node headers only reach the server when the first request is a long-polling one
 * (browsers' `WebSocket` takes no headers, and Socket.IO drops `extraHeaders` there).
 */
export function socketIoClientCapabilities(transports: readonly string[]): TransportCapabilities {
  const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  return isNode || transports[0] === 'polling'
    ? SOCKET_IO_CAPABILITIES
    : BROWSER_WEBSOCKET_CAPABILITIES;
}
