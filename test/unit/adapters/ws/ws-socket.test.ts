import { expect } from 'chai';
import type { IncomingMessage } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { PlugSocketError } from '../../../../src/index.js';
import { WS_CAPABILITIES, WsSocket, WsSocketServer } from '../../../../adapters/ws/index.js';
import { closedPort, collect, nextEvent, Resources } from './ws-test-helpers.js';

function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('WsSocket', () => {
  const resources = new Resources();
  afterEach(() => resources.releaseAll());

  function socket(): WsSocket {
    return resources.track(new WsSocket(), (s) => s.disconnect());
  }

  /** A raw ws server, to see exactly what the client puts on the wire. */
  async function rawServer(): Promise<{
    wss: WebSocketServer;
    url: string;
    next: () => Promise<[WebSocket, IncomingMessage]>;
  }> {
    const wss = resources.track(new WebSocketServer({ port: 0, host: '127.0.0.1' }), (w) => {
      for (const client of w.clients) client.terminate();
      return new Promise<void>((resolve) => w.close(() => resolve()));
    });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    const { port } = wss.address() as AddressInfo;
    const next = () =>
      new Promise<[WebSocket, IncomingMessage]>((resolve) =>
        wss.once('connection', (ws, req) => resolve([ws, req])),
      );
    return { wss, url: `ws://127.0.0.1:${port}/rt`, next };
  }

  it('declares WS_CAPABILITIES', () => {
    expect(new WsSocket().supports).to.equal(WS_CAPABILITIES);
  });

  it('throws RangeError for a maxPayload that is not a positive integer', () => {
    expect(() => new WsSocket({ maxPayload: -1 })).to.throw(RangeError);
  });

  describe('#connect', () => {
    it('rejects with CONNECTION_FAILED when nothing listens on the port', async () => {
      const port = await closedPort();
      const client = socket();
      const error = await rejection(
        client.connect({ url: `ws://127.0.0.1:${port}/`, timeout: 2_000 }),
      );
      expect(PlugSocketError.is(error, 'CONNECTION_FAILED')).to.equal(true);
      expect(client.state).to.equal('closed');
    });

    it('rejects with CONNECTION_FAILED for a url that is not a WebSocket url', async () => {
      const error = await rejection(socket().connect({ url: 'ftp://127.0.0.1/' }));
      expect(PlugSocketError.is(error, 'CONNECTION_FAILED')).to.equal(true);
    });

    it('rejects with CONNECTION_FAILED carrying the HTTP status when the server refuses the upgrade, and emits no error afterwards', async () => {
      const server = resources.track(new WsSocketServer({ host: '127.0.0.1', path: '/rt' }), (s) =>
        s.close(),
      );
      const { port } = await server.listen();
      const client = socket();
      const errors: PlugSocketError[] = [];
      client.on('error', (e) => errors.push(e));
      const error = await rejection(client.connect({ url: `ws://127.0.0.1:${port}/nope` }));
      expect(PlugSocketError.is(error, 'CONNECTION_FAILED')).to.equal(true);
      expect(((error as PlugSocketError).cause as { status?: number }).status).to.equal(404);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(errors).to.deep.equal([]);
    });

    it('merges query into the url query, the option winning over the url', async () => {
      const { url, next } = await rawServer();
      const accepted = next();
      await socket().connect({ url: `${url}?a=1&b=url`, query: { b: 'option', c: 'x y' } });
      const [, req] = await accepted;
      const query = new URL(req.url ?? '', 'ws://x').searchParams;
      expect(Object.fromEntries(query)).to.deep.equal({ a: '1', b: 'option', c: 'x y' });
    });

    it('sends headers, and auth as the base64url JSON x-plugsocket-auth header', async () => {
      const { url, next } = await rawServer();
      const accepted = next();
      await socket().connect({
        url,
        headers: { 'x-trace': 't1' },
        auth: { token: 'ä', n: [1, 2] },
      });
      const [, req] = await accepted;
      expect(req.headers['x-trace']).to.equal('t1');
      const header = req.headers['x-plugsocket-auth'] as string;
      expect(header).to.match(/^[A-Za-z0-9_-]+$/);
      expect(JSON.parse(Buffer.from(header, 'base64url').toString('utf8'))).to.deep.equal({
        token: 'ä',
        n: [1, 2],
      });
    });

    it('sends no auth header when no auth is given, and does not offer permessage-deflate', async () => {
      const { url, next } = await rawServer();
      const accepted = next();
      await socket().connect({ url });
      const [, req] = await accepted;
      expect(req.headers).to.not.have.property('x-plugsocket-auth');
      expect(req.headers).to.not.have.property('sec-websocket-extensions');
    });
  });

  describe('reconnecting', () => {
    it('delivers each frame exactly once after connecting again on the same instance', async () => {
      const { url, next } = await rawServer();
      const client = socket();
      for (let round = 0; round < 3; round++) {
        const accepted = next();
        await client.connect({ url });
        const [peer] = await accepted;
        const inbox = collect(client, 'message', 2);
        const seen: unknown[] = [];
        const record = (frame: unknown) => seen.push(frame);
        client.on('message', record);
        peer.send(`frame ${round}`);
        peer.send('end');
        await inbox;
        client.off('message', record);
        expect(seen).to.deep.equal([`frame ${round}`, 'end']);
        await client.disconnect();
      }
    });

    it('gives up the native socket of a timed-out connect: no late error, and the next connect works', async () => {
      // A TCP server that accepts and never answers the upgrade request.
      const silent = resources.track(createNetServer(), (srv) => {
        return new Promise<void>((resolve) => srv.close(() => resolve()));
      });
      const held: Socket[] = [];
      silent.on('connection', (sock) => held.push(sock));
      resources.track(held, (list) => list.forEach((sock) => sock.destroy()));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const { port } = silent.address() as AddressInfo;

      const client = socket();
      const errors: PlugSocketError[] = [];
      client.on('error', (e) => errors.push(e));
      const error = await rejection(
        client.connect({ url: `ws://127.0.0.1:${port}/`, timeout: 200 }),
      );
      expect(PlugSocketError.is(error, 'CONNECTION_FAILED')).to.equal(true);

      const { url, next } = await rawServer();
      const accepted = next();
      await client.connect({ url });
      const [peer] = await accepted;
      const inbox = nextEvent(client, 'message');
      peer.send('hi');
      expect(await inbox).to.deep.equal(['hi']);
      expect(errors).to.deep.equal([]);
    });
  });

  describe('closing', () => {
    it('reports the code and reason the server sent, and 1006 when the server vanished', async () => {
      const { url, next } = await rawServer();
      const client = socket();
      let accepted = next();
      await client.connect({ url });
      let closed = nextEvent(client, 'close');
      (await accepted)[0].close(4100, 'ciao');
      expect(await closed).to.deep.equal([{ code: 4100, reason: 'ciao' }]);

      accepted = next();
      await client.connect({ url });
      closed = nextEvent(client, 'close');
      (await accepted)[0].terminate();
      expect((await closed)[0].code).to.equal(1006);
    });
  });
});
