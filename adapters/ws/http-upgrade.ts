import {
  STATUS_CODES,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { Server as TlsServer } from 'node:tls';
import type { ListenAddress } from '../../src/index.js';

// The HTTP side of a WebSocket server: which upgrades are ours, how refusals are answered, and
// the address clients are told to use.

/**
 * The path of a request target without its query: `/rt?x=1` → `/rt`.
 * @internal
 */
export function pathnameOf(url: string | undefined): string {
  if (url === undefined) return '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * Plain HTTP requests to a server of our own get 426, as a bare ws server answers them.
 * @internal
 */
export function answerPlainRequest(_req: IncomingMessage, res: ServerResponse): void {
  const body = STATUS_CODES[426] ?? '';
  res.writeHead(426, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Answers an upgrade with an HTTP error and closes the socket, as ws does for its own refusals.
 * @internal
 */
export function rejectUpgrade(socket: Duplex, status: number): void {
  // Node removed its own error listener when it handed the socket over for the upgrade.
  socket.on('error', () => socket.destroy());
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = STATUS_CODES[status] ?? '';
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${body}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * The address a listening server reports, with a url clients can connect to.
 * @internal
 */
export function addressOf(
  server: HttpServer | HttpsServer,
  requestedHost: string | undefined,
  path: string,
): ListenAddress {
  const address = server.address();
  // A pipe or a Unix socket has no ws:// url.
  if (address === null || typeof address === 'string') return {};
  const scheme = server instanceof TlsServer ? 'wss' : 'ws';
  return {
    url: `${scheme}://${urlHost(requestedHost ?? address.address)}:${address.port}${path}`,
    port: address.port,
    host: address.address,
  };
}

/**
 * A host as it appears in a url: wildcard binds become loopback, IPv6 literals get brackets.
 * @internal exported for tests.
 */
export function urlHost(host: string): string {
  if (host === '' || host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
