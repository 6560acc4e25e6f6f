// A peer that sends its HTTP request or WebSocket upgrade slowly (a slow-loris) is dropped once
// `upgradeTimeout` passes, on a server of the adapter's own and on the application's, while a
// normal client still connects and Socket.IO long-polling keeps working.
import { expect } from 'chai';
import { once } from 'node:events';
import { createServer, type Server as HttpServer } from 'node:http';
import { connect, type Socket as NetSocket } from 'node:net';
import { io as ioClient } from 'socket.io-client';
import WebSocket from 'ws';
import { SocketIoServer } from '../../adapters/socket.io/index.js';
import { WsSocketServer } from '../../adapters/ws/index.js';

/** The timeout the servers here use: short, so that the tests are. */
const TIMEOUT = 200;
/** How long a test waits for the drop: generous, so that a loaded machine does not fail it. */
const BOUND = 5_000;

/** A raw client that sends the start of an upgrade, then a header byte every 50 ms. */
async function slowLoris(
  port: number,
  path: string,
): Promise<{ socket: NetSocket; closedAfter: Promise<number> }> {
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  const started = Date.now();
  socket.on('error', () => undefined);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nX-Slow: `);
  let writes = 0;
  const drip = setInterval(() => {
    // Bounded: long past the bound, the test fails on its own.
    if (++writes > BOUND / 50 + 20 || socket.destroyed) clearInterval(drip);
    else socket.write('a');
  }, 50);
  const closedAfter = new Promise<number>((resolve, reject) => {
    const limit = setTimeout(() => reject(new Error('the slow request was not dropped')), BOUND);
    socket.once('close', () => {
      clearTimeout(limit);
      clearInterval(drip);
      resolve(Date.now() - started);
    });
  });
  return { socket, closedAfter };
}

async function httpServer(): Promise<{ http: HttpServer; port: number }> {
  const http = createServer((_req, res) => res.end('app'));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { http, port: (http.address() as { port: number }).port };
}

describe('upgradeTimeout: a request or upgrade that does not complete in time is dropped', function () {
  this.timeout(20_000);

  it('ws, own server: a slow upgrade is destroyed after upgradeTimeout; a normal client connects', async () => {
    const server = new WsSocketServer({ port: 0, host: '127.0.0.1', upgradeTimeout: TIMEOUT });
    const { url, port } = await server.listen();
    try {
      const loris = await slowLoris(port!, '/');
      const ok = new WebSocket(url!);
      await once(ok, 'open');
      expect(await loris.closedAfter).to.be.at.least(TIMEOUT - 20);
      // Connected before the timeout passed, and still open after it.
      await new Promise((resolve) => setTimeout(resolve, TIMEOUT + 50));
      expect(ok.readyState).to.equal(WebSocket.OPEN);
      ok.close();
    } finally {
      await server.close();
    }
  });

  it('ws, attached to the application’s http.Server: a slow request is destroyed; the app’s requests and the upgrade path still work', async () => {
    const { http, port } = await httpServer();
    const before = http.listenerCount('connection');
    const server = new WsSocketServer({ server: http, path: '/rt', upgradeTimeout: TIMEOUT });
    await server.listen();
    try {
      const loris = await slowLoris(port, '/rt');
      const ok = new WebSocket(`ws://127.0.0.1:${port}/rt`);
      await once(ok, 'open');
      const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      expect(body).to.equal('app');
      await loris.closedAfter;
      ok.close();
      await server.close();
      // Released: the app's server guards nothing any more.
      expect(http.listenerCount('connection')).to.equal(before);
    } finally {
      await server.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });

  it('Socket.IO, own server: a slow upgrade is destroyed; WebSocket and long-polling clients connect and keep working past the timeout', async () => {
    const server = new SocketIoServer({ port: 0, host: '127.0.0.1', upgradeTimeout: TIMEOUT });
    const { port } = await server.listen();
    const clients = [
      ioClient(`http://127.0.0.1:${port}/`, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
      }),
      ioClient(`http://127.0.0.1:${port}/`, {
        transports: ['polling'],
        forceNew: true,
        reconnection: false,
      }),
    ];
    try {
      const loris = await slowLoris(port!, '/socket.io/?EIO=4&transport=websocket');
      await Promise.all(clients.map((c) => sio(c, 'connect')));
      await loris.closedAfter;
      // Long-polling makes a new request per poll: still served well past the timeout.
      await new Promise((resolve) => setTimeout(resolve, 3 * TIMEOUT));
      const got = clients.map((c) => new Promise((resolve) => c.once('m', resolve)));
      for (const connection of server.connections) server.send(connection, 'late');
      expect(await Promise.all(got)).to.deep.equal(['late', 'late']);
      expect(clients.map((c) => c.connected)).to.deep.equal([true, true]);
    } finally {
      for (const c of clients) c.disconnect();
      await server.close();
    }
  });

  it('Socket.IO, attached to the application’s http.Server: a slow request is destroyed; the listeners are removed on close()', async () => {
    const { http, port } = await httpServer();
    const before = http.listenerCount('connection');
    const server = new SocketIoServer({ server: http, upgradeTimeout: TIMEOUT });
    await server.listen();
    try {
      const loris = await slowLoris(port, '/');
      const client = ioClient(`http://127.0.0.1:${port}/`, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
      });
      await sio(client, 'connect');
      await loris.closedAfter;
      client.disconnect();
      await server.close();
      expect(http.listenerCount('connection')).to.equal(before);
    } finally {
      await server.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });

  it('rejects invalid upgradeTimeout values and accepts Infinity', () => {
    for (const make of [
      (v: unknown) => new WsSocketServer({ upgradeTimeout: v as number }),
      (v: unknown) => new SocketIoServer({ upgradeTimeout: v as number }),
    ]) {
      expect(() => make('10')).to.throw(TypeError);
      expect(() => make(0)).to.throw(RangeError);
      expect(() => make(-1)).to.throw(RangeError);
      expect(() => make(1.5)).to.throw(RangeError);
      expect(() => make(NaN)).to.throw(RangeError);
      expect(() => make(2 ** 31)).to.throw(RangeError);
      expect(() => make(Infinity)).not.to.throw();
      expect(() => make(undefined)).not.to.throw();
    }
    const io = {} as ConstructorParameters<typeof SocketIoServer>[0] & object;
    expect(
      () =>
        new SocketIoServer({ ...(io as object), io: {} as never, upgradeTimeout: 1000 }),
    ).to.throw(TypeError);
  });

  it('rejects invalid maxBufferedAmount values', () => {
    expect(() => new WsSocketServer({ maxBufferedAmount: '1' as unknown as number })).to.throw(
      TypeError,
    );
    expect(() => new WsSocketServer({ maxBufferedAmount: 0 })).to.throw(RangeError);
    expect(() => new SocketIoServer({ maxBufferedAmount: -5 })).to.throw(RangeError);
    expect(() => new SocketIoServer({ maxBufferedAmount: NaN })).to.throw(RangeError);
    expect(() => new WsSocketServer({ maxBufferedAmount: Infinity })).not.to.throw();
  });
});

/** The first `event` of a socket.io-client socket (not a Node EventEmitter), with its argument. */
function sio(
  socket: { once(event: string, listener: (arg: unknown) => void): unknown },
  event: string,
): Promise<unknown> {
  return new Promise((resolve) => socket.once(event, resolve));
}
