// Admission under attack and in-band credentials: first-frame authentication, refresh, expiry,
// revocation, failed-authentication throttling, connection caps and bytes held before admission.
import { expect } from 'chai';
import type sinon from 'sinon';
import {
  CloseCodes,
  type AuthorizationResult,
  type AuthorizationStrategy,
  type Handshake,
} from '../../../src/index.js';
import {
  RawClient,
  cleanUp,
  connectClient,
  deferred,
  expectCode,
  flush,
  newClient,
  rejectionOf,
  startServer,
  useFakeClock,
} from '../support.js';

/** A strategy over a token → principal table, reading `auth.token`; `exp` per token optional. */
function tableStrategy(
  table: Record<string, { user: string; expiresAt?: number }>,
  extra: Partial<AuthorizationStrategy<string>> = {},
): AuthorizationStrategy<string> & { calls: Handshake[] } {
  const calls: Handshake[] = [];
  return {
    calls,
    applyAuthorization: (o) => o,
    authorize(handshake): AuthorizationResult<string> {
      calls.push(handshake);
      const token = handshake.auth.token;
      const entry =
        typeof token === 'string' && Object.hasOwn(table, token) ? table[token] : undefined;
      if (entry === undefined) return { ok: false, reason: 'invalid credentials' };
      return entry.expiresAt === undefined
        ? { ok: true, principal: entry.user }
        : { ok: true, principal: entry.user, expiresAt: entry.expiresAt };
    },
    ...extra,
  };
}

const firstFrameClient = (token: unknown): AuthorizationStrategy => ({
  applyAuthorization: (o) => o,
  authorize: () => ({ ok: false, reason: 'client side only' }),
  firstFrame: true,
  credentials: () => ({ token }),
});

describe('admission security', () => {
  let clock: sinon.SinonFakeTimers | undefined;
  afterEach(async () => {
    clock?.restore();
    clock = undefined;
    await cleanUp();
  });

  describe('first-frame authentication', () => {
    const serverStrategy = () =>
      tableStrategy({ good: { user: 'ann' } }, { expectsFirstFrame: () => true });

    it('admits a client whose first frame carries valid credentials, which never travel in the URL', async () => {
      const strategy = serverStrategy();
      const { server, url } = await startServer({ authorization: strategy });
      const client = await connectClient(url, { authorization: firstFrameClient('good') });
      expect(client.isConnected).to.equal(true);
      expect(server.getClient(client.id ?? '')?.principal).to.equal('ann');
      expect(strategy.calls).to.have.length(1);
      expect(strategy.calls[0].auth).to.deep.equal({ token: 'good' });
      expect(strategy.calls[0].url).not.to.contain('good');
      // Only the request for a resumable session: no credential in the URL.
      expect(strategy.calls[0].query).to.deep.equal({ 'plugsocket-resume': 'new' });
      // The admitted client's handshake does not keep the credentials.
      expect(server.getClient(client.id ?? '')?.handshake.auth).to.deep.equal({});
    });

    it('refuses wrong credentials with 4401: connect() rejects AUTHENTICATION_FAILED', async () => {
      const { server, url } = await startServer({ authorization: serverStrategy() });
      const client = newClient(url, { authorization: firstFrameClient('bad') });
      expectCode(await rejectionOf(client.connect()), 'AUTHENTICATION_FAILED');
      expect(server.clientCount).to.equal(0);
    });

    it('closes with 4401 a client whose first frame is not an auth frame, without admitting it', async () => {
      const { server, url } = await startServer({ authorization: serverStrategy() });
      const raw = await new RawClient().open(url);
      raw.sendJson({ k: 'msg', type: 'hello', payload: 1 });
      await flush();
      await flush();
      expect(raw.closes.map((c) => c.code)).to.deep.equal([CloseCodes.AUTHENTICATION_FAILED]);
      expect(raw.ofKind('welcome')).to.deep.equal([]);
      expect(server.clientCount).to.equal(0);
    });

    it('closes with 4401 a first frame that does not decode, and with 1008 one over maxPendingBytes', async () => {
      const { url } = await startServer({ authorization: serverStrategy(), maxPendingBytes: 100 });
      const garbled = await new RawClient().open(url);
      garbled.sendRaw('{"k":"auth",');
      const big = await new RawClient().open(url);
      big.sendJson({ k: 'auth', id: 0, credentials: { token: 'x'.repeat(200) } });
      await flush();
      await flush();
      expect(garbled.closes.map((c) => c.code)).to.deep.equal([CloseCodes.AUTHENTICATION_FAILED]);
      expect(big.closes.map((c) => c.code)).to.deep.equal([CloseCodes.POLICY_VIOLATION]);
    });

    it('closes with 4408 a client that sends no auth frame within authTimeout', async () => {
      clock = useFakeClock();
      const { url } = await startServer({ authorization: serverStrategy(), authTimeout: 500 });
      const raw = await new RawClient().open(url);
      await clock.tickAsync(499);
      expect(raw.closes).to.deep.equal([]);
      await clock.tickAsync(2);
      await flush();
      expect(raw.closes.map((c) => c.code)).to.deep.equal([CloseCodes.HANDSHAKE_TIMEOUT]);
    });

    it('processes frames sent after the auth frame once admitted, in order', async () => {
      const admit = deferred<AuthorizationResult<string>>();
      const { server, url } = await startServer({
        authorization: {
          applyAuthorization: (o) => o,
          authorize: () => admit.promise,
          expectsFirstFrame: () => true,
        },
      });
      const got: unknown[] = [];
      server.onMessage((_id, m) => void got.push(m.payload));
      const raw = await new RawClient().open(url);
      raw.sendJson({ k: 'auth', id: 0, credentials: { token: 'good' } });
      raw.sendJson({ k: 'msg', type: 't', payload: 1 });
      raw.sendJson({ k: 'msg', type: 't', payload: 2 });
      await flush();
      admit.resolve({ ok: true, principal: 'ann' });
      await flush();
      await flush();
      expect(raw.ofKind('welcome')).to.have.length(1);
      expect(got).to.deep.equal([1, 2]);
    });
  });

  describe('refreshing credentials without reconnecting', () => {
    it('replaces the principal and expiry, and keeps the connection past the old expiry', async () => {
      clock = useFakeClock();
      const now = Date.now();
      const strategy = tableStrategy({
        t1: { user: 'ann', expiresAt: now + 1000 },
        t2: { user: 'ann', expiresAt: now + 5000 },
      });
      const { server, url } = await startServer({ authorization: strategy });
      const client = await connectClient(url, { auth: { token: 't1' } });
      const closes: number[] = [];
      client.onClose((info) => closes.push(info.code));
      expect(await client.refreshAuthorization({ token: 't2' })).to.deep.equal({ left: [] });
      await clock.tickAsync(2000);
      await flush();
      expect(client.isConnected).to.equal(true);
      expect(server.clientCount).to.equal(1);
      await clock.tickAsync(3001);
      await flush();
      expect(closes).to.deep.equal([CloseCodes.TOKEN_EXPIRED]);
      expect(server.clientCount).to.equal(0);
    });

    it('closes with 4419 (TOKEN_EXPIRED) a connection whose credentials expire without a refresh', async () => {
      clock = useFakeClock();
      const strategy = tableStrategy({ t1: { user: 'ann', expiresAt: Date.now() + 1000 } });
      const { server, url } = await startServer({ authorization: strategy });
      const client = await connectClient(url, { auth: { token: 't1' } });
      const gone: number[] = [];
      server.onDisconnection((_id, info) => gone.push(info.code));
      const closes: { code: number; reason: string }[] = [];
      client.onClose((info) => closes.push(info));
      await clock.tickAsync(999);
      expect(client.isConnected).to.equal(true);
      await clock.tickAsync(2);
      await flush();
      expect(closes).to.deep.equal([{ code: 4419, reason: 'credentials expired' }]);
      expect(gone).to.deep.equal([4419]);
    });

    it('refuses credentials already expired at connect with 4419, without admitting: connect() rejects TOKEN_EXPIRED', async () => {
      clock = useFakeClock();
      const strategy = tableStrategy({ old: { user: 'ann', expiresAt: Date.now() } });
      const { server, url } = await startServer({ authorization: strategy });
      let admitted = 0;
      server.onConnection(() => admitted++);
      const client = newClient(url, { auth: { token: 'old' } });
      expectCode(await rejectionOf(client.connect()), 'TOKEN_EXPIRED');
      expect(admitted).to.equal(0);
      expect(server.clientCount).to.equal(0);
    });

    it('answers refused credentials with AUTHENTICATION_FAILED and keeps the connection and principal', async () => {
      const strategy = tableStrategy({ t1: { user: 'ann' } });
      const { server, url } = await startServer({ authorization: strategy });
      const client = await connectClient(url, { auth: { token: 't1' } });
      expectCode(
        await rejectionOf(client.refreshAuthorization({ token: 'nope' })),
        'AUTHENTICATION_FAILED',
      );
      expect(client.isConnected).to.equal(true);
      expect(server.getClient(client.id ?? '')?.principal).to.equal('ann');
    });

    it('refuses credentials of a different principal with UNAUTHORIZED', async () => {
      const strategy = tableStrategy({ t1: { user: 'ann' }, t2: { user: 'bob' } });
      const { server, url } = await startServer({ authorization: strategy });
      const client = await connectClient(url, { auth: { token: 't1' } });
      expectCode(await rejectionOf(client.refreshAuthorization({ token: 't2' })), 'UNAUTHORIZED');
      expect(server.getClient(client.id ?? '')?.principal).to.equal('ann');
    });

    it('leaves the topics the new principal may not hold, and tells the client which', async () => {
      let role = 'admin';
      const { server, url } = await startServer<{ id: string; role: string }>({
        authorization: {
          applyAuthorization: (o) => o,
          authorize: (h) => ({
            ok: true,
            principal: { id: 'ann', role: typeof h.auth.role === 'string' ? h.auth.role : role },
          }),
        },
        access: {
          join: (client, topic) => !topic.startsWith('admin') || client.principal.role === 'admin',
        },
      });
      const client = await connectClient(url, { auth: { role: 'admin' } });
      await client.join('admin-room');
      await client.join('lobby');
      role = 'user';
      const result = await client.refreshAuthorization({ role: 'user' });
      expect(result).to.deep.equal({ left: ['admin-room'] });
      expect([...client.topics]).to.deep.equal(['lobby']);
      expect([...(server.getClient(client.id ?? '')?.topics ?? [])]).to.deep.equal(['lobby']);
      expect(server.getClient(client.id ?? '')?.principal).to.deep.equal({
        id: 'ann',
        role: 'user',
      });
    });

    it('uses the strategy’s credentials() when given none, and throws TypeError when there are none', async () => {
      const strategy = tableStrategy({ t1: { user: 'ann' }, t2: { user: 'ann' } });
      const { url } = await startServer({ authorization: strategy });
      const client = await connectClient(url, {
        auth: { token: 't1' },
        authorization: {
          applyAuthorization: (o) => o,
          authorize: () => ({ ok: false, reason: '' }),
          credentials: () => ({ token: 't2' }),
        },
      });
      await client.refreshAuthorization();
      expect(strategy.calls.at(-1)?.auth).to.deep.equal({ token: 't2' });
      const plain = await connectClient(url, { auth: { token: 't1' } });
      const error = await rejectionOf(plain.refreshAuthorization());
      expect(error).to.be.instanceOf(TypeError);
    });

    it('rejects NOT_CONNECTED when not connected', async () => {
      const { url } = await startServer();
      const client = newClient(url);
      expectCode(await rejectionOf(client.refreshAuthorization({ token: 'x' })), 'NOT_CONNECTED');
    });
  });

  describe('revocation', () => {
    it('closes every connection of a revoked principal at once with 4401, and no other', async () => {
      const listeners: ((id: string) => void)[] = [];
      const strategy = tableStrategy(
        { a: { user: 'ann' }, b: { user: 'bob' } },
        {
          onRevoke: (listener) => {
            listeners.push(listener);
            return () => listeners.splice(listeners.indexOf(listener), 1);
          },
        },
      );
      const { server, url } = await startServer({ authorization: strategy });
      const ann1 = await connectClient(url, { auth: { token: 'a' } });
      const ann2 = await connectClient(url, { auth: { token: 'a' } });
      const bob = await connectClient(url, { auth: { token: 'b' } });
      const codes: number[] = [];
      for (const c of [ann1, ann2]) c.onClose((info) => codes.push(info.code));
      expect(listeners).to.have.length(1);
      listeners[0]('ann');
      await flush();
      await flush();
      expect(codes).to.deep.equal([4401, 4401]);
      expect(bob.isConnected).to.equal(true);
      expect(server.clientCount).to.equal(1);
      await server.shutdown();
      expect(listeners).to.have.length(0);
    });
  });

  describe('failed-authentication throttling', () => {
    const refuseAll = (): AuthorizationStrategy & { count: number } => {
      const s = {
        count: 0,
        applyAuthorization: (o: never) => o,
        authorize(): AuthorizationResult {
          s.count++;
          return { ok: false, reason: 'invalid credentials' };
        },
      };
      return s;
    };

    it('delays attempts after delayAfter failures, then refuses the address with 4429 for blockFor', async () => {
      clock = useFakeClock();
      const strategy = refuseAll();
      const { url } = await startServer({
        authorization: strategy,
        authThrottle: { delayAfter: 2, blockAfter: 4, blockFor: 10_000, window: 60_000 },
      });
      const attempt = async (): Promise<RawClient> => {
        const raw = await new RawClient().open(url);
        await flush();
        return raw;
      };
      await attempt();
      await attempt();
      expect(strategy.count).to.equal(2);
      // The third is delayed 250 ms before it is even verified.
      const third = await attempt();
      expect(strategy.count).to.equal(2);
      expect(third.closes).to.deep.equal([]);
      await clock.tickAsync(250);
      await flush();
      expect(strategy.count).to.equal(3);
      expect(third.closes.map((c) => c.code)).to.deep.equal([4401]);
      // The fourth waits 500 ms; its failure blocks the address.
      await attempt();
      await clock.tickAsync(500);
      await flush();
      expect(strategy.count).to.equal(4);
      const blocked = await attempt();
      expect(blocked.closes.map((c) => c.code)).to.deep.equal([4429]);
      expect(strategy.count).to.equal(4);
      const client = newClient(url, { auth: { token: 'x' } });
      expectCode(await rejectionOf(client.connect()), 'RATE_LIMITED');
      // After blockFor the address is verified again, still slowed while its failures count.
      await clock.tickAsync(10_001);
      await attempt();
      await clock.tickAsync(4000);
      await flush();
      expect(strategy.count).to.equal(5);
    });

    it('does not count UNAUTHORIZED verdicts (valid credentials, not allowed), and is off with false', async () => {
      const strategy: AuthorizationStrategy = {
        applyAuthorization: (o) => o,
        authorize: () => ({ ok: false, code: 'UNAUTHORIZED', reason: 'no' }),
      };
      const { url } = await startServer({
        authorization: strategy,
        authThrottle: { blockAfter: 2 },
      });
      for (let i = 0; i < 4; i++) {
        const raw = await new RawClient().open(url);
        await flush();
        expect(raw.closes.map((c) => c.code)).to.deep.equal([4403]);
      }
      const off = await startServer({ authorization: refuseAll(), authThrottle: false });
      for (let i = 0; i < 30; i++) {
        const raw = await new RawClient().open(off.url);
        await flush();
        expect(raw.closes.map((c) => c.code)).to.deep.equal([4401]);
      }
    });

    it('blocks refreshes from a blocked address too, and counts refused refreshes', async () => {
      const strategy = tableStrategy({ t1: { user: 'ann' } });
      const { url } = await startServer({
        authorization: strategy,
        authThrottle: { delayAfter: 100, blockAfter: 3 },
      });
      const client = await connectClient(url, { auth: { token: 't1' } });
      for (let i = 0; i < 3; i++) {
        expectCode(
          await rejectionOf(client.refreshAuthorization({ token: 'guess' })),
          'AUTHENTICATION_FAILED',
        );
      }
      const closes: number[] = [];
      client.onClose((info) => closes.push(info.code));
      await client.refreshAuthorization({ token: 't1' }).catch(() => undefined);
      await flush();
      expect(closes).to.deep.equal([4429]);
    });

    it('rejects unknown and invalid options', async () => {
      for (const bad of [{ window: 0 }, { blockAfter: -1 }, { nope: 1 }, null]) {
        let thrown: unknown;
        try {
          await startServer({ authThrottle: bad as never });
        } catch (error) {
          thrown = error;
        }
        expect(thrown, JSON.stringify(bad)).to.be.instanceOf(Error);
      }
    });
  });

  describe('connection caps', () => {
    it('refuses connections past maxConnections with 1013, and takes one again when a slot frees', async () => {
      const { server, url } = await startServer({ maxConnections: 2 });
      const a = await connectClient(url);
      await connectClient(url);
      const third = newClient(url);
      expectCode(await rejectionOf(third.connect()), 'CONNECTION_FAILED');
      const raw = await new RawClient().open(url);
      await flush();
      expect(raw.closes.map((c) => c.code)).to.deep.equal([CloseCodes.TRY_AGAIN_LATER]);
      await a.disconnect();
      await flush();
      const again = await connectClient(url);
      expect(again.isConnected).to.equal(true);
      expect(server.clientCount).to.equal(2);
    });

    it('refuses connections past maxConnectionsPerAddress with 1013', async () => {
      const { url } = await startServer({ maxConnectionsPerAddress: 1 });
      const first = await connectClient(url);
      const raw = await new RawClient().open(url);
      await flush();
      expect(raw.closes.map((c) => c.code)).to.deep.equal([1013]);
      await first.disconnect();
      await flush();
      expect((await connectClient(url)).isConnected).to.equal(true);
    });
  });

  describe('bytes held before admission', () => {
    it('bounds the bytes held for all clients in admission together (maxPendingBytesTotal), and frees them', async () => {
      const admit = deferred<AuthorizationResult>();
      const { server, url } = await startServer({
        authorization: { applyAuthorization: (o) => o, authorize: () => admit.promise },
        maxPendingBytesTotal: 1100,
      });
      const raws: RawClient[] = [];
      for (let i = 0; i < 4; i++) raws.push(await new RawClient().open(url));
      for (const raw of raws) raw.sendJson({ k: 'msg', type: 't', payload: 'x'.repeat(300) });
      await flush();
      await flush();
      const closed = raws.filter((r) => r.closes.length > 0);
      expect(closed.map((r) => r.closes[0].code)).to.deep.equal([1008]);
      admit.resolve({ ok: true, principal: undefined });
      await flush();
      await flush();
      expect(server.clientCount).to.equal(3);
      // Freed on admission: new clients may hold as much again.
      const more: RawClient[] = [];
      for (let i = 0; i < 3; i++) more.push(await new RawClient().open(url));
      for (const raw of more) raw.sendJson({ k: 'msg', type: 't', payload: 'x'.repeat(300) });
      await flush();
      await flush();
      expect(more.every((r) => r.closes.length === 0)).to.equal(true);
    });
  });
});
