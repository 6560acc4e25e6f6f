import { expect } from 'chai';
import { request, type Server } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { PlugSocketError } from '../../../../src/index.js';
import {
  WS_CAPABILITIES,
  WsSocket,
  WsSocketServer,
  type WsSocketServerOptions,
} from '../../../../adapters/ws/index.js';
import { urlHost } from '../../../../adapters/ws/http-upgrade.js';
import {
  closeHttpServer,
  listeningHttpServer,
  nextEvent,
  Resources,
  upgradeStatus,
} from './ws-test-helpers.js';

function httpGet(port: number, path = '/'): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

describe('WsSocketServer', () => {
  const resources = new Resources();
  afterEach(() => resources.releaseAll());

  function server(options: WsSocketServerOptions = {}): WsSocketServer {
    return resources.track(new WsSocketServer(options), (s) => s.close());
  }

  function socket(): WsSocket {
    return resources.track(new WsSocket(), (s) => s.disconnect());
  }

  async function httpServer(): Promise<{ http: Server; port: number }> {
    const { server: http, port } = await listeningHttpServer();
    resources.track(http, closeHttpServer);
    return { http, port };
  }

  describe('WS_CAPABILITIES', () => {
    it('declares every capability and cannot be changed', () => {
      expect(WS_CAPABILITIES).to.deep.equal({
        binary: true,
        ping: true,
        handshakeHeaders: true,
        handshakeQuery: true,
        handshakeAuth: true,
        remoteAddress: true,
        structured: false,
      });
      expect(Object.isFrozen(WS_CAPABILITIES)).to.equal(true);
      expect(new WsSocketServer().supports).to.equal(WS_CAPABILITIES);
    });
  });

  describe('constructor', () => {
    it('throws TypeError for a path that does not start with a slash', () => {
      expect(() => new WsSocketServer({ path: 'rt' })).to.throw(TypeError);
    });

    it('throws RangeError for a maxPayload that is not a positive integer', () => {
      expect(() => new WsSocketServer({ maxPayload: 0 })).to.throw(RangeError);
    });
  });

  describe('#listen', () => {
    it('resolves with the bound port and a working url when given port 0', async () => {
      const transport = server({ port: 0, host: '127.0.0.1' });
      const address = await transport.listen();
      expect(address.port).to.be.a('number').greaterThan(0);
      expect(address.host).to.equal('127.0.0.1');
      expect(address.url).to.equal(`ws://127.0.0.1:${address.port}/`);
      const connected = nextEvent(transport, 'connection');
      await socket().connect({ url: address.url ?? '' });
      await connected;
    });

    it('uses 127.0.0.1 in the url when no host is given, and includes the path', async () => {
      const address = await server({ path: '/rt' }).listen();
      expect(address.url).to.equal(`ws://127.0.0.1:${address.port}/rt`);
      expect(await upgradeStatus(address.url ?? '')).to.equal(101);
    });

    it('rejects with CONNECTION_FAILED when the port is in use', async () => {
      const { port } = await httpServer();
      const transport = server({ port, host: '127.0.0.1' });
      const error: unknown = await transport.listen().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(PlugSocketError.is(error, 'CONNECTION_FAILED')).to.equal(true);
      await transport.close();
      expect(transport.state).to.equal('closed');
    });
  });

  describe('own server', () => {
    it('answers an upgrade to another path with HTTP 404', async () => {
      const { port } = await server({ path: '/rt' }).listen();
      expect(await upgradeStatus(`ws://127.0.0.1:${port}/other`)).to.equal(404);
    });

    it('matches the path without its query', async () => {
      const transport = server({ path: '/rt' });
      const { port } = await transport.listen();
      const connected = nextEvent(transport, 'connection');
      await socket().connect({ url: `ws://127.0.0.1:${port}/rt?room=1` });
      const [, handshake] = await connected;
      expect(handshake.url).to.equal('/rt?room=1');
    });

    it('answers plain HTTP requests with 426 Upgrade Required', async () => {
      const { port = 0 } = await server().listen();
      expect(await httpGet(port)).to.equal(426);
    });

    it('stops listening on close()', async () => {
      const transport = server();
      const { url = '' } = await transport.listen();
      await transport.close();
      expect(await upgradeStatus(url)).to.equal('error');
    });
  });

  describe('attached to an http.Server', () => {
    it('serves its path while another WebSocket server serves another path of the same server', async () => {
      const { http, port } = await httpServer();
      const transport = server({ server: http, path: '/rt' });
      await transport.listen();
      const other = resources.track(new WebSocketServer({ noServer: true }), (w) => w.close());
      http.on('upgrade', (req, sock, head) => {
        if (req.url === '/other') other.handleUpgrade(req, sock, head, (ws) => ws.send('other'));
      });

      const connected = nextEvent(transport, 'connection');
      await socket().connect({ url: `ws://127.0.0.1:${port}/rt` });
      await connected;

      const raw = resources.track(new WebSocket(`ws://127.0.0.1:${port}/other`), (w) =>
        w.terminate(),
      );
      const [greeting] = await new Promise<[string]>((resolve) =>
        raw.once('message', (data: Buffer) => resolve([data.toString('utf8')])),
      );
      expect(greeting).to.equal('other');
      expect(transport.connections.size).to.equal(1);
    });

    it('leaves upgrades to other paths to the other listeners', async () => {
      const { http, port } = await httpServer();
      const transport = server({ server: http, path: '/rt' });
      await transport.listen();
      let accepted = 0;
      transport.on('connection', () => accepted++);
      const seen: string[] = [];
      http.on('upgrade', (req, sock) => {
        seen.push(req.url ?? '');
        if (req.url === '/elsewhere')
          sock.end('HTTP/1.1 418 I am a teapot\r\nConnection: close\r\n\r\n');
      });

      expect(await upgradeStatus(`ws://127.0.0.1:${port}/elsewhere`)).to.equal(418);
      expect(seen).to.deep.equal(['/elsewhere']);
      expect(accepted).to.equal(0);
    });

    it('lets two servers share one http server at different paths', async () => {
      const { http, port } = await httpServer();
      const a = server({ server: http, path: '/a' });
      const b = server({ server: http, path: '/b' });
      await Promise.all([a.listen(), b.listen()]);
      const toA = nextEvent(a, 'connection');
      const toB = nextEvent(b, 'connection');
      await socket().connect({ url: `ws://127.0.0.1:${port}/a` });
      await socket().connect({ url: `ws://127.0.0.1:${port}/b` });
      expect((await toA)[1].url).to.equal('/a');
      expect((await toB)[1].url).to.equal('/b');
      expect([a.connections.size, b.connections.size]).to.deep.equal([1, 1]);
    });

    it('resolves listen() with the url when the http server already listens', async () => {
      const { http, port } = await httpServer();
      const address = await server({ server: http, path: '/rt' }).listen();
      expect(address).to.deep.equal({ url: `ws://127.0.0.1:${port}/rt`, port, host: '127.0.0.1' });
    });

    it('resolves listen() with no url while the http server does not listen yet', async () => {
      const { createServer } = await import('node:http');
      const http = createServer();
      const address = await server({ server: http }).listen();
      expect(address).to.deep.equal({});
    });

    it('removes its upgrade listener on close() and leaves the http server listening', async () => {
      const { http, port } = await httpServer();
      const before = http.listenerCount('upgrade');
      const transport = server({ server: http, path: '/rt' });
      await transport.listen();
      expect(http.listenerCount('upgrade')).to.equal(before + 1);
      await socket().connect({ url: `ws://127.0.0.1:${port}/rt` });

      await transport.close();

      expect(http.listenerCount('upgrade')).to.equal(before);
      expect(http.listening).to.equal(true);
      expect(await httpGet(port)).to.equal(200);
    });
  });

  describe('urlHost', () => {
    it('brackets IPv6 literals and maps wildcard binds to 127.0.0.1', () => {
      expect(urlHost('::1')).to.equal('[::1]');
      expect(urlHost('::')).to.equal('127.0.0.1');
      expect(urlHost('0.0.0.0')).to.equal('127.0.0.1');
      expect(urlHost('localhost')).to.equal('localhost');
    });
  });
});
