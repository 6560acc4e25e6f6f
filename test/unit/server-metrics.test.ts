// SocketServer#getMetrics: each counter moves exactly when what it counts happens, on the memory
// transport with hand-made frames, so the expected numbers are known to the unit.
import { expect } from 'chai';
import sinon from 'sinon';
import {
  CloseCodes,
  PlugSocketError,
  type AuthorizationResult,
  type AuthorizationStrategy,
  type ServerMetricsSnapshot,
} from '../../src/index.js';
import {
  RawClient,
  cleanUp,
  connectClient,
  deferred,
  flush,
  startServer,
  useFakeClock,
} from './support.js';

/** Opens a raw client and waits until the server has admitted it (its `welcome` arrived). */
async function admittedRaw(url: string): Promise<RawClient> {
  const raw = await new RawClient().open(url);
  await flush();
  expect(raw.ofKind('welcome'), 'welcomed').to.have.length(1);
  return raw;
}

/** The counters that moved between two snapshots (topics and uptime left out). */
function moved(
  before: ServerMetricsSnapshot,
  after: ServerMetricsSnapshot,
): Record<string, number> {
  const out: Record<string, number> = {};
  const keys = [
    'connections',
    'connectionsTotal',
    'messagesIn',
    'messagesOut',
    'bytesIn',
    'bytesOut',
    'errors',
    'timeouts',
  ] as const;
  for (const key of keys) if (after[key] !== before[key]) out[key] = after[key] - before[key];
  for (const key of ['auth', 'rateLimit', 'payload', 'capacity'] as const) {
    const delta = after.refusals[key] - before.refusals[key];
    if (delta !== 0) out[`refusals.${key}`] = delta;
  }
  return out;
}

/** A server-side strategy deciding with `authorize` (nothing to add on the client side). */
function strategy(authorize: AuthorizationStrategy['authorize']): AuthorizationStrategy {
  return { authorize, applyAuthorization: (options) => options };
}

const frameLength = (frame: string | Uint8Array): number =>
  typeof frame === 'string' ? frame.length : frame.byteLength;

describe('SocketServer', () => {
  afterEach(cleanUp);

  describe('#getMetrics', () => {
    it('returns a frozen snapshot, all zero before anything happened', async () => {
      const { server } = await startServer();
      const m = server.getMetrics();
      expect(m).to.deep.include({
        connections: 0,
        connectionsTotal: 0,
        messagesIn: 0,
        messagesOut: 0,
        bytesIn: 0,
        bytesOut: 0,
        errors: 0,
        timeouts: 0,
      });
      expect(m.refusals).to.deep.equal({ auth: 0, rateLimit: 0, payload: 0, capacity: 0 });
      expect(m.topics).to.deep.equal({});
      expect(Object.isFrozen(m)).to.equal(true);
      expect(Object.isFrozen(m.refusals)).to.equal(true);
      expect(Object.isFrozen(m.topics)).to.equal(true);
      expect(Object.getPrototypeOf(m)).to.equal(Object.prototype);
      expect(JSON.parse(JSON.stringify(m))).to.deep.equal({
        ...m,
        refusals: { ...m.refusals },
        topics: {},
      });
    });

    it('counts admitted clients now (connections) and ever (connectionsTotal)', async () => {
      const { server, url } = await startServer();
      const first = server.getMetrics();
      const a = await connectClient(url);
      await connectClient(url);
      expect(server.getMetrics()).to.deep.include({ connections: 2, connectionsTotal: 2 });
      await a.disconnect();
      await flush();
      expect(server.getMetrics()).to.deep.include({ connections: 1, connectionsTotal: 2 });
      await connectClient(url);
      expect(server.getMetrics()).to.deep.include({ connections: 2, connectionsTotal: 3 });
      expect(first.connectionsTotal, 'a snapshot is a copy').to.equal(0);
    });

    it('counts each frame received and its size: text in UTF-16 code units, binary in bytes', async () => {
      const { server, url } = await startServer();
      const raw = await admittedRaw(url);
      const before = server.getMetrics();
      const text = JSON.stringify({ k: 'msg', type: 'say', payload: 'héllo 👋' });
      raw.sendRaw(text);
      const binary = new TextEncoder().encode(
        JSON.stringify({ k: 'msg', type: 'say', payload: 'é' }),
      );
      raw.sendRaw(binary);
      await flush();
      expect(moved(before, server.getMetrics())).to.deep.equal({
        messagesIn: 2,
        bytesIn: text.length + binary.byteLength,
      });
      expect(text.length, 'code units, not UTF-8 bytes').to.be.below(
        new TextEncoder().encode(text).byteLength,
      );
    });

    it('counts frames refused before any check too (a frame that does not parse)', async () => {
      const { server, url } = await startServer();
      server.onError(() => undefined);
      const raw = await admittedRaw(url);
      const before = server.getMetrics();
      raw.sendRaw('not json');
      await flush();
      expect(moved(before, server.getMetrics())).to.deep.equal({
        messagesIn: 1,
        bytesIn: 'not json'.length,
        // the error frame sent back, and the report
        messagesOut: 1,
        bytesOut: frameLength(raw.frames.at(-1)!),
        errors: 1,
      });
    });

    it('counts each frame sent to one client and its size: welcome, sendToClient', async () => {
      const { server, url } = await startServer();
      const raw = await admittedRaw(url);
      const welcome = raw.frames[0];
      expect(server.getMetrics()).to.deep.include({
        messagesOut: 1,
        bytesOut: frameLength(welcome),
      });
      const id = raw.ofKind('welcome')[0].id as string;
      expect(server.sendToClient(id, { type: 'note', payload: 'x'.repeat(100) })).to.equal(true);
      await flush();
      expect(server.getMetrics()).to.deep.include({
        messagesOut: 2,
        bytesOut: frameLength(welcome) + frameLength(raw.frames[1]),
      });
      // Nothing handed to the transport, nothing counted.
      expect(server.sendToClient('nobody', { type: 'note', payload: 1 })).to.equal(false);
      expect(server.getMetrics().messagesOut).to.equal(2);
    });

    it('counts a broadcast to N clients as N frames of its size', async () => {
      const { server, url } = await startServer();
      const raws = [await admittedRaw(url), await admittedRaw(url), await admittedRaw(url)];
      const before = server.getMetrics();
      expect(server.broadcast({ type: 'news', payload: { n: 1 } })).to.equal(3);
      await flush();
      const size = frameLength(raws[0].frames.at(-1)!);
      expect(moved(before, server.getMetrics())).to.deep.equal({
        messagesOut: 3,
        bytesOut: 3 * size,
      });

      const ids = raws.map((r) => r.ofKind('welcome')[0].id as string);
      server.subscribe(ids[0], 'room');
      server.subscribe(ids[1], 'room');
      const beforeTopic = server.getMetrics();
      expect(server.to('room').emit('news', { n: 2 })).to.equal(2);
      expect(
        server.sendToSubscribers('room', { type: 'news', payload: 3 }, { except: ids[0] }),
      ).to.equal(1);
      await flush();
      expect(moved(beforeTopic, server.getMetrics())).to.deep.equal({
        messagesOut: 3,
        bytesOut: 2 * frameLength(raws[1].frames.at(-2)!) + frameLength(raws[1].frames.at(-1)!),
      });
    });

    it('counts protocol frames sent to many clients (a request to a topic) once per recipient', async () => {
      const { server, url } = await startServer({ requestTimeout: 50 });
      const raws = [await admittedRaw(url), await admittedRaw(url)];
      for (const raw of raws) server.subscribe(raw.ofKind('welcome')[0].id as string, 'all');
      const before = server.getMetrics();
      const answers = server.to('all').timeout(20).request('ping', null);
      await flush();
      expect(moved(before, server.getMetrics())).to.deep.equal({
        messagesOut: 2,
        bytesOut: 2 * frameLength(raws[0].frames.at(-1)!),
      });
      await answers.catch(() => undefined);
    });

    it('counts every error reported on onError', async () => {
      const { server, url } = await startServer();
      const reported: PlugSocketError[] = [];
      server.onError((_id, e) => reported.push(e));
      server.onMessage(() => {
        throw new Error('handler bug');
      });
      const client = await connectClient(url);
      const before = server.getMetrics().errors;
      client.emit('a', 1);
      client.emit('b', 2);
      await flush();
      expect(reported).to.have.length(2);
      expect(server.getMetrics().errors - before).to.equal(2);
    });

    describe('refusals', () => {
      it('payload: a frame over maxPayload from an admitted client', async () => {
        const { server, url } = await startServer({ maxPayload: 100 });
        server.onError(() => undefined);
        const raw = await admittedRaw(url);
        const before = server.getMetrics();
        raw.sendJson({ k: 'msg', type: 'big', payload: 'x'.repeat(200) });
        raw.sendJson({ k: 'msg', type: 'small', payload: 1 });
        await flush();
        const delta = moved(before, server.getMetrics());
        expect(delta['refusals.payload']).to.equal(1);
        expect(delta.errors).to.equal(1);
        expect(raw.ofKind('error')[0].error).to.deep.include({ code: 'PAYLOAD_TOO_LARGE' });
      });

      it('payload: frames past maxPendingFrames while the client is being authorized', async () => {
        const verdict = deferred<AuthorizationResult>();
        const authorization = strategy(() => verdict.promise);
        const { server, url } = await startServer({ authorization, maxPendingFrames: 1 });
        const raw = await new RawClient().open(url);
        raw.sendJson({ k: 'msg', type: 'a', payload: 1 });
        raw.sendJson({ k: 'msg', type: 'b', payload: 2 });
        await flush();
        expect(raw.closes.map((c) => c.code)).to.deep.equal([CloseCodes.POLICY_VIOLATION]);
        expect(server.getMetrics().refusals).to.deep.equal({
          auth: 0,
          rateLimit: 0,
          payload: 1,
          capacity: 0,
        });
        expect(server.getMetrics().messagesIn, 'held frames are received frames').to.equal(2);
        verdict.resolve({ ok: true, principal: 'late' });
      });

      it('auth: a strategy denial, a connection middleware refusal, an admission timeout', async () => {
        const clock = useFakeClock();
        try {
          const { server, url } = await startServer({
            handshakeTimeout: 1000,
            authorization: strategy((handshake) => {
              if (handshake.query.who === 'slow') return new Promise(() => undefined);
              return handshake.query.who === 'ok'
                ? { ok: true, principal: 'ok' }
                : { ok: false, reason: 'who are you', code: 'AUTHENTICATION_FAILED' };
            }),
          });
          server.useConnection((ctx, next) => {
            if (ctx.handshake.query.who === 'blocked')
              throw new PlugSocketError('UNAUTHORIZED', 'no');
            return next();
          });
          const denied = await new RawClient().open(url, { query: { who: 'stranger' } });
          const refused = await new RawClient().open(url, { query: { who: 'blocked' } });
          const slow = await new RawClient().open(url, { query: { who: 'slow' } });
          await new RawClient().open(url, { query: { who: 'ok' } });
          await flush();
          expect(denied.closes.map((c) => c.code)).to.deep.equal([
            CloseCodes.AUTHENTICATION_FAILED,
          ]);
          expect(refused.closes.map((c) => c.code)).to.deep.equal([CloseCodes.UNAUTHORIZED]);
          expect(server.getMetrics().refusals.auth).to.equal(2);
          await clock.tickAsync(1000);
          await flush();
          expect(slow.closes.map((c) => c.code)).to.deep.equal([CloseCodes.HANDSHAKE_TIMEOUT]);
          expect(server.getMetrics().refusals.auth).to.equal(3);
          expect(server.getMetrics()).to.deep.include({ connections: 1, connectionsTotal: 1 });
        } finally {
          clock.restore();
        }
      });

      it('auth: an address the auth throttle blocks is refused at accept', async () => {
        const { server, url } = await startServer({
          authThrottle: { blockAfter: 1, delayAfter: 100 },
          authorization: strategy(() => ({
            ok: false,
            reason: 'no',
            code: 'AUTHENTICATION_FAILED',
          })),
        });
        await new RawClient().open(url);
        await flush();
        const blocked = await new RawClient().open(url);
        await flush();
        expect(blocked.closes.map((c) => c.code)).to.deep.equal([CloseCodes.RATE_LIMITED]);
        expect(server.getMetrics().refusals.auth).to.equal(2);
      });

      it('rateLimit: each frame past the limit', async () => {
        const { server, url } = await startServer({
          rateLimit: { messages: 2, interval: 60_000, maxViolations: 100 },
        });
        server.onError(() => undefined);
        const raw = await admittedRaw(url);
        for (let i = 0; i < 5; i++) raw.sendJson({ k: 'msg', type: 'm', payload: i });
        await flush();
        const m = server.getMetrics();
        expect(m.refusals.rateLimit).to.equal(3);
        expect(m.messagesIn).to.equal(5);
      });

      it('capacity: connections past maxConnections and past maxConnectionsPerAddress', async () => {
        const full = await startServer({ maxConnections: 1 });
        await admittedRaw(full.url);
        const refused = await new RawClient().open(full.url);
        await flush();
        expect(refused.closes.map((c) => c.code)).to.deep.equal([CloseCodes.TRY_AGAIN_LATER]);
        expect(full.server.getMetrics().refusals.capacity).to.equal(1);

        const perAddress = await startServer({ maxConnectionsPerAddress: 1 });
        await admittedRaw(perAddress.url);
        await new RawClient().open(perAddress.url);
        await new RawClient().open(perAddress.url);
        await flush();
        expect(perAddress.server.getMetrics().refusals).to.deep.equal({
          auth: 0,
          rateLimit: 0,
          payload: 0,
          capacity: 2,
        });
        expect(perAddress.server.getMetrics().connections).to.equal(1);
      });
    });

    it('counts heartbeat timeouts', async () => {
      const clock = useFakeClock();
      try {
        const { server, adapter, url } = await startServer({
          heartbeatInterval: 1000,
          heartbeatTimeout: 500,
        });
        server.onError(() => undefined);
        const timedOut: string[] = [];
        server.onClientTimeout((id) => timedOut.push(id));
        await connectClient(url, { reconnect: false });
        await connectClient(url, { reconnect: false });
        // Frozen peers: pings go out, nothing comes back.
        sinon.stub(adapter, 'ping').returns(true);
        await clock.tickAsync(2000);
        await flush();
        expect(timedOut).to.have.length(2);
        expect(server.getMetrics()).to.deep.include({ timeouts: 2, connections: 0 });
      } finally {
        clock.restore();
      }
    });

    it('lists the subscribers of each topic at the time of the snapshot', async () => {
      const { server, url } = await startServer();
      const a = await connectClient(url);
      const b = await connectClient(url);
      await a.join('lobby');
      await b.join('lobby');
      server.subscribe(b.id ?? '', 'news');
      server.subscribe(a.id ?? '', '__proto__');
      const m = server.getMetrics();
      expect({ ...m.topics }).to.deep.equal({ lobby: 2, news: 1, ['__proto__']: 1 });
      expect(Object.keys(m.topics)).to.have.members(['lobby', 'news', '__proto__']);
      await a.leave('lobby');
      await b.disconnect();
      await flush();
      expect(Object.keys(server.getMetrics().topics)).to.have.members(['__proto__']);
      expect(m.topics.lobby, 'an earlier snapshot is unchanged').to.equal(2);
    });

    it('reports the uptime since listen(), fixed once shut down', async () => {
      const clock = useFakeClock();
      try {
        const { server } = await startServer();
        await clock.tickAsync(1500);
        expect(server.getMetrics().uptime).to.equal(1500);
        await server.shutdown();
        await clock.tickAsync(1000);
        expect(server.getMetrics().uptime).to.equal(1500);
      } finally {
        clock.restore();
      }
    });
  });
});
