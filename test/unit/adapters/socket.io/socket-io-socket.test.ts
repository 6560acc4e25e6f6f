import { expect } from 'chai';
import sinon from 'sinon';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { Manager } from 'socket.io-client';
import { PlugSocketError, type ServerConnection } from '../../../../src/index.js';
import { SocketIoSocket } from '../../../../adapters/socket.io/client.js';
import {
  SOCKET_IO_CAPABILITIES,
  SOCKET_IO_EVENTS,
  SocketIoServer,
  socketIoClientCapabilities,
} from '../../../../adapters/socket.io/index.js';
import { Cleanup, delay, recordClient, recordServer, waitFor } from './socket-io-test-kit.js';

const HOST = '127.0.0.1';

/** A client whose test can drop the connection the way the base class does on a close timeout. */
class KillableSocket extends SocketIoSocket {
  kill(): void {
    this.doTerminate();
    this.emitClose({ code: 1006, reason: 'killed by the test' });
  }
}

/** A server whose test can drop a connection the way the base class does on a close timeout. */
class KillableServer extends SocketIoServer {
  kill(connection: ServerConnection<Socket>): void {
    this.doTerminateConnection(connection.native);
  }
}

describe('SocketIoSocket', () => {
  const cleanup = new Cleanup();
  afterEach(async () => {
    sinon.restore();
    await cleanup.run();
  });

  async function listening<S extends SocketIoServer>(server: S) {
    cleanup.defer(server, (s) => s.close());
    const log = recordServer(server);
    const { url = '' } = await server.listen();
    return { server, log, url };
  }

  function client<C extends SocketIoSocket>(socket: C): C {
    return cleanup.defer(socket, (s) => s.disconnect());
  }

  describe('supports', () => {
    it('declares the full manifest in Node, whatever the transports', () => {
      expect(new SocketIoSocket().supports).to.deep.equal(SOCKET_IO_CAPABILITIES);
      expect(new SocketIoSocket({ transports: ['polling'] }).supports).to.deep.equal(
        SOCKET_IO_CAPABILITIES,
      );
    });

    it('drops handshakeHeaders outside Node unless the first transport is long-polling', () => {
      const versions = Object.getOwnPropertyDescriptor(process, 'versions');
      if (versions === undefined) throw new Error('process.versions is missing');
      // What a browser bundle with a `process` shim looks like: no `versions.node`.
      Object.defineProperty(process, 'versions', { ...versions, value: {} });
      try {
        expect(socketIoClientCapabilities(['websocket']).handshakeHeaders).to.be.false;
        expect(socketIoClientCapabilities(['polling', 'websocket']).handshakeHeaders).to.be.true;
        expect(socketIoClientCapabilities(['websocket'])).to.deep.include({
          binary: true,
          handshakeAuth: true,
        });
      } finally {
        Object.defineProperty(process, 'versions', versions);
      }
      expect(socketIoClientCapabilities(['websocket']).handshakeHeaders).to.be.true;
    });
  });

  describe('#connect', () => {
    it('rejects with CONNECTION_FAILED where nothing listens', async () => {
      const { server, url } = await listening(new SocketIoServer({ port: 0, host: HOST }));
      await server.close();
      const socket = client(new SocketIoSocket());
      const error: unknown = await socket.connect({ url, timeout: 2_000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(PlugSocketError.is(error, 'CONNECTION_FAILED')).to.be.true;
      expect(socket.state).to.equal('closed');
    });

    it('rejects with CONNECTION_FAILED when disconnect() aborts it, and can connect afterwards', async () => {
      const { url, log } = await listening(new SocketIoServer({ port: 0, host: HOST }));
      const socket = client(new SocketIoSocket());
      const connecting = socket.connect({ url });
      await socket.disconnect();
      const error: unknown = await connecting.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(PlugSocketError.is(error, 'CONNECTION_FAILED')).to.be.true;
      await socket.connect({ url });
      socket.send('after');
      await waitFor(() => log.messages.length === 1, 'the frame');
      expect(log.messages[0].frame).to.equal('after');
    });
  });

  describe('handshake query', () => {
    for (const transports of [['websocket'], ['polling'], ['polling', 'websocket']] as const) {
      it(`sends __proto__, constructor and toString keys as own data (transports: ${transports.join(', ')})`, async () => {
        const { url, log } = await listening(new SocketIoServer({ port: 0, host: HOST }));
        const socket = client(new SocketIoSocket({ transports: [...transports] }));
        const query = JSON.parse('{"__proto__":"p","constructor":"c"}') as Record<string, string>;
        await socket.connect({ url: `${url}?toString=t`, query });
        await waitFor(() => log.connections.length === 1, 'the connection');
        const connection = log.connections[0];
        expect(new Map(Object.entries(connection.handshake.query))).to.deep.equal(
          new Map([
            ['toString', 't'],
            ['__proto__', 'p'],
            ['constructor', 'c'],
          ]),
        );
        if (transports.length === 2) {
          // The upgrade carries the session id: the same engine connection moves to WebSocket.
          await waitFor(
            () => connection.native.conn.transport.name === 'websocket',
            'the upgrade to WebSocket',
          );
        }
        socket.send('still here');
        await waitFor(() => log.messages.length === 1, 'a frame');
      });
    }

    it('takes the first value of a key repeated in the url, and the option over the url', async () => {
      const { url, log } = await listening(new SocketIoServer({ port: 0, host: HOST }));
      const socket = client(new SocketIoSocket());
      await socket.connect({
        url: `${url}?dup=first&dup=second&both=url`,
        query: { both: 'option' },
      });
      await waitFor(() => log.connections.length === 1, 'the connection');
      expect({ ...log.connections[0].handshake.query }).to.deep.equal({
        dup: 'first',
        both: 'option',
      });
    });
  });

  describe('long-polling', () => {
    it('connects, exchanges text and binary, and closes with a code over transports: [polling]', async () => {
      const { url, log } = await listening(
        new SocketIoServer({ port: 0, host: HOST, namespace: '/poll' }),
      );
      const socket = client(new SocketIoSocket({ transports: ['polling'] }));
      const events = recordClient(socket);
      await socket.connect({ url, query: { room: 'r1' } });
      await waitFor(() => log.connections.length === 1, 'the connection');
      const connection = log.connections[0];
      expect(connection.native.conn.transport.name).to.equal('polling');
      expect({ ...connection.handshake.query }).to.deep.equal({ room: 'r1' });
      socket.send('up');
      socket.send(new Uint8Array([1, 2]));
      connection.send('down');
      connection.send(new Uint8Array([3]));
      await waitFor(() => log.messages.length === 2 && events.messages.length === 2, 'four frames');
      expect(log.messages.map((m) => m.frame)).to.deep.equal(['up', new Uint8Array([1, 2])]);
      expect(events.messages).to.deep.equal(['down', new Uint8Array([3])]);
      await socket.disconnect(4000, 'done polling');
      await waitFor(() => log.disconnects.length === 1, 'the server disconnect');
      expect(log.disconnects[0].info).to.deep.equal({ code: 4000, reason: 'done polling' });
    });
    it('ends the engine connection when the server closes over long-polling', async () => {
      const { server, url, log } = await listening(new SocketIoServer({ port: 0, host: HOST }));
      const socket = client(new SocketIoSocket({ transports: ['polling'] }));
      const events = recordClient(socket);
      await socket.connect({ url });
      await waitFor(() => log.connections.length === 1, 'the connection');
      const connection = log.connections[0];
      await server.closeConnection(connection, 4001, 'poll over');
      await waitFor(() => events.closes.length === 1, 'the client close');
      expect(events.closes[0]).to.deep.equal({ code: 4001, reason: 'poll over' });
      await waitFor(
        () => connection.native.conn.readyState === 'closed',
        'the engine connection closed',
      );
    });
  });

  describe('reconnection', () => {
    it('never reconnects on its own after the transport drops', async () => {
      const open = sinon.spy(Manager.prototype, 'open');
      const reconnection = sinon.spy(Manager.prototype, 'reconnection');
      // `reconnect` is private in the typings: Socket.IO calls it when its reconnection is on.
      const reconnect = sinon.spy(
        Manager.prototype as unknown as { reconnect(): void },
        'reconnect',
      );
      const { server, url, log } = await listening(new KillableServer({ port: 0, host: HOST }));
      const socket = client(new SocketIoSocket());
      const events = recordClient(socket);
      await socket.connect({ url });
      await waitFor(() => log.connections.length === 1, 'the connection');
      // A dropped transport ('transport close') is what Socket.IO would reconnect after.
      server.kill(log.connections[0]);
      await waitFor(() => events.closes.length === 1, 'the client close');
      expect(events.closes[0].code).to.equal(1006);
      // Socket.IO's first reconnect attempt comes 500–1500 ms after the drop.
      await delay(1_600);
      expect(reconnection.args, "Socket.IO's own reconnection setting").to.deep.equal([[false]]);
      expect(reconnect.called, 'Manager#reconnect called').to.be.false;
      expect(open.callCount, 'Manager#open calls').to.equal(1);
      expect(log.connections).to.have.length(1);
    });

    it('delivers each frame once after reconnecting the same instance', async () => {
      const { url, log } = await listening(new SocketIoServer({ port: 0, host: HOST }));
      const socket = client(new SocketIoSocket());
      const events = recordClient(socket);
      for (let round = 0; round < 3; round++) {
        await socket.connect({ url });
        await waitFor(() => log.connections.length === round + 1, 'the connection');
        log.connections[round].send(`down ${round}`);
        socket.send(`up ${round}`);
        await waitFor(
          () => events.messages.length === round + 1 && log.messages.length === round + 1,
          'frames',
        );
        await socket.disconnect();
      }
      await delay(50);
      expect(events.messages).to.deep.equal(['down 0', 'down 1', 'down 2']);
      expect(log.messages.map((m) => m.frame)).to.deep.equal(['up 0', 'up 1', 'up 2']);
    });
  });

  describe('frames', () => {
    it('reports INVALID_MESSAGE for a frame event that is neither text nor binary, and stays open', async () => {
      const { url, log } = await listening(new SocketIoServer({ port: 0, host: HOST }));
      const socket = client(new SocketIoSocket());
      const events = recordClient(socket);
      await socket.connect({ url });
      await waitFor(() => log.connections.length === 1, 'the connection');
      log.connections[0].native.emit('m', { not: 'a frame' });
      log.connections[0].send('after');
      await waitFor(() => events.messages.length === 1, 'the valid frame');
      expect(events.errors.map((e) => e.code)).to.deep.equal(['INVALID_MESSAGE']);
      expect(events.messages).to.deep.equal(['after']);
      expect(socket.isOpen).to.be.true;
    });
  });

  describe('#disconnect', () => {
    it('resolves only after its close event, and the server then sees the code', async () => {
      const { url, log } = await listening(new SocketIoServer({ port: 0, host: HOST }));
      const socket = client(new SocketIoSocket());
      const events = recordClient(socket);
      await socket.connect({ url });
      const closing = socket.disconnect(4100, 'see you');
      expect(events.closes, 'close events before the engine closed').to.deep.equal([]);
      await closing;
      expect(events.closes).to.deep.equal([{ code: 4100, reason: 'see you' }]);
      await waitFor(() => log.disconnects.length === 1, 'the server disconnect');
      expect(log.disconnects[0].info).to.deep.equal({ code: 4100, reason: 'see you' });
    });

    it('reports 1006, not its own code, when the transport drops before the server answered', async () => {
      // A plain Socket.IO server that advertises the close handshake, then drops the transport
      // instead of answering the client's close event.
      const http = createServer();
      const io = new Server(http);
      cleanup.defer(io, async (server) => {
        await server.close();
      });
      io.use((peer, next) => {
        peer.emit(SOCKET_IO_EVENTS.ANSWERS_CLOSE);
        next();
      });
      io.on('connection', (peer) => {
        peer.on(SOCKET_IO_EVENTS.CLOSE, () => peer.conn.close());
      });
      await new Promise<void>((resolve) => http.listen(0, HOST, resolve));
      const { port } = http.address() as AddressInfo;
      const socket = client(new SocketIoSocket());
      const events = recordClient(socket);
      await socket.connect({ url: `http://${HOST}:${port}` });
      await socket.disconnect(4100, 'see you');
      expect(events.closes, 'the close the client reports for a close cut short').to.have.length(1);
      expect(events.closes[0].code, 'its code').to.equal(1006);
    });
  });

  describe('when dropped without a close (doTerminate)', () => {
    it('makes the server report 1006', async () => {
      const { url, log } = await listening(new SocketIoServer({ port: 0, host: HOST }));
      const socket = client(new KillableSocket());
      await socket.connect({ url });
      await waitFor(() => log.connections.length === 1, 'the connection');
      socket.kill();
      await waitFor(() => log.disconnects.length === 1, 'the server disconnect');
      expect(log.disconnects[0].info).to.deep.equal({ code: 1006, reason: 'transport close' });
    });
  });
});
