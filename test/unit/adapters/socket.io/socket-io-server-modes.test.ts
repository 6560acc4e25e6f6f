import { expect } from 'chai';
import { createServer, type RequestListener } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { Server } from 'socket.io';
import { PlugSocketError } from '../../../../src/index.js';
import {
  DEFAULT_SOCKET_IO_MAX_HTTP_BUFFER_SIZE,
  SocketIoServer,
} from '../../../../adapters/socket.io/index.js';
import {
  closeHttp,
  Fixture,
  HOST,
  httpGet,
  listenHttp,
  rawClient,
  waitFor,
} from './socket-io-test-kit.js';

describe('SocketIoServer modes', () => {
  const fixture = new Fixture();
  afterEach(() => fixture.run());
  const own = (): SocketIoServer => new SocketIoServer({ port: 0, host: HOST });

  describe('on a port of its own', () => {
    it('listens on port 0 and reports the port the OS chose, with the namespace in the url', async () => {
      const server = fixture.server(
        new SocketIoServer({ port: 0, host: HOST, namespace: '/chat' }),
      );
      const address = await server.listen();
      expect(address.port).to.be.a('number').above(0);
      expect(address.host).to.equal(HOST);
      expect(address.url).to.equal(`http://${HOST}:${address.port}/chat`);
    });

    it('serves clients of its namespace and answers other HTTP requests with 404', async () => {
      const { address, client, log } = await fixture.pair(
        new SocketIoServer({ port: 0, host: HOST, namespace: '/chat' }),
      );
      client.send('hello');
      await waitFor(() => log.messages.length === 1, 'the frame');
      expect(log.messages[0].frame).to.equal('hello');
      expect((await httpGet(`http://${HOST}:${address.port}/elsewhere`)).status).to.equal(404);
    });

    it('close() closes every client with 1001 and stops listening on the port', async () => {
      const { server, address, events } = await fixture.pair(own());
      await server.close();
      await waitFor(() => events.closes.length === 1, 'the client close');
      expect(events.closes[0]).to.deep.equal({ code: 1001, reason: 'server shutting down' });
      const refused = await new Promise<string | undefined>((resolve) => {
        const socket = tcpConnect(address.port ?? 0, HOST);
        socket.once('connect', () => {
          socket.destroy();
          resolve(undefined);
        });
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code));
      });
      expect(refused).to.equal('ECONNREFUSED');
    });

    it('rejects listen() with CONNECTION_FAILED when the port is taken, and still closes', async () => {
      const { http, port } = await listenHttp();
      fixture.defer(http, closeHttp);
      const server = fixture.server(new SocketIoServer({ port, host: HOST }));
      const error: unknown = await server.listen().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(PlugSocketError.is(error, 'CONNECTION_FAILED')).to.be.true;
      await server.close();
      expect(server.state).to.equal('closed');
    });

    it('carries every frame of up to 2 MiB by default, however JSON escapes its text (maxHttpBufferSize 13 MiB)', async () => {
      expect(DEFAULT_SOCKET_IO_MAX_HTTP_BUFFER_SIZE).to.equal(13 * 1024 * 1024);
      // Sent back to back, the escaped frames below hold about 20 MiB of encoded packets in the
      // server at once (one is 12 MiB once escaped): over the default maxBufferedAmount, which
      // counts that memory, so this test about transport limits raises it.
      const { client, log, events, server, connection } = await fixture.pair(
        new SocketIoServer({ port: 0, host: HOST, maxBufferedAmount: 64 * 1024 * 1024 }),
      );
      const MIB = 1024 * 1024;
      const frames = [
        '漢'.repeat(MIB),
        '\u0000'.repeat(MIB + 1), // six bytes each once escaped: over the old 4 MiB limit
        '\u0001'.repeat(2 * MIB),
        '"\\'.repeat(MIB),
        'after',
      ];
      for (const frame of frames) {
        expect(client.send(frame)).to.equal(true);
        expect(server.send(connection, frame)).to.equal(true);
      }
      await waitFor(
        () => log.messages.length === frames.length && events.messages.length === frames.length,
        'every frame both ways',
        10_000,
      );
      expect(log.messages.map((m) => m.frame)).to.deep.equal(frames);
      expect(events.messages).to.deep.equal(frames);
      expect(events.closes).to.deep.equal([]);
    });
  });

  describe('attached to an existing http.Server', () => {
    it('serves Socket.IO on it, and close() leaves it listening with its own handlers restored', async () => {
      const { http, port } = await listenHttp((_request, response) => response.end('app'));
      fixture.defer(http, closeHttp);
      const before = {
        request: http.listeners('request'),
        upgrade: http.listeners('upgrade'),
        close: http.listeners('close'),
        listening: http.listeners('listening'),
      };
      const server = fixture.server(new SocketIoServer({ server: http }));
      const { address, events } = await fixture.pair(server);
      expect(address.url).to.equal(`http://${HOST}:${port}/`);
      // While attached, Engine.IO answers its own path; the app keeps the rest.
      expect(
        (await httpGet(`http://${HOST}:${port}/socket.io/?EIO=4&transport=polling`)).body,
      ).to.match(/"sid"/);
      expect((await httpGet(`http://${HOST}:${port}/`)).body).to.equal('app');

      await server.close();
      await waitFor(() => events.closes.length === 1, 'the client close');
      expect(events.closes[0].code).to.equal(1001);
      expect(http.listening).to.be.true;
      expect(http.listeners('request')).to.deep.equal(before.request);
      expect(http.listeners('upgrade')).to.deep.equal(before.upgrade);
      expect(http.listeners('close')).to.deep.equal(before.close);
      expect(http.listeners('listening')).to.deep.equal(before.listening);
      expect(
        (await httpGet(`http://${HOST}:${port}/socket.io/?EIO=4&transport=polling`)).body,
      ).to.equal('app');
    });

    it('keeps request listeners the application added after attaching', async () => {
      const { http, port } = await listenHttp();
      fixture.defer(http, closeHttp);
      const server = fixture.server(new SocketIoServer({ server: http }));
      await server.listen();
      const late: RequestListener = (_request, response) => response.end('late');
      http.on('request', late);
      await server.close();
      expect(http.listeners('request')).to.deep.equal([late]);
      expect((await httpGet(`http://${HOST}:${port}/`)).body).to.equal('late');
    });

    it('reports no url when the http.Server does not listen yet', async () => {
      const http = createServer();
      const server = fixture.server(new SocketIoServer({ server: http }));
      expect(await server.listen()).to.deep.equal({});
    });
  });

  describe('on a namespace of an existing Socket.IO server', () => {
    async function appIo() {
      const { http, port } = await listenHttp();
      const io = new Server(http);
      fixture.defer(io, (i) => i.close());
      io.of('/app').on('connection', (socket) => {
        socket.on('echo', (value: string, ack: (value: string) => void) => ack(value));
      });
      return { io, port };
    }

    it('serves io.of(namespace) and reports its url', async () => {
      const { io, port } = await appIo();
      const { address, client, log } = await fixture.pair(
        new SocketIoServer({ io, namespace: '/plug' }),
      );
      expect(address.url).to.equal(`http://${HOST}:${port}/plug`);
      client.send('hi');
      await waitFor(() => log.messages.length === 1, 'the frame');
      expect(log.messages[0].frame).to.equal('hi');
    });

    it('close() disconnects only its own sockets and leaves io and its other namespaces serving', async () => {
      const { io, port } = await appIo();
      const appSocket = fixture.defer(await rawClient(`http://${HOST}:${port}/app`), (s) =>
        s.disconnect(),
      );
      const server = new SocketIoServer({ io, namespace: '/plug' });
      const { events } = await fixture.pair(server);
      await server.close();
      await waitFor(() => events.closes.length === 1, 'the client close');
      expect(events.closes[0]).to.deep.equal({ code: 1001, reason: 'server shutting down' });
      expect(io.of('/plug').listeners('connection')).to.have.length(0);
      expect(appSocket.connected).to.be.true;
      expect(await appSocket.emitWithAck('echo', 'still here')).to.equal('still here');
      const late = fixture.defer(await rawClient(`http://${HOST}:${port}/app`), (s) =>
        s.disconnect(),
      );
      expect(await late.emitWithAck('echo', 'new')).to.equal('new');
    });
  });
});
