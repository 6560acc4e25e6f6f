// The layer contract (SocketServer + SocketClient end to end) on every transport this repository
// ships. The suite is imported the way a third party imports it.
import { BrowserSocket } from 'plugsocket/browser';
import { describeLayerContract } from 'plugsocket/contracts';
import { MEMORY_CAPABILITIES, MemorySocket, MemorySocketServer } from 'plugsocket/memory';
import { SOCKET_IO_CAPABILITIES, SocketIoServer } from 'plugsocket/socket.io';
import { SocketIoSocket } from 'plugsocket/socket.io/client';
import { WS_CAPABILITIES, WsSocket, WsSocketServer } from 'plugsocket/ws';
import { WebSocket } from 'ws';
import { BROWSER_PAIR, browserFacingServer } from './browser-pair.js';

describeLayerContract({
  name: 'memory',
  createServer: () => new MemorySocketServer(),
  createClient: () => new MemorySocket(),
  supports: MEMORY_CAPABILITIES,
});

describeLayerContract({
  name: 'ws',
  createServer: () => new WsSocketServer({ port: 0, host: '127.0.0.1' }),
  createClient: () => new WsSocket(),
  supports: WS_CAPABILITIES,
});

describeLayerContract({
  name: 'socket.io',
  createServer: () => new SocketIoServer({ port: 0, host: '127.0.0.1' }),
  createClient: () => new SocketIoSocket(),
  supports: SOCKET_IO_CAPABILITIES,
});

// The browser transport (BrowserSocket over ws's standard-API class, as in Node 20) against the
// ws server: SocketClient with protocol heartbeats, first-frame or query credentials and resume
// over the handshake query.
describeLayerContract({
  name: 'browser',
  createServer: () => browserFacingServer(),
  createClient: () => new BrowserSocket({ WebSocket }),
  supports: BROWSER_PAIR,
});
