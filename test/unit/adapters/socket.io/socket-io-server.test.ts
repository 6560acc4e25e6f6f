import { expect } from 'chai';
import { createServer } from 'node:http';
import { connect as tcpConnect, type Socket as NetSocket } from 'node:net';
import type { Server, Socket } from 'socket.io';
import { io as ioClient } from 'socket.io-client';
import { SocketClient, SocketServer, type ServerConnection } from '../../../../src/index.js';
import { Server as IoServer } from 'socket.io';
import { WebSocket } from 'ws';
import {
  boundedSocketIoParser,
  MAX_SOCKET_IO_ARGUMENTS,
  MAX_SPREAD_ELEMENTS,
  SOCKET_IO_CAPABILITIES,
  SocketIoServer,
} from '../../../../adapters/socket.io/index.js';
import { SocketIoSocket } from '../../../../adapters/socket.io/client.js';
import {
  closeHttp,
  delay,
  Fixture,
  HOST,
  listenHttp,
  rawClient,
  recordClient,
  recordServer,
  waitFor,
} from './socket-io-test-kit.js';
/** A server whose test can drop a connection the way the base class does on a close timeout. */
class KillableServer extends SocketIoServer {
  kill(connection: ServerConnection<Socket>): void {
    this.doTerminateConnection(connection.native);
  }
}

describe('SocketIoServer', () => {
  const fixture = new Fixture();
  afterEach(() => fixture.run());
  const own = (): SocketIoServer => new SocketIoServer({ port: 0, host: HOST });

  it('declares the full capability manifest, frozen', () => {
    expect(new SocketIoServer().supports).to.equal(SOCKET_IO_CAPABILITIES);
    expect(Object.isFrozen(SOCKET_IO_CAPABILITIES)).to.be.true;
    expect(SOCKET_IO_CAPABILITIES).to.deep.equal({
      binary: true,
      ping: true,
      handshakeHeaders: true,
      handshakeQuery: true,
      handshakeAuth: true,
      remoteAddress: true,
      structured: true,
    });
  });

  it('rejects options that give both io and server, and a namespace without a leading slash', () => {
    const both = { io: {} as Server, server: createServer() };
    expect(() => new SocketIoServer(both as never)).to.throw(TypeError);
    expect(() => new SocketIoServer({ namespace: 'chat' })).to.throw(TypeError);
  });

  describe('handshake', () => {
    it('reports headers, query without Engine.IO parameters, auth, url and remoteAddress', async () => {
      const server = fixture.server(new SocketIoServer({ port: 0, host: HOST }));
      const log = recordServer(server);
      const { url = '' } = await server.listen();
      const client = fixture.client(new SocketIoSocket());
      await client.connect({
        url: `${url}?from=url`,
        headers: { 'X-Tenant': 'acme' },
        query: { room: 'lobby' },
        auth: { token: 'secret', nested: { n: 1 } },
      });
      await waitFor(() => log.connections.length === 1, 'the connection');
      const { handshake } = log.connections[0];
      expect(handshake.headers['x-tenant']).to.equal('acme');
      expect({ ...handshake.query }).to.deep.equal({ from: 'url', room: 'lobby' });
      expect(handshake.auth).to.deep.equal({ token: 'secret', nested: { n: 1 } });
      expect(handshake.url).to.equal('/socket.io/?from=url&room=lobby');
      expect(handshake.remoteAddress).to.equal(HOST);
    });

    it('leaves Engine.IO parameters out of url and query, and lets the first of repeated keys win', async () => {
      const server = fixture.server(new SocketIoServer({ port: 0, host: HOST }));
      const log = recordServer(server);
      const { port } = await server.listen();
      // A raw Engine.IO client, since socket.io-client cannot repeat a key.
      const ws = new WebSocket(
        `ws://${HOST}:${port}/socket.io/?dup=first&EIO=4&dup=second&transport=websocket&a%20b=c%2Bd&__proto__=p`,
      );
      fixture.defer(ws, (socket) => socket.terminate());
      ws.on('message', (data: Buffer) => {
        if (data.toString().startsWith('0')) ws.send('40');
      });
      await waitFor(() => log.connections.length === 1, 'the connection');
      const { handshake } = log.connections[0];
      expect(handshake.url).to.equal('/socket.io/?dup=first&dup=second&a%20b=c%2Bd&__proto__=p');
      expect(new Map(Object.entries(handshake.query))).to.deep.equal(
        new Map([
          ['dup', 'first'],
          ['a b', 'c+d'],
          ['__proto__', 'p'],
        ]),
      );
    });
  });

  describe('closing', () => {
    it('carries the client close code and reason to the server, and the server one to the client', async () => {
      const first = await fixture.pair(own());
      await first.client.disconnect(4001, 'bye');
      await waitFor(() => first.log.disconnects.length === 1, 'the server disconnect');
      expect(first.log.disconnects[0].info).to.deep.equal({ code: 4001, reason: 'bye' });
      expect(first.events.closes).to.deep.equal([{ code: 4001, reason: 'bye' }]);

      const second = await fixture.pair(own());
      await second.server.closeConnection(second.connection, 4002, 'later');
      await waitFor(() => second.events.closes.length === 1, 'the client close');
      expect(second.events.closes[0]).to.deep.equal({ code: 4002, reason: 'later' });
      expect(second.log.disconnects[0].info).to.deep.equal({ code: 4002, reason: 'later' });
    });

    for (const transports of [['websocket'], ['polling']] as const) {
      it(`keeps reading while closing: frames the peer sent before it heard of the close arrive (${transports[0]})`, async () => {
        const frames = Array.from({ length: 50 }, (_, i) => `in flight ${i}`);
        const a = await fixture.pair(own(), new SocketIoSocket({ transports: [...transports] }));
        for (const frame of frames) a.server.send(a.connection, frame);
        await a.client.disconnect(4000, 'bye');
        expect(a.events.messages, 'the closing client').to.deep.equal(frames);
        expect(a.events.closes).to.deep.equal([{ code: 4000, reason: 'bye' }]);
        await waitFor(() => a.log.disconnects.length === 1, 'the server disconnect');
        expect(a.log.disconnects[0].info).to.deep.equal({ code: 4000, reason: 'bye' });

        const b = await fixture.pair(own(), new SocketIoSocket({ transports: [...transports] }));
        for (const frame of frames) b.client.send(frame);
        await b.server.closeConnection(b.connection, 4001, 'later');
        expect(
          b.log.messages.map((m) => m.frame),
          'the closing server',
        ).to.deep.equal(frames);
        expect(b.log.disconnects[0].info).to.deep.equal({ code: 4001, reason: 'later' });
        await waitFor(() => b.events.closes.length === 1, 'the client close');
        expect(b.events.closes).to.deep.equal([{ code: 4001, reason: 'later' }]);
      });
    }

    it('reports each side’s own code when both close at once', async () => {
      const { client, server, connection, events, log } = await fixture.pair(own());
      await Promise.all([
        client.disconnect(4000, 'client'),
        server.closeConnection(connection, 4001, 'server'),
      ]);
      expect(events.closes).to.deep.equal([{ code: 4000, reason: 'client' }]);
      expect(log.disconnects.map((d) => d.info)).to.deep.equal([{ code: 4001, reason: 'server' }]);
    });

    it('closes cleanly when the application closes the connection inside its connection handler', async () => {
      const server = fixture.server(new SocketIoServer({ port: 0, host: HOST }));
      const log = recordServer(server);
      server.onConnection((connection) => void connection.close(4003, 'not today'));
      const { url = '' } = await server.listen();
      const client = fixture.client(new SocketIoSocket());
      const events = recordClient(client);
      await client.connect({ url });
      await waitFor(
        () => events.closes.length === 1 && log.disconnects.length === 1,
        'both sides closed',
      );
      expect(events.closes[0]).to.deep.equal({ code: 4003, reason: 'not today' });
      expect(log.disconnects[0].info).to.deep.equal({ code: 4003, reason: 'not today' });
    });

    it('reports 1006 on both sides when the server drops a connection without closing it', async () => {
      const { server, connection, events, log } = await fixture.pair(
        new KillableServer({ port: 0, host: HOST }),
      );
      server.kill(connection);
      await waitFor(
        () => events.closes.length === 1 && log.disconnects.length === 1,
        'both sides closed',
      );
      expect(events.closes[0].code).to.equal(1006);
      expect(log.disconnects[0].info.code).to.equal(1006);
    });

    it('reports 1005 on both sides when the app disconnects the Socket.IO socket itself', async () => {
      const { connection, events, log } = await fixture.pair(own());
      connection.native.disconnect();
      await waitFor(
        () => events.closes.length === 1 && log.disconnects.length === 1,
        'both sides closed',
      );
      expect(events.closes[0]).to.deep.equal({ code: 1005, reason: 'io server disconnect' });
      expect(log.disconnects[0].info).to.deep.equal({
        code: 1005,
        reason: 'server namespace disconnect',
      });
    });

    it('reports 1005 for a plain Socket.IO client that disconnects, ignoring a close code it may not send', async () => {
      const server = fixture.server(new SocketIoServer({ port: 0, host: HOST }));
      const log = recordServer(server);
      const { url = '' } = await server.listen();
      const socket = fixture.defer(await rawClient(url), (s) => s.disconnect());
      await waitFor(() => log.connections.length === 1, 'the connection');
      socket.emit('c', 1006, 'reserved code');
      socket.disconnect();
      await waitFor(() => log.disconnects.length === 1, 'the server disconnect');
      expect(log.disconnects[0].info).to.deep.equal({
        code: 1005,
        reason: 'client namespace disconnect',
      });
    });

    it('closes promptly a plain Socket.IO client, which never answers c, and tells it the code', async () => {
      const server = fixture.server(new SocketIoServer({ port: 0, host: HOST }));
      const log = recordServer(server);
      const { url = '' } = await server.listen();
      const socket = fixture.defer(await rawClient(url), (s) => s.disconnect());
      await waitFor(() => log.connections.length === 1, 'the connection');
      const announced: unknown[][] = [];
      socket.on('c', (...args: unknown[]) => announced.push(args));
      const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      const started = Date.now();
      await server.closeConnection(log.connections[0], 4001, 'kicked'); // closeTimeout is 5 s
      expect(await gone).to.equal('io server disconnect');
      expect(Date.now() - started, 'close duration').to.be.below(2_000);
      expect(announced).to.deep.equal([[4001, 'kicked']]);
      expect(log.disconnects[0].info).to.deep.equal({ code: 4001, reason: 'kicked' });
    });

    it('disconnects promptly from a plain Socket.IO server, which never answers c, and tells it the code', async () => {
      const { http, port } = await listenHttp();
      const io = new IoServer(http);
      fixture.defer(http, async (h) => {
        await io.close();
        await closeHttp(h);
      });
      const seen: { announced: unknown[][]; reason?: string; query?: unknown } = { announced: [] };
      io.on('connection', (socket) => {
        seen.query = socket.handshake.query['plugsocket-close'];
        // `onAny`: Socket.IO runs `on(event)` listeners a tick later, after the disconnect.
        socket.onAny((event: string, ...args: unknown[]) => {
          if (event === 'c') seen.announced.push(args);
        });
        socket.on('disconnect', (reason) => (seen.reason = reason));
      });
      const client = fixture.client(new SocketIoSocket());
      const events = recordClient(client);
      await client.connect({ url: `http://${HOST}:${port}/` });
      const started = Date.now();
      await client.disconnect(4002, 'bye'); // closeTimeout is 5 s
      expect(Date.now() - started, 'disconnect duration').to.be.below(2_000);
      expect(events.closes).to.deep.equal([{ code: 4002, reason: 'bye' }]);
      await waitFor(() => seen.reason !== undefined, 'the server disconnect');
      expect(seen.query, 'the client advertises that it answers c').to.equal('1');
      expect(seen.announced).to.deep.equal([[4002, 'bye']]);
      expect(seen.reason).to.equal('client namespace disconnect');
    });

    it('reports 1006, not the announced code, when a close times out or is cut short by terminateConnection()', async () => {
      const server = fixture.server(new SocketIoServer({ port: 0, host: HOST, closeTimeout: 200 }));
      const log = recordServer(server);
      const { url = '' } = await server.listen();
      // Plain Socket.IO clients that claim to answer c, and never do.
      const mute = async (): Promise<void> => {
        const socket = ioClient(url, {
          transports: ['websocket'],
          forceNew: true,
          reconnection: false,
          query: { 'plugsocket-close': '1' },
        });
        fixture.defer(socket, (s) => s.disconnect());
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      };
      await mute();
      await mute();
      await waitFor(() => log.connections.length === 2, 'the connections');
      const [timedOut, terminated] = log.connections;
      await server.closeConnection(timedOut, 4001, 'kicked');
      void server.closeConnection(terminated, 4002, 'kicked too');
      server.terminateConnection(terminated);
      const infos = new Map(log.disconnects.map((d) => [d.connection, d.info.code]));
      expect(infos.get(timedOut)).to.equal(1006);
      expect(infos.get(terminated)).to.equal(1006);
    });

    it('close() shares one closeTimeout between its steps, with a peer that advertised the handshake and froze', async () => {
      const closeTimeout = 1_000;
      const server = fixture.server(new SocketIoServer({ port: 0, host: HOST, closeTimeout }));
      const log = recordServer(server);
      const { port } = await server.listen();
      // A bare WebSocket peer that joins the namespace, claiming to answer c, then reads nothing.
      const peer = fixture.defer(tcpConnect(port ?? 0, HOST), (p) => p.destroy());
      peer.on('error', () => undefined);
      const upgraded = new Promise<void>((resolve) => peer.once('data', () => resolve()));
      peer.write(
        'GET /socket.io/?EIO=4&transport=websocket&plugsocket-close=1 HTTP/1.1\r\n' +
          `Host: ${HOST}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      await upgraded;
      // Socket.IO's connect packet "40", as a masked WebSocket text frame (mask 0: bytes as is).
      peer.write(Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0x34, 0x30]));
      await waitFor(() => log.connections.length === 1, 'the connection');
      peer.pause();
      const started = Date.now();
      await server.close();
      // Before, each step waited closeTimeout on its own: about 2 × closeTimeout here.
      expect(Date.now() - started, 'close() duration').to.be.below(closeTimeout * 1.8);
      expect(log.disconnects[0].info.code).to.equal(1006);
    });

    it('lets queued frames and the close reach the client before close() shuts the engine', async () => {
      const { server, connection, events } = await fixture.pair(own());
      const big = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 200; i++) server.send(connection, big);
      await server.close(4010, 'flushed');
      await waitFor(() => events.closes.length === 1, 'the client close');
      expect(events.messages).to.have.length(200);
      expect(events.closes[0]).to.deep.equal({ code: 4010, reason: 'flushed' });
    });

    it('close() settles within about closeTimeout and drops a peer that never answers the closing handshake', async () => {
      const server = fixture.server(new SocketIoServer({ port: 0, host: HOST, closeTimeout: 200 }));
      const { port } = await server.listen();
      // A bare WebSocket peer that completes the upgrade, then ignores everything it receives.
      const peer = fixture.defer(tcpConnect(port ?? 0, HOST), (p) => p.destroy());
      const upgraded = new Promise<void>((resolve) => peer.once('data', () => resolve()));
      peer.write(
        'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n' +
          `Host: ${HOST}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      await upgraded;
      const dropped = new Promise<void>((resolve) => peer.once('close', () => resolve()));
      const started = Date.now();
      await server.close();
      expect(Date.now() - started, 'close() duration').to.be.below(2_000);
      await waitFor(() => peer.destroyed, 'the peer connection dropped', 1_000);
      await dropped;
    });

    it('close() does not wait for peers that sent half a request, or for idle keep-alive connections', async () => {
      const server = fixture.server(own());
      const { port = 0 } = await server.listen();
      const half = fixture.defer(tcpConnect(port, HOST), (p) => p.destroy());
      half.on('error', () => undefined);
      half.resume();
      await new Promise<void>((resolve) => half.once('connect', () => resolve()));
      half.write('GET /socket.io/?EIO=4&transport=websoc'); // and nothing more
      const idle = fixture.defer(tcpConnect(port, HOST), (p) => p.destroy());
      idle.on('error', () => undefined);
      const answered = new Promise<void>((resolve) => idle.once('data', () => resolve()));
      idle.write(`GET /elsewhere HTTP/1.1\r\nHost: ${HOST}\r\nConnection: keep-alive\r\n\r\n`);
      await answered; // a 404, and the connection stays open for the next request
      await delay(50);
      const started = Date.now();
      await server.close(); // closeTimeout is 5 s
      expect(Date.now() - started, 'close() duration').to.be.below(1_000);
      await waitFor(() => half.destroyed && idle.destroyed, 'both peers dropped', 1_000);
      // The port is free again.
      const again = fixture.server(new SocketIoServer({ port, host: HOST }));
      expect((await again.listen()).port).to.equal(port);
    });

    it("ends the connection with 1006 on both sides when Socket.IO's heartbeat times out", async () => {
      const { http } = await listenHttp();
      const netSockets: NetSocket[] = [];
      http.on('connection', (socket: NetSocket) => netSockets.push(socket));
      fixture.defer(http, async (h) => {
        for (const socket of netSockets) socket.destroy();
        await closeHttp(h);
      });
      const server = new SocketIoServer({
        server: http,
        serverOptions: { pingInterval: 50, pingTimeout: 50 },
      });
      const { events, log } = await fixture.pair(server);
      // The server stops reading: its pings go out, the client's pongs are never read.
      for (const socket of netSockets) socket.pause();
      await waitFor(
        () => events.closes.length === 1 && log.disconnects.length === 1,
        'both sides closed',
      );
      expect(log.disconnects[0].info).to.deep.equal({ code: 1006, reason: 'ping timeout' });
      expect(events.closes[0].code).to.equal(1006);
    });
  });

  describe('frames', () => {
    it('carries binary both ways as Uint8Array, views and empty frames included', async () => {
      const { client, server, connection, log, events } = await fixture.pair(own());
      const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
      client.send(bytes.subarray(10, 20));
      client.send(new Uint8Array(0));
      server.send(connection, Buffer.from([1, 2, 3]));
      server.send(connection, bytes.subarray(250));
      await waitFor(() => log.messages.length === 2 && events.messages.length === 2, 'four frames');
      const received = [...log.messages.map((m) => m.frame), ...events.messages];
      for (const frame of received) expect(frame).to.be.instanceOf(Uint8Array);
      expect(received.map((f) => [...(f as Uint8Array)])).to.deep.equal([
        [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
        [],
        [1, 2, 3],
        [250, 251, 252, 253, 254, 255],
      ]);
    });

    it('sends what the bytes were when send(), sendMany() or prepare() returned, not what they became', async () => {
      const { client, server, connection, log, events, address } = await fixture.pair(own());
      const other = fixture.client(new SocketIoSocket());
      const otherEvents = recordClient(other);
      await other.connect({ url: address.url ?? '' });
      await waitFor(() => log.connections.length === 2, 'the second connection');
      const original = Uint8Array.from({ length: 4096 }, (_, i) => i % 251);
      const sent = (): Buffer => Buffer.from(original);
      const up = sent();
      client.send(up);
      up.fill(0);
      const down = sent();
      server.send(connection, down);
      down.fill(0);
      const toOne = sent();
      server.sendMany([connection], toOne); // the recipients' own rooms
      toOne.fill(0);
      const toAll = sent();
      server.sendMany([connection, log.connections[1]], toAll); // the whole namespace
      toAll.fill(0);
      const prepared = sent();
      const frame = server.prepare(prepared);
      prepared.fill(0);
      server.sendPrepared(connection, frame);
      await waitFor(
        () =>
          log.messages.length === 1 &&
          events.messages.length === 4 &&
          otherEvents.messages.length === 1,
        'the frames',
      );
      const bytes = (frames: unknown[]): number[][] => frames.map((f) => [...(f as Uint8Array)]);
      expect(bytes(log.messages.map((m) => m.frame))).to.deep.equal([[...original]]);
      expect(bytes(events.messages)).to.deep.equal(new Array(4).fill([...original]));
      expect(bytes(otherEvents.messages)).to.deep.equal([[...original]]);
    });

    it('reports INVALID_MESSAGE for a frame event that is neither text nor binary, and ignores other events', async () => {
      const server = fixture.server(new SocketIoServer({ port: 0, host: HOST }));
      const log = recordServer(server);
      const { url = '' } = await server.listen();
      const socket = fixture.defer(await rawClient(url), (s) => s.disconnect());
      await waitFor(() => log.connections.length === 1, 'the connection');
      socket.emit('unrelated', 'ignored');
      socket.emit('m', 42);
      socket.emit('m', 'after');
      await waitFor(() => log.messages.length === 1, 'the valid frame');
      expect(log.errors.map((e) => e.code)).to.deep.equal(['INVALID_MESSAGE']);
      expect(log.messages.map((m) => m.frame)).to.deep.equal(['after']);
    });
  });

  describe('pings', () => {
    it("answers a client's ping p with o, and nothing of it reaches the port's listeners", async () => {
      const server = fixture.server(new SocketIoServer({ port: 0, host: HOST }));
      const log = recordServer(server);
      const { url = '' } = await server.listen();
      const socket = fixture.defer(await rawClient(url), (s) => s.disconnect());
      await waitFor(() => log.connections.length === 1, 'the connection');
      let pongs = 0;
      socket.on('o', () => pongs++);
      socket.emit('p');
      socket.emit('p');
      await waitFor(() => pongs === 2, 'two answers');
      socket.emit('m', 'after');
      await waitFor(() => log.messages.length === 1, 'the frame after the pings');
      expect(log.messages.map((m) => m.frame)).to.deep.equal(['after']);
      expect(log.pongs).to.have.length(0);
      expect(log.errors).to.have.length(0);
    });
  });

  describe('structured frames', () => {
    it('carry arrays both ways as event arguments, while text and binary frames stay what they are', async () => {
      const { client, server, connection, log, events } = await fixture.pair(own());
      client.send(['chat', { text: '漢字 👋🏽', n: -1.5, list: [null, true, ['x']] }]);
      client.send('["chat"]');
      client.send(['x']);
      client.send([]);
      server.send(connection, [3, 1, 'abc']);
      server.send(connection, 'x');
      server.send(connection, ['{"k":"msg"}']);
      await waitFor(() => log.messages.length === 4 && events.messages.length === 3, 'the frames');
      expect(log.messages.map((m) => m.frame)).to.deep.equal([
        ['chat', { text: '漢字 👋🏽', n: -1.5, list: [null, true, ['x']] }],
        '["chat"]',
        ['x'],
        [],
      ]);
      expect(events.messages).to.deep.equal([[3, 1, 'abc'], 'x', ['{"k":"msg"}']]);
    });

    it('reach several clients through one room emit in sendMany', async () => {
      const server = fixture.server(own());
      const log = recordServer(server);
      const { url = '' } = await server.listen();
      const clients = [0, 1, 2].map(() => {
        const client = fixture.client(new SocketIoSocket());
        return { client, events: recordClient(client) };
      });
      for (const { client } of clients) await client.connect({ url });
      await waitFor(() => log.connections.length === 3, 'three connections');
      expect(server.sendMany(log.connections.slice(0, 2), ['chat', { n: 1 }])).to.equal(2);
      await waitFor(
        () => clients[0].events.messages.length === 1 && clients[1].events.messages.length === 1,
        'two deliveries',
      );
      expect(clients[0].events.messages).to.deep.equal([['chat', { n: 1 }]]);
      expect(clients[1].events.messages).to.deep.equal([['chat', { n: 1 }]]);
      expect(clients[2].events.messages).to.deep.equal([]);
    });

    it('sendMany reaches exactly the listed sockets, whether they are few or most of the namespace', async () => {
      const server = fixture.server(own());
      const log = recordServer(server);
      const { url = '' } = await server.listen();
      const clients = [0, 1, 2, 3, 4].map(() => {
        const client = fixture.client(new SocketIoSocket());
        return { client, events: recordClient(client) };
      });
      // One at a time, so that connection i is client i's.
      for (const [index, { client }] of clients.entries()) {
        await client.connect({ url });
        await waitFor(() => log.connections.length === index + 1, `connection ${index}`);
      }
      const byIndex = [...log.connections];
      // A plain Socket.IO socket in the namespace, never listed.
      const stranger = fixture.defer(await rawClient(url), (s) => s.disconnect());
      const strangerGot: unknown[] = [];
      stranger.onAny((...args: unknown[]) => void strangerGot.push(args));
      await waitFor(() => log.connections.length === 6, 'the stranger');
      // One of six sockets goes by its room; four and five of six by "all but the others".
      const plans: [number[], string][] = [
        [[1], 'one'],
        [[0, 2, 3, 4], 'most'],
        [[0, 1, 2, 3, 4], 'all'],
      ];
      for (const [indexes, text] of plans) {
        const listed = indexes.map((i) => byIndex[i]);
        expect(server.sendMany(listed, [text])).to.equal(indexes.length);
      }
      await waitFor(
        () => clients.reduce((n, c) => n + c.events.messages.length, 0) === 10,
        'ten deliveries',
      );
      await delay(50);
      expect(clients.map((c) => c.events.messages)).to.deep.equal([
        [['most'], ['all']],
        [['one'], ['all']],
        [['most'], ['all']],
        [['most'], ['all']],
        [['most'], ['all']],
      ]);
      expect(strangerGot).to.deep.equal([]);
    });

    it('sendMany does not reach an unlisted socket that left its own room (an app on its own io may do that)', async () => {
      const { http, port } = await listenHttp();
      fixture.defer(http, closeHttp);
      const io = fixture.defer(new IoServer(http), (i) => i.close());
      const server = fixture.server(new SocketIoServer({ io, namespace: '/rt' }));
      const log = recordServer(server);
      await server.listen();
      const clients = [0, 1, 2].map(() => {
        const client = fixture.client(new SocketIoSocket());
        return { client, events: recordClient(client) };
      });
      for (const [index, { client }] of clients.entries()) {
        await client.connect({ url: `http://${HOST}:${port}/rt` });
        await waitFor(() => log.connections.length === index + 1, `connection ${index}`);
      }
      const leaver = log.connections[2].native;
      await leaver.leave(leaver.id);
      expect(server.sendMany(log.connections.slice(0, 2), ['most'])).to.equal(2);
      await waitFor(
        () => clients[0].events.messages.length === 1 && clients[1].events.messages.length === 1,
        'two deliveries',
      );
      await delay(50);
      expect(clients.map((c) => c.events.messages)).to.deep.equal([[['most']], [['most']], []]);
    });

    it('are the event v (spread) or l (one array) from a plain Socket.IO client, whose acknowledgement callback is left out, and l from the server', async () => {
      const server = fixture.server(own());
      const log = recordServer(server);
      const { url = '' } = await server.listen();
      const socket = fixture.defer(await rawClient(url), (s) => s.disconnect());
      const received: unknown[][] = [];
      socket.on('l', (...args: unknown[]) => received.push(args));
      await waitFor(() => log.connections.length === 1, 'the connection');
      socket.emit('v', 'chat', { a: 1 });
      socket.emit('v', 'chat', { a: 2 }, () => undefined);
      socket.emit('l', ['chat', { a: 3 }]);
      server.send(log.connections[0], ['chat', { b: [1, 2] }]);
      await waitFor(() => log.messages.length === 3 && received.length === 1, 'both ways');
      expect(log.messages.map((m) => m.frame)).to.deep.equal([
        ['chat', { a: 1 }],
        ['chat', { a: 2 }],
        ['chat', { a: 3 }],
      ]);
      // One argument, the frame: whatever Socket.IO appends after it (a recovery offset) is not part of it.
      expect(received).to.deep.equal([[['chat', { b: [1, 2] }]]]);
    });

    it('let a plain Socket.IO client speak the plugsocket protocol with a SocketServer', async () => {
      const transport = own();
      const server = new SocketServer(transport);
      fixture.defer(server, (s) => s.shutdown());
      const got: unknown[] = [];
      server.onMessage((id, message) => {
        got.push(message);
        server.broadcast({ type: 'echo', payload: message.payload, headers: { from: id } });
      });
      const { url = '' } = await server.listen();
      // Listening before connecting: the welcome comes right after Socket.IO's connect.
      const socket = fixture.defer(
        ioClient(url, { transports: ['websocket'], forceNew: true, reconnection: false }),
        (s) => s.disconnect(),
      );
      const frames: unknown[][] = [];
      socket.on('l', (frame: unknown[]) => frames.push(frame));
      await waitFor(() => frames.length === 1, 'the welcome');
      const [kind, version, id] = frames[0];
      expect([kind, version, typeof id]).to.deep.equal([3, 1, 'string']);
      socket.emit('v', 'chat', { text: 'hi' });
      await waitFor(() => frames.length === 2, 'the echo');
      expect(got).to.deep.equal([{ type: 'chat', payload: { text: 'hi' } }]);
      expect(frames[1]).to.deep.equal([0, 'echo', { from: id }, null, { text: 'hi' }]);
      // The text form of protocol v1 still works on the same connection.
      socket.emit('m', JSON.stringify({ k: 'msg', type: 'chat', payload: 2 }));
      socket.emit('v', 'chat');
      await waitFor(() => frames.length === 4, 'the echo and the error');
      expect(frames[2]).to.deep.equal([0, 'echo', { from: id }, null, 2]);
      expect(frames[3][0]).to.equal(6);
      expect((frames[3][1] as { code: string }).code).to.equal('INVALID_MESSAGE');
    });
  });

  describe("with Socket.IO's connection state recovery", () => {
    it('keeps frames intact (Socket.IO appends an offset to server events) and broadcasts by rooms', async () => {
      const transport = new SocketIoServer({
        port: 0,
        host: HOST,
        serverOptions: { connectionStateRecovery: {} },
      });
      const server = new SocketServer(transport);
      fixture.defer(server, (s) => s.shutdown());
      const got: unknown[] = [];
      server.onMessage((id, m) => {
        got.push(m.payload);
        server.broadcast({ type: 'echo', payload: m.payload });
      });
      const { url = '' } = await server.listen();
      const clients = [0, 1, 2].map(() => {
        const client = new SocketClient(new SocketIoSocket(), { url });
        fixture.defer(client, (c) => c.disconnect());
        return client;
      });
      for (const client of clients) await client.connect();
      const echoes: unknown[][] = [[], [], []];
      clients.forEach((client, i) => client.subscribe('echo', (p) => void echoes[i].push(p)));
      clients[0].emit('say', { n: 1 });
      await waitFor(() => echoes.every((e) => e.length === 1), 'the echo to everyone');
      expect(got).to.deep.equal([{ n: 1 }]);
      expect(echoes).to.deep.equal([[{ n: 1 }], [{ n: 1 }], [{ n: 1 }]]);
      server.sendToClient(clients[1].id!, { type: 'echo', payload: 'only' });
      server.broadcast({ type: 'echo', payload: 'most' }, { except: clients[2].id! });
      await waitFor(() => echoes[0].length === 2 && echoes[1].length === 3, 'the last two');
      await delay(50);
      expect(echoes).to.deep.equal([[{ n: 1 }, 'most'], [{ n: 1 }, 'only', 'most'], [{ n: 1 }]]);
    });
  });

  describe('bounds', () => {
    it('sends structured frames of more than 1,024 elements as one argument of the event l, both ways', async () => {
      const { client, server, connection, log, events } = await fixture.pair(own());
      const long = Array.from({ length: 200_000 }, (_, i) => i);
      const edge = Array.from({ length: MAX_SPREAD_ELEMENTS + 1 }, (_, i) => `e${i}`);
      expect(client.send(long)).to.equal(true);
      expect(client.send(edge)).to.equal(true);
      expect(server.send(connection, long)).to.equal(true);
      expect(server.sendMany([connection], edge)).to.equal(1);
      await waitFor(() => log.messages.length === 2 && events.messages.length === 2, 'the frames');
      expect(log.messages.map((m) => m.frame)).to.deep.equal([long, edge]);
      expect(events.messages).to.deep.equal([long, edge]);
      expect(log.errors).to.deep.equal([]);
      expect(events.errors).to.deep.equal([]);
    });

    it('closes only the connection that sends a packet with more arguments than MAX_SOCKET_IO_ARGUMENTS; the process and the others carry on', async () => {
      const server = fixture.server(own());
      const log = recordServer(server);
      const { url = '', port } = await server.listen();
      const bystander = fixture.client(new SocketIoSocket());
      const events = recordClient(bystander);
      await bystander.connect({ url });
      // A hand-written Engine.IO client: 300,000 arguments fit in 600 KB, which Socket.IO would
      // pass to its listeners with apply() and overflow the stack in a nextTick callback.
      const ws = fixture.defer(
        new WebSocket(`ws://${HOST}:${port}/socket.io/?EIO=4&transport=websocket`),
        (w) => w.terminate(),
      );
      let closed = false;
      ws.on('close', () => (closed = true));
      ws.on('message', (data: Buffer) => {
        const text = data.toString();
        if (text.startsWith('0')) ws.send('40');
        else if (text.startsWith('40')) {
          ws.send('42' + JSON.stringify(['v', ...new Array<number>(300_000).fill(0)]));
        }
      });
      await waitFor(() => closed, 'the attacker closed');
      expect(log.messages).to.deep.equal([]);
      expect(log.errors.map((e) => e.message).join()).to.include(
        `at most ${MAX_SOCKET_IO_ARGUMENTS} arguments`,
      );
      server.send(log.connections[0], ['still', 'here']);
      await waitFor(() => events.messages.length === 1, 'the bystander served');
      expect(events.messages).to.deep.equal([['still', 'here']]);
    });

    it('reports INVALID_MESSAGE for an event l that does not carry an array', async () => {
      const server = fixture.server(own());
      const log = recordServer(server);
      const { url = '' } = await server.listen();
      const socket = fixture.defer(await rawClient(url), (s) => s.disconnect());
      await waitFor(() => log.connections.length === 1, 'the connection');
      socket.emit('l', 'not an array');
      socket.emit('l', [1, 2]);
      await waitFor(() => log.messages.length === 1, 'the valid frame');
      expect(log.errors.map((e) => e.code)).to.deep.equal(['INVALID_MESSAGE']);
      expect(log.messages.map((m) => m.frame)).to.deep.equal([[1, 2]]);
    });

    it('offers its bounded parser for an io server of your own, refusing over-long packets there too', async () => {
      const { http, port } = await listenHttp();
      fixture.defer(http, closeHttp);
      const io = fixture.defer(new IoServer(http, { parser: boundedSocketIoParser }), (i) =>
        i.close(),
      );
      const server = fixture.server(new SocketIoServer({ io, namespace: '/rt' }));
      const log = recordServer(server);
      await server.listen();
      const client = fixture.client(new SocketIoSocket());
      await client.connect({ url: `http://${HOST}:${port}/rt` });
      await waitFor(() => log.connections.length === 1, 'the connection');
      client.send(['ok']);
      await waitFor(() => log.messages.length === 1, 'a frame');
      const decoder = new boundedSocketIoParser.Decoder();
      const packet = (args: number): string =>
        '2' + JSON.stringify(['v', ...new Array<number>(args - 1).fill(0)]); // an EVENT packet
      expect(() => decoder.add(packet(MAX_SOCKET_IO_ARGUMENTS))).not.to.throw();
      expect(() => decoder.add(packet(MAX_SOCKET_IO_ARGUMENTS + 1))).to.throw(
        RangeError,
        `at most ${MAX_SOCKET_IO_ARGUMENTS} arguments`,
      );
    });
  });

  describe('#ping', () => {
    it('is answered by a pong from the plugsocket client', async () => {
      const { server, connection, log } = await fixture.pair(own());
      expect(server.ping(connection)).to.be.true;
      await waitFor(() => log.pongs.length === 1, 'the pong');
      expect(log.pongs[0]).to.equal(connection);
    });
  });
});
