// What an admitted client may send: the rate limit, the access hooks, the topic cap, and the
// client's own maxRate.
import { expect } from 'chai';
import type sinon from 'sinon';
import { CloseCodes, PlugSocketError } from '../../../src/index.js';
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

/** A raw client, admitted (its welcome received). */
async function admittedRaw(url: string): Promise<RawClient> {
  const raw = await new RawClient().open(url);
  await flush();
  expect(raw.ofKind('welcome')).to.have.length(1);
  return raw;
}

describe('inbound security', () => {
  let clock: sinon.SinonFakeTimers | undefined;
  afterEach(async () => {
    clock?.restore();
    clock = undefined;
    await cleanUp();
  });

  describe('rate limit', () => {
    it('processes a burst, refuses the excess with one RATE_LIMITED error per interval, and refills', async () => {
      clock = useFakeClock();
      const { server, url } = await startServer({
        rateLimit: { messages: 10, interval: 1000, maxViolations: 1000 },
      });
      const got: unknown[] = [];
      server.onMessage((_id, m) => void got.push(m.payload));
      const raw = await admittedRaw(url);
      for (let i = 0; i < 25; i++) raw.sendJson({ k: 'msg', type: 't', payload: i });
      await flush();
      expect(got).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const errors = raw.ofKind('error');
      expect(errors).to.have.length(1);
      expect((errors[0].error as { code: string }).code).to.equal('RATE_LIMITED');
      // Half an interval later, five more tokens.
      await clock.tickAsync(500);
      for (let i = 100; i < 110; i++) raw.sendJson({ k: 'msg', type: 't', payload: i });
      await flush();
      expect(got.slice(10)).to.deep.equal([100, 101, 102, 103, 104]);
      expect(raw.closes).to.deep.equal([]);
    });

    it('answers requests, joins and refreshes past the limit with RATE_LIMITED and does not run them', async () => {
      const { server, url } = await startServer({
        rateLimit: { messages: 2, maxViolations: 100 },
      });
      let calls = 0;
      server.handle('work', () => ++calls);
      const client = await connectClient(url);
      const results = await Promise.allSettled([
        client.request('work', 1),
        client.request('work', 2),
        client.request('work', 3),
        client.join('room'),
        client.refreshAuthorization({ token: 'x' }),
      ]);
      expect(results.slice(0, 2).map((r) => r.status)).to.deep.equal(['fulfilled', 'fulfilled']);
      for (const r of results.slice(2)) {
        expect(r.status).to.equal('rejected');
        expectCode((r as PromiseRejectedResult).reason, 'RATE_LIMITED');
      }
      expect(calls).to.equal(2);
      expect(server.getTopics()).to.deep.equal([]);
    });

    it('still takes answers to the server’s own requests from a client over its limit', async () => {
      const { server, url } = await startServer({ rateLimit: { messages: 1, maxViolations: 100 } });
      const client = await connectClient(url);
      client.handle('ping', () => 'pong');
      // The client spends its one token and goes over: its answer below is past the limit too.
      for (let i = 0; i < 3; i++) client.emit('spend', i);
      expect(await server.request(client.id ?? '', 'ping', undefined)).to.equal('pong');
    });

    it('disconnects with 4429 a client that keeps sending past its limit (maxViolations), reported once', async () => {
      const { server, url } = await startServer({ rateLimit: { messages: 5, maxViolations: 10 } });
      const errors: PlugSocketError[] = [];
      server.onError((_id, e) => errors.push(e));
      let delivered = 0;
      server.onMessage(() => delivered++);
      const raw = await admittedRaw(url);
      for (let i = 0; i < 100; i++) raw.sendJson({ k: 'msg', type: 't', payload: i });
      await flush();
      await flush();
      expect(delivered).to.equal(5);
      expect(raw.closes).to.deep.equal([
        { code: CloseCodes.RATE_LIMITED, reason: 'rate limit exceeded' },
      ]);
      expect(errors.filter((e) => e.message.includes('disconnected'))).to.have.length(1);
      expect(server.clientCount).to.equal(0);
    });

    it('counts a cut-off against the address: a flooder that keeps reconnecting is refused (4429) at connect', async () => {
      const { url } = await startServer({
        rateLimit: { messages: 5, maxViolations: 5 },
        authThrottle: { delayAfter: 100, blockAfter: 2 },
      });
      for (let round = 0; round < 2; round++) {
        const raw = await admittedRaw(url);
        for (let i = 0; i < 50; i++) raw.sendJson({ k: 'msg', type: 't', payload: i });
        await flush();
        await flush();
        expect(raw.closes.map((c) => c.code)).to.deep.equal([4429]);
      }
      const again = await new RawClient().open(url);
      await flush();
      expect(again.closes.map((c) => c.code)).to.deep.equal([4429]);
      expect(again.ofKind('welcome')).to.deep.equal([]);
    });

    it('counts bytes too: frames past the byte allowance are refused', async () => {
      clock = useFakeClock();
      const { server, url } = await startServer({
        maxPayload: 1000,
        rateLimit: { messages: 1000, bytes: 1000, maxViolations: 100 },
      });
      let delivered = 0;
      server.onMessage(() => delivered++);
      const raw = await admittedRaw(url);
      for (let i = 0; i < 5; i++) raw.sendJson({ k: 'msg', type: 't', payload: 'x'.repeat(300) });
      await flush();
      expect(delivered).to.equal(2);
      expect(raw.ofKind('error')).to.have.length(1);
    });

    it('refuses garbage past the limit without answering each frame', async () => {
      const { url } = await startServer({ rateLimit: { messages: 1, maxViolations: 100 } });
      const raw = await admittedRaw(url);
      for (let i = 0; i < 20; i++) raw.sendRaw('not json');
      await flush();
      const codes = raw.ofKind('error').map((e) => (e.error as { code: string }).code);
      expect(codes).to.deep.equal(['INVALID_MESSAGE', 'RATE_LIMITED']);
    });

    it('is on by default (1000 frames a second, burst 1000) and off with false', async () => {
      clock = useFakeClock();
      const on = await startServer();
      let delivered = 0;
      on.server.onMessage(() => delivered++);
      const raw = await admittedRaw(on.url);
      for (let i = 0; i < 1500; i++) raw.sendJson({ k: 'msg', type: 't', payload: i });
      await flush();
      expect(delivered).to.equal(1000);
      const off = await startServer({ rateLimit: false });
      let all = 0;
      off.server.onMessage(() => all++);
      const raw2 = await admittedRaw(off.url);
      for (let i = 0; i < 5000; i++) raw2.sendJson({ k: 'msg', type: 't', payload: i });
      await flush();
      expect(all).to.equal(5000);
    });

    it('rejects invalid options: unknown keys, non-positive values, bytes below maxPayload', async () => {
      const bad: unknown[] = [
        { nope: 1 },
        { messages: 0 },
        { interval: -5 },
        { bytes: Infinity },
        { bytes: 10 },
        'fast',
      ];
      for (const rateLimit of bad) {
        const error = await rejectionOf(startServer({ rateLimit: rateLimit as never }));
        expect(error, JSON.stringify(rateLimit)).to.be.instanceOf(Error);
        expect(PlugSocketError.is(error)).to.equal(false);
      }
    });
  });

  describe('access hooks', () => {
    it('refuses a message type with an UNAUTHORIZED error frame and delivers nothing', async () => {
      const { server, url } = await startServer<string>({
        authorization: {
          applyAuthorization: (o) => o,
          authorize: () => ({ ok: true, principal: 'guest' }),
        },
        access: {
          message: (client, type) => client.principal === 'admin' || type !== 'admin/reset',
        },
      });
      const got: string[] = [];
      server.onMessage((_id, m) => void got.push(m.type));
      const raw = await admittedRaw(url);
      raw.sendJson({ k: 'msg', type: 'admin/reset' });
      raw.sendJson({ k: 'msg', type: 'chat' });
      await flush();
      expect(got).to.deep.equal(['chat']);
      expect(raw.ofKind('error').map((e) => (e.error as { code: string }).code)).to.deep.equal([
        'UNAUTHORIZED',
      ]);
    });

    it('refuses a handler call with UNAUTHORIZED and does not run it; an async hook keeps order', async () => {
      const gate = deferred<boolean>();
      let first = true;
      const { server, url } = await startServer({
        access: {
          request: (_client, name) => {
            if (name !== 'slow') return name !== 'secret';
            if (!first) return true;
            first = false;
            return gate.promise;
          },
          message: () => Promise.resolve(true),
        },
      });
      let ran = 0;
      server.handle('secret', () => ++ran);
      server.handle('slow', () => 'ok');
      const order: number[] = [];
      server.onMessage((_id, m) => void order.push(m.payload as number));
      const client = await connectClient(url);
      expectCode(await rejectionOf(client.request('secret', null)), 'UNAUTHORIZED');
      expect(ran).to.equal(0);
      const slow = client.request('slow', null);
      gate.resolve(true);
      expect(await slow).to.equal('ok');
      for (let i = 0; i < 5; i++) client.emit('n', i);
      await flush();
      await flush();
      expect(order).to.deep.equal([0, 1, 2, 3, 4]);
    });

    it('access.join refuses a topic; access.address refuses a client-to-client request', async () => {
      const { url } = await startServer({
        access: {
          join: (_c, topic) => topic !== 'vip',
          address: (_from, _to, name) => name !== 'private',
        },
      });
      const a = await connectClient(url);
      const b = await connectClient(url);
      let reached = 0;
      b.handle('private', () => ++reached);
      b.handle('public', () => 'hi');
      expectCode(await rejectionOf(a.join('vip')), 'UNAUTHORIZED');
      await a.join('lobby');
      expectCode(await rejectionOf(a.requestClient(b.id ?? '', 'private', null)), 'UNAUTHORIZED');
      expect(await a.requestClient(b.id ?? '', 'public', null)).to.equal('hi');
      expect(reached).to.equal(0);
    });

    it('access wins over canSubscribe and canRequest when both are given', async () => {
      const { url } = await startServer({
        canSubscribe: () => false,
        access: { join: () => true },
      });
      const a = await connectClient(url);
      await a.join('room');
      expect([...a.topics]).to.deep.equal(['room']);
    });
  });

  describe('topics per client', () => {
    it('answers a join past maxTopicsPerClient with LIMIT_EXCEEDED; rejoining a held topic still works', async () => {
      const { server, url } = await startServer({ maxTopicsPerClient: 3 });
      const client = await connectClient(url);
      for (const t of ['a', 'b', 'c']) await client.join(t);
      expectCode(await rejectionOf(client.join('d')), 'LIMIT_EXCEEDED');
      await client.join('a');
      await client.leave('b');
      await client.join('d');
      expect(server.getClient(client.id ?? '')?.topics.size).to.equal(3);
    });

    it('counts joins that waited on an async hook: the cap holds under a pipelined burst', async () => {
      const { server, url } = await startServer({
        maxTopicsPerClient: 5,
        access: { join: () => Promise.resolve(true) },
      });
      const raw = await admittedRaw(url);
      for (let i = 0; i < 50; i++) raw.sendJson({ k: 'join', id: i, topic: `t${i}` });
      await flush();
      await flush();
      const id = [...server.getClients()][0].id;
      expect(server.getClient(id)?.topics.size).to.equal(5);
      expect(raw.ofKind('nack')).to.have.length(45);
    });

    it('defaults to 1000 topics', async () => {
      const { server, url } = await startServer({ rateLimit: false });
      const raw = await admittedRaw(url);
      for (let i = 0; i < 1005; i++) raw.sendJson({ k: 'join', id: i, topic: `t${i}` });
      await flush();
      const id = [...server.getClients()][0].id;
      expect(server.getClient(id)?.topics.size).to.equal(1000);
      const nacks = raw.ofKind('nack');
      expect(nacks).to.have.length(5);
      expect((nacks[0].error as { code: string }).code).to.equal('LIMIT_EXCEEDED');
    });
  });

  describe('client maxRate', () => {
    it('queues past the rate, sends in order as tokens return, with one timer and nothing dropped', async () => {
      clock = useFakeClock();
      // Heartbeats off: their one sweep timer lives as long as the server.
      const { server, url } = await startServer({ heartbeatInterval: Infinity });
      const got: number[] = [];
      server.onMessage((_id, m) => void got.push(m.payload as number));
      const client = await connectClient(url, { maxRate: 10 });
      for (let i = 0; i < 25; i++) client.emit('n', i);
      await flush();
      expect(got).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(clock.countTimers()).to.equal(1);
      await clock.tickAsync(500);
      await flush();
      expect(got).to.have.length(15);
      await clock.tickAsync(1000);
      await flush();
      expect(got).to.deep.equal([...Array(25).keys()]);
      expect(clock.countTimers()).to.equal(0);
    });

    it('keeps requests and messages in one order, and never holds back answers to the server', async () => {
      clock = useFakeClock();
      const { server, url } = await startServer();
      const order: string[] = [];
      server.onMessage((_id, m) => void order.push(`m${String(m.payload)}`));
      server.handle('r', (p) => {
        order.push(`r${String(p)}`);
        return p;
      });
      const client = await connectClient(url, { maxRate: 2 });
      client.handle('ping', () => 'pong');
      client.emit('x', 1);
      client.emit('x', 2);
      const r = client.request('r', 3);
      client.emit('x', 4);
      // The server's request is answered at once although the client's own frames wait.
      expect(await server.request(client.id ?? '', 'ping', undefined)).to.equal('pong');
      await clock.tickAsync(1000);
      expect(await r).to.equal(3);
      await clock.tickAsync(1000);
      await flush();
      expect(order).to.deep.equal(['m1', 'm2', 'r3', 'm4']);
    });

    it('rejects a non-positive maxRate', () => {
      for (const maxRate of [0, -1, Number.NaN]) {
        expect(() => newClient('memory://x', { maxRate })).to.throw(RangeError);
      }
    });
  });
});
