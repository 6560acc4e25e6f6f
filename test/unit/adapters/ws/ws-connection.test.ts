import { expect } from 'chai';
import { WebSocket } from 'ws';
import { PlugSocketError, type ServerConnection } from '../../../../src/index.js';
import {
  encodeAuthHeader,
  WsSocket,
  WsSocketServer,
  type WsSocketOptions,
  type WsSocketServerOptions,
} from '../../../../adapters/ws/index.js';
import { collect, nextEvent, Resources } from './ws-test-helpers.js';

// What crosses a real ws connection between WsSocketServer and WsSocket (or a raw ws peer).
describe('ws transport connection', () => {
  const resources = new Resources();
  afterEach(() => resources.releaseAll());

  async function listen(
    options: WsSocketServerOptions = {},
  ): Promise<{ server: WsSocketServer; url: string }> {
    const server = resources.track(
      new WsSocketServer({ host: '127.0.0.1', ...options } as WsSocketServerOptions),
      (s) => s.close(),
    );
    const { url = '' } = await server.listen();
    return { server, url };
  }

  function socket(options?: WsSocketOptions): WsSocket {
    return resources.track(new WsSocket(options), (s) => s.disconnect());
  }

  async function pair(
    serverOptions: WsSocketServerOptions = {},
    clientOptions?: WsSocketOptions,
  ): Promise<{
    server: WsSocketServer;
    client: WsSocket;
    connection: ServerConnection<WebSocket>;
  }> {
    const { server, url } = await listen(serverOptions);
    const connected = nextEvent(server, 'connection');
    const client = socket(clientOptions);
    await client.connect({ url });
    const [connection] = await connected;
    return { server, client, connection };
  }

  function rawClient(url: string, headers?: Record<string, string>): Promise<WebSocket> {
    const raw = resources.track(new WebSocket(url, { headers }), (w) => w.terminate());
    return new Promise((resolve, reject) => {
      raw.once('open', () => resolve(raw));
      raw.once('error', reject);
    });
  }

  describe('handshake', () => {
    it('carries the headers, query, auth and remote address the client sent', async () => {
      const { server, url } = await listen({ path: '/rt' });
      const connected = nextEvent(server, 'connection');
      await socket().connect({
        url: `${url}?room=lobby&x=url`,
        headers: { 'X-Tenant': 'acme' },
        query: { x: 'option', lang: 'fr' },
        auth: { token: 'sëcret', nested: { n: 1 } },
      });
      const [, handshake] = await connected;
      expect(handshake.headers['x-tenant']).to.equal('acme');
      expect(handshake.query).to.deep.equal({ room: 'lobby', x: 'option', lang: 'fr' });
      expect(handshake.url.startsWith('/rt?')).to.equal(true);
      expect(handshake.auth).to.deep.equal({ token: 'sëcret', nested: { n: 1 } });
      expect(handshake.remoteAddress).to.be.oneOf(['127.0.0.1', '::ffff:127.0.0.1']);
    });

    it('reads auth sent by a raw WebSocket client in the x-plugsocket-auth header', async () => {
      const { server, url } = await listen();
      const connected = nextEvent(server, 'connection');
      await rawClient(url, { 'x-plugsocket-auth': encodeAuthHeader({ user: 'ana' }) });
      const [, handshake] = await connected;
      expect(handshake.auth).to.deep.equal({ user: 'ana' });
    });

    it('gives an empty auth object when the client sent none', async () => {
      const { connection } = await pair();
      expect(connection.handshake.auth).to.deep.equal({});
    });

    for (const [name, value] of [
      ['not base64url', 'e30=!*'],
      ['not JSON', Buffer.from('{nope', 'utf8').toString('base64url')],
      ['a JSON array', Buffer.from('[1]', 'utf8').toString('base64url')],
      ['empty', ''],
    ] as const) {
      it(`refuses an x-plugsocket-auth header that is ${name}, failing the connect with CONNECTION_FAILED`, async () => {
        const { server, url } = await listen();
        let accepted = 0;
        server.on('connection', () => accepted++);
        const error: unknown = await socket()
          .connect({ url, headers: { 'x-plugsocket-auth': value } })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(PlugSocketError.is(error, 'CONNECTION_FAILED')).to.equal(true);
        expect(((error as PlugSocketError).cause as { status?: number }).status).to.equal(400);
        expect(accepted).to.equal(0);
      });
    }
  });

  describe('frames', () => {
    const text = 'héllo ✓ 🚀';
    const bytes = [0, 1, 127, 128, 255];

    it('delivers a text frame as a string and a binary one as a Uint8Array from client to server', async () => {
      const { server, client } = await pair();
      const received = collect(server, 'message', 2);
      client.send(text);
      client.send(new Uint8Array(bytes));
      const [[, first], [, second]] = await received;
      expect(first).to.equal(text);
      expect(second).to.be.instanceOf(Uint8Array);
      expect(Array.from(second as Uint8Array)).to.deep.equal(bytes);
    });

    it('delivers a text frame as a string and a binary one as a Uint8Array from server to client', async () => {
      const { server, client, connection } = await pair();
      const received = collect(client, 'message', 2);
      server.send(connection, text);
      server.send(connection, new Uint8Array(bytes).subarray(1));
      const [[first], [second]] = await received;
      expect(first).to.equal(text);
      expect(second).to.be.instanceOf(Uint8Array);
      expect(Array.from(second as Uint8Array)).to.deep.equal(bytes.slice(1));
    });

    it('sends text frames as text and binary frames as binary on the wire', async () => {
      const { server, url } = await listen();
      const connected = nextEvent(server, 'connection');
      const raw = await rawClient(url);
      const [connection] = await connected;
      const kinds = new Promise<boolean[]>((resolve) => {
        const seen: boolean[] = [];
        raw.on('message', (_data, isBinary) => {
          if (seen.push(isBinary) === 2) resolve(seen);
        });
      });
      server.send(connection, 'a');
      server.send(connection, new Uint8Array([1]));
      expect(await kinds).to.deep.equal([false, true]);
    });
  });

  describe('bytes changed after send() returned', () => {
    // 3 MiB each: more than the socket takes at once, so ws queues the rest of the writes.
    const SIZE = 3 * 1024 * 1024;
    const intact = (frame: unknown, value: number): boolean =>
      (frame as Uint8Array).length === SIZE && (frame as Uint8Array).every((b) => b === value);

    it('do not change what the server sends with send() or sendMany(), however long the write queue', async () => {
      const { server, client, connection } = await pair();
      const received = collect(client, 'message', 4);
      const sent = [1, 2, 3].map((value) => Buffer.alloc(SIZE, value));
      for (const bytes of sent) server.send(connection, bytes);
      const many = Buffer.alloc(SIZE, 4);
      server.sendMany([connection], many);
      for (const bytes of [...sent, many]) bytes.fill(0);
      const frames = (await received).map(([frame]) => frame);
      expect(frames.map((frame, i) => intact(frame, i + 1))).to.deep.equal([
        true,
        true,
        true,
        true,
      ]);
    });

    it('do not change what the client sends, with permessage-deflate compressing later', async () => {
      const { server, client } = await pair(
        { perMessageDeflate: true },
        { wsOptions: { perMessageDeflate: true } },
      );
      const received = collect(server, 'message', 3);
      const sent = [1, 2, 3].map((value) => Buffer.alloc(SIZE, value));
      for (const bytes of sent) client.send(bytes);
      for (const bytes of sent) bytes.fill(0);
      const frames = (await received).map(([, frame]) => frame);
      expect(frames.map((frame, i) => intact(frame, i + 1))).to.deep.equal([true, true, true]);
    });
  });

  describe('#prepare / #sendPrepared', () => {
    it('broadcasts one prepared text frame and one binary frame intact to every client', async () => {
      const { server, url } = await listen();
      const connections = collect(server, 'connection', 3);
      const clients = [socket(), socket(), socket()];
      await Promise.all(clients.map((c) => c.connect({ url })));
      const inboxes = clients.map((c) => collect(c, 'message', 2));
      const textFrame = server.prepare('{"type":"news","text":"ünïcode ✓"}');
      const binaryFrame = server.prepare(new Uint8Array([9, 8, 7]));
      for (const [connection] of await connections) {
        expect(server.sendPrepared(connection, textFrame)).to.equal(true);
        expect(server.sendPrepared(connection, binaryFrame)).to.equal(true);
      }
      for (const inbox of inboxes) {
        const [[first], [second]] = await inbox;
        expect(first).to.equal('{"type":"news","text":"ünïcode ✓"}');
        expect(second).to.be.instanceOf(Uint8Array);
        expect(Array.from(second as Uint8Array)).to.deep.equal([9, 8, 7]);
      }
    });
  });

  describe('#ping', () => {
    it('emits pong when the client answers', async () => {
      const { server, connection } = await pair();
      const pong = nextEvent(server, 'pong');
      expect(server.ping(connection)).to.equal(true);
      const [from] = await pong;
      expect(from).to.equal(connection);
    });
  });

  describe('disconnect', () => {
    it('reports 1006 when a client vanishes without a close frame', async () => {
      const { server, url } = await listen();
      const connected = nextEvent(server, 'connection');
      const raw = await rawClient(url);
      await connected;
      const gone = nextEvent(server, 'disconnect');
      raw.terminate();
      const [, info] = await gone;
      expect(info.code).to.equal(1006);
    });

    it('reports 1005 when a client closes without a code', async () => {
      const { server, url } = await listen();
      const connected = nextEvent(server, 'connection');
      const raw = await rawClient(url);
      await connected;
      const gone = nextEvent(server, 'disconnect');
      raw.close();
      const [, info] = await gone;
      expect(info).to.deep.equal({ code: 1005, reason: '' });
    });

    it('passes the code and reason in both directions', async () => {
      const { server, client, connection } = await pair();
      const serverSide = nextEvent(server, 'disconnect');
      const clientSide = nextEvent(client, 'close');
      await server.closeConnection(connection, 4001, 'bÿe');
      expect((await serverSide)[1]).to.deep.equal({ code: 4001, reason: 'bÿe' });
      expect((await clientSide)[0]).to.deep.equal({ code: 4001, reason: 'bÿe' });
    });
  });

  describe('maxPayload', () => {
    it('reports PAYLOAD_TOO_LARGE on the server and closes the client with 1009 when a frame exceeds the server limit', async () => {
      const { server, client, connection } = await pair({ maxPayload: 8 });
      const failed = nextEvent(server, 'error');
      const closed = nextEvent(client, 'close');
      client.send('123456789');
      const [from, error] = await failed;
      expect(from).to.equal(connection);
      expect(error.code).to.equal('PAYLOAD_TOO_LARGE');
      expect((await closed)[0].code).to.equal(1009);
    });

    it('reports PAYLOAD_TOO_LARGE on the client and closes with 1009 when a frame exceeds the client limit', async () => {
      const { server, client, connection } = await pair({}, { maxPayload: 8 });
      const failed = nextEvent(client, 'error');
      const gone = nextEvent(server, 'disconnect');
      server.send(connection, new Uint8Array(9));
      expect((await failed)[0].code).to.equal('PAYLOAD_TOO_LARGE');
      expect((await gone)[1].code).to.equal(1009);
    });
  });
});
