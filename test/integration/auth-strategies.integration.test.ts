// The built-in strategies end to end on every shipped transport: the token registry (with
// revocation), query-token and first-frame carriers, a composite of both, an in-band refresh that
// outlives the first token's expiry, and 4419 for one that is not refreshed. Sockets run for real
// on 127.0.0.1; expiries are a few hundred milliseconds, awaited with generous bounds.
import { expect } from 'chai';
import {
  CompositeAuthorization,
  FirstFrameAuthorization,
  PlugSocketError,
  QueryTokenAuthorization,
  SocketClient,
  SocketServer,
  TokenRegistry,
  type AnySchema,
  type AuthorizationStrategy,
  type Handshake,
  type SocketClientOptions,
} from 'plugsocket';
import { TRANSPORTS, waitFor, type TransportUnderTest } from './transports.js';

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(PlugSocketError.is(error), String(error)).to.equal(true);
    return (error as PlugSocketError).code;
  }
  return 'admitted';
}

for (const transport of TRANSPORTS) {
  describe(`built-in strategies over ${transport.name}`, function () {
    this.timeout(20_000);
    const servers: SocketServer<AnySchema, unknown>[] = [];
    const clients: SocketClient[] = [];
    const seen: Handshake[] = [];

    /** Records every handshake the server's strategy is asked about. */
    function recording<P>(strategy: AuthorizationStrategy<P>): AuthorizationStrategy<P> {
      return Object.assign(Object.create(strategy) as AuthorizationStrategy<P>, {
        authorize(handshake: Handshake) {
          seen.push(handshake);
          return strategy.authorize(handshake);
        },
      });
    }

    async function serve<P>(
      t: TransportUnderTest,
      authorization: AuthorizationStrategy<P>,
    ): Promise<{ server: SocketServer<AnySchema, P>; url: string }> {
      const server = new SocketServer<AnySchema, P>(t.createServer(), { authorization });
      servers.push(server as SocketServer<AnySchema, unknown>);
      return { server, url: (await server.listen()).url ?? '' };
    }

    function client(url: string, options: Partial<SocketClientOptions> = {}): SocketClient {
      const c = new SocketClient(transport.createClient(), { url, ...options });
      clients.push(c);
      return c;
    }

    afterEach(async () => {
      seen.length = 0;
      await Promise.all(clients.splice(0).map((c) => c.disconnect().catch(() => undefined)));
      await Promise.all(servers.splice(0).map((s) => s.shutdown()));
    });

    it('TokenRegistry admits a named user by auth token, refuses wrong and missing tokens', async () => {
      const users = new TokenRegistry({ users: { ann: 'tok-ann-1234567890' } });
      const { server, url } = await serve(transport, users);
      const ann = client(url, { auth: { token: 'tok-ann-1234567890' } });
      await ann.connect();
      expect(server.getClient(ann.id ?? '')?.principal).to.equal('ann');
      expect(
        await refusal(client(url, { auth: { token: 'tok-ann-1234567891' } }).connect()),
      ).to.equal('AUTHENTICATION_FAILED');
      expect(await refusal(client(url).connect())).to.equal('AUTHENTICATION_FAILED');
    });

    it('TokenRegistry.removeUser closes that user’s live connections at once, and only theirs', async () => {
      const users = new TokenRegistry({ users: { ann: 'a'.repeat(24), bob: 'b'.repeat(24) } });
      const { server, url } = await serve(transport, users);
      const ann = client(url, { auth: { token: 'a'.repeat(24) } });
      const bob = client(url, { auth: { token: 'b'.repeat(24) } });
      await Promise.all([ann.connect(), bob.connect()]);
      const closes: number[] = [];
      ann.onClose((info) => closes.push(info.code));
      users.removeUser('ann');
      await waitFor(() => closes.length === 1, 5000, 'ann closed');
      expect(closes).to.deep.equal([4401]);
      expect(bob.isConnected).to.equal(true);
      await waitFor(() => server.clientCount === 1, 5000, 'one client left');
      expect(await refusal(client(url, { auth: { token: 'a'.repeat(24) } }).connect())).to.equal(
        'AUTHENTICATION_FAILED',
      );
    });

    it('QueryTokenAuthorization carries the token in the URL to a registry', async () => {
      const users = new TokenRegistry({ users: { ann: 'q'.repeat(24) } });
      const { server, url } = await serve(
        transport,
        recording(new QueryTokenAuthorization({ verifier: users })),
      );
      const ann = client(url, {
        authorization: new QueryTokenAuthorization({ token: () => 'q'.repeat(24) }),
      });
      await ann.connect();
      expect(server.getClient(ann.id ?? '')?.principal).to.equal('ann');
      expect(seen.at(-1)?.query.token).to.equal('q'.repeat(24));
      const wrong = client(url, {
        authorization: new QueryTokenAuthorization({ token: () => 'x'.repeat(24) }),
      });
      expect(await refusal(wrong.connect())).to.equal('AUTHENTICATION_FAILED');
    });

    it('FirstFrameAuthorization sends the credentials in the first frame, never in the URL or headers', async () => {
      const users = new TokenRegistry({ users: { ann: 'f'.repeat(24) } });
      const { server, url } = await serve(
        transport,
        recording(new FirstFrameAuthorization({ verify: users })),
      );
      const ann = client(url, {
        authorization: new FirstFrameAuthorization({
          credentials: () => ({ token: 'f'.repeat(24) }),
        }),
      });
      await ann.connect();
      expect(server.getClient(ann.id ?? '')?.principal).to.equal('ann');
      const handshake = seen.at(-1);
      expect(handshake?.auth).to.deep.equal({ token: 'f'.repeat(24) });
      expect(handshake?.url ?? '').not.to.contain('f'.repeat(24));
      expect(JSON.stringify(handshake?.headers ?? {})).not.to.contain('f'.repeat(24));
      const wrong = client(url, {
        authorization: new FirstFrameAuthorization({ credentials: () => ({ token: 'nope' }) }),
      });
      expect(await refusal(wrong.connect())).to.equal('AUTHENTICATION_FAILED');
      // A client whose first frame is not an auth frame is refused (4401) without being admitted.
      const plain = client(url);
      const pending = plain.connect();
      expect(await refusal(Promise.race([pending, waitForOpenThenSend(plain)]))).to.equal(
        'AUTHENTICATION_FAILED',
      );
      expect(server.clientCount).to.equal(1);
    });

    it('CompositeAuthorization lets the first strategy that recognises the credentials decide', async () => {
      const users = new TokenRegistry({ users: { ann: 'c'.repeat(24) } });
      const { server, url } = await serve(
        transport,
        new CompositeAuthorization<string>([
          new QueryTokenAuthorization({ verifier: users }),
          new FirstFrameAuthorization({ verify: users }),
        ]),
      );
      const byFrame = client(url, {
        authorization: new FirstFrameAuthorization({
          credentials: () => ({ token: 'c'.repeat(24) }),
        }),
      });
      await byFrame.connect();
      expect(server.getClient(byFrame.id ?? '')?.principal).to.equal('ann');
      if (server.adapter.supports.handshakeQuery) {
        const byQuery = client(url, { query: { token: 'c'.repeat(24) } });
        await byQuery.connect();
        expect(server.getClient(byQuery.id ?? '')?.principal).to.equal('ann');
        expect(await refusal(client(url, { query: { token: 'bad' } }).connect())).to.equal(
          'AUTHENTICATION_FAILED',
        );
      }
    });

    it('a refresh before expiry keeps the connection; without one it closes with 4419', async () => {
      const life = 400;
      const strategy: AuthorizationStrategy<string> = {
        applyAuthorization: (o) => o,
        authorize: (h) =>
          typeof h.auth.token === 'string' && h.auth.token.startsWith('ok')
            ? { ok: true, principal: 'ann', expiresAt: Date.now() + life }
            : { ok: false, reason: 'invalid credentials' },
      };
      const { server, url } = await serve(transport, strategy);
      // Not reconnecting: after 4419 a client would come back with fresh credentials, and this
      // strategy takes the old token again.
      const refreshed = client(url, { auth: { token: 'ok-1' }, reconnect: false });
      const lapsed = client(url, { auth: { token: 'ok-1' }, reconnect: false });
      await Promise.all([refreshed.connect(), lapsed.connect()]);
      const lapsedCloses: number[] = [];
      lapsed.onClose((info) => lapsedCloses.push(info.code));
      const refreshedCloses: number[] = [];
      refreshed.onClose((info) => refreshedCloses.push(info.code));
      // Refresh every 150 ms, four times, while the other client lets its token lapse.
      for (let i = 0; i < 4; i++) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        expect(await refreshed.refreshAuthorization({ token: `ok-${i + 2}` })).to.deep.equal({
          left: [],
        });
      }
      await waitFor(() => lapsedCloses.length === 1, 5000, 'lapsed closed');
      expect(lapsedCloses).to.deep.equal([4419]);
      expect(refreshedCloses).to.deep.equal([]);
      expect(refreshed.isConnected).to.equal(true);
      expect(server.clientCount).to.equal(1);
    });

    /** Waits for the transport to open, then sends a message frame as if no auth were needed. */
    async function waitForOpenThenSend(c: SocketClient): Promise<never> {
      await waitFor(() => c.adapter.isOpen, 5000, 'transport open');
      c.adapter.send(JSON.stringify({ k: 'msg', type: 'hello' }));
      return new Promise<never>(() => undefined);
    }
  });
}
