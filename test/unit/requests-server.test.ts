// Client → server request/response: SocketServer#handle answering SocketClient#request, over the
// memory transport, and the same exchange spoken frame by frame with a RawClient.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import sinon from 'sinon';
import { PlugSocketError, type InboundContext, type SocketClient } from '../../src/index.js';
import {
  cleanUp,
  connectClient,
  deferred,
  expectCode,
  flush,
  newClient,
  RawClient,
  rejectionOf,
  startServer,
  useFakeClock,
} from './support.js';
import {
  codeOf,
  handled,
  never,
  RawServer,
  recordInbound,
  type User,
  userAuth,
  watch,
} from './requests-support.js';

interface Add {
  a: number;
  b: number;
}

const add = (payload: unknown): number => {
  const { a, b } = payload as Add;
  return a + b;
};

/** A raw protocol client that has been welcomed. */
async function welcomedRaw(url: string): Promise<RawClient> {
  const raw = await new RawClient().open(url);
  await flush();
  expect(raw.ofKind('welcome'), 'welcome frame').to.have.length(1);
  return raw;
}

describe('SocketServer', () => {
  let clock: sinon.SinonFakeTimers | undefined;
  const raws: RawServer[] = [];

  afterEach(async () => {
    clock?.restore();
    clock = undefined;
    await cleanUp();
    await Promise.all(raws.splice(0).map((r) => r.close()));
  });

  describe('#handle() answering client.request()', () => {
    it('resolves with the result of a synchronous handler', async () => {
      const { server, url } = await startServer();
      server.handle('add', add);
      const client = await connectClient(url);
      expect(await client.request('add', { a: 2, b: 3 })).to.equal(5);
    });

    it('resolves with the result of an asynchronous handler', async () => {
      const { server, url } = await startServer();
      server.handle('add', async (payload) => {
        await flush();
        return add(payload);
      });
      const client = await connectClient(url);
      expect(await client.request('add', { a: 20, b: 22 })).to.equal(42);
    });

    it('resolves with undefined when the handler returns nothing', async () => {
      const { server, url } = await startServer();
      const handler = sinon.spy((): void => undefined);
      server.handle('ping', handler);
      const client = await connectClient(url);
      expect(await client.request('ping', undefined)).to.equal(undefined);
      expect(handler.callCount).to.equal(1);
    });

    it('keeps null and structured results as they are', async () => {
      const { server, url } = await startServer();
      server.handle('nothing', () => null);
      server.handle('echo', (payload) => payload);
      const client = await connectClient(url);
      expect(await client.request('nothing', undefined)).to.equal(null);
      const value = { list: [1, 'two', { three: true }], empty: {} };
      expect(await client.request('echo', value)).to.deep.equal(value);
    });

    it('hands the handler the payload, name, kind, clientId, principal and headers', async () => {
      const { server, url } = await startServer<User>({ authorization: userAuth() });
      const seen: InboundContext<User>[] = [];
      const payloads: unknown[] = [];
      server.handle('whoami', (payload, ctx) => {
        payloads.push(payload);
        seen.push(ctx);
        return ctx.principal.id;
      });
      const client = await connectClient(url, { auth: { user: 'ann', role: 'admin' } });
      const answer = await client.request('whoami', { q: 1 }, { headers: { trace: 't-1' } });
      expect(answer).to.equal('ann');
      expect(payloads).to.deep.equal([{ q: 1 }]);
      const ctx = seen[0];
      expect(ctx.kind).to.equal('request');
      expect(ctx.name).to.equal('whoami');
      expect(ctx.clientId).to.equal(client.id);
      expect(ctx.principal).to.deep.equal({ id: 'ann', role: 'admin' });
      expect(ctx.client.id).to.equal(client.id);
      expect(ctx.headers).to.deep.equal({ trace: 't-1' });
      expect(ctx.signal.aborted).to.equal(false);
    });

    it('gives undefined headers to a request sent without them', async () => {
      const { server, url } = await startServer();
      const headers: unknown[] = [];
      server.handle('h', (_p, ctx) => void headers.push(ctx.headers));
      const client = await connectClient(url);
      await client.request('h', undefined);
      expect(headers).to.deep.equal([undefined]);
    });

    it('keeps ctx.set() values on the connection across requests, apart from other clients', async () => {
      const { server, url } = await startServer();
      server.handle('count', (_p, ctx) => {
        const n = (ctx.get<number>('n') ?? 0) + 1;
        ctx.set('n', n);
        return n;
      });
      const a = await connectClient(url);
      const b = await connectClient(url);
      expect(await a.request('count', undefined)).to.equal(1);
      expect(await a.request('count', undefined)).to.equal(2);
      expect(await b.request('count', undefined)).to.equal(1);
      expect(await a.request('count', undefined)).to.equal(3);
      expect(server.getClient(a.id ?? '')?.get('n')).to.equal(3);
    });

    it('aborts ctx.signal when the client disconnects mid-request', async () => {
      const { server, url } = await startServer();
      const signals: AbortSignal[] = [];
      server.handle('slow', (_p, ctx) => {
        signals.push(ctx.signal);
        return never();
      });
      const client = await connectClient(url);
      const call = handled(client.request('slow', undefined));
      await flush();
      expect(signals).to.have.length(1);
      expect(signals[0].aborted).to.equal(false);
      await client.disconnect();
      await flush();
      expect(signals[0].aborted).to.equal(true);
      expectCode(await rejectionOf(call), 'NOT_CONNECTED');
    });

    it('aborts ctx.signal when the client aborts its request (a cancel frame reaches the server)', async () => {
      const { server, adapter, url } = await startServer();
      const inbound = recordInbound(adapter);
      const signals: AbortSignal[] = [];
      server.handle('slow', (_p, ctx) => {
        signals.push(ctx.signal);
        return never();
      });
      const client = await connectClient(url);
      const controller = new AbortController();
      const call = handled(client.request('slow', undefined, { signal: controller.signal }));
      await flush();
      controller.abort();
      expectCode(await rejectionOf(call), 'ABORTED');
      await flush();
      const req = inbound.find((f) => f.k === 'req');
      expect(inbound.filter((f) => f.k === 'cancel')).to.deep.equal([{ k: 'cancel', id: req?.id }]);
      expect(signals[0].aborted).to.equal(true);
    });

    it('aborts ctx.signal when the client gives up on its timeout', async () => {
      clock = useFakeClock();
      const { server, url } = await startServer();
      const signals: AbortSignal[] = [];
      server.handle('slow', (_p, ctx) => {
        signals.push(ctx.signal);
        return never();
      });
      const client = await connectClient(url);
      const call = handled(client.request('slow', undefined, { timeout: 50 }));
      await flush();
      await clock.tickAsync(50);
      expectCode(await rejectionOf(call), 'TIMEOUT');
      await flush();
      expect(signals[0].aborted).to.equal(true);
    });
  });

  describe('client.request() errors', () => {
    it('throws TypeError for headers that are not an object, before sending anything', async () => {
      const { adapter, url } = await startServer();
      const inbound = recordInbound(adapter);
      const client = await connectClient(url);
      for (const headers of [null, [], 'x']) {
        const error = await rejectionOf(client.request('x', 1, { headers: headers as never }));
        expect(error, JSON.stringify(headers)).to.be.instanceOf(TypeError);
      }
      await flush();
      expect(inbound.filter((f) => f.k === 'req')).to.deep.equal([]);
    });

    it('refuses timeouts and bounds that are not positive numbers when the client is made', async () => {
      const { url } = await startServer();
      for (const bad of [0, -1, Number.NaN]) {
        expect(() => newClient(url, { requestTimeout: bad }), `requestTimeout ${bad}`).to.throw(
          RangeError,
        );
        expect(
          () => newClient(url, { maxRequestsInFlight: bad }),
          `maxRequestsInFlight ${bad}`,
        ).to.throw(RangeError);
        expect(() => newClient(url, { connectTimeout: bad }), `connectTimeout ${bad}`).to.throw(
          RangeError,
        );
      }
    });

    it('rejects with HANDLER_NOT_FOUND for a name without a handler', async () => {
      const { url } = await startServer();
      const client = await connectClient(url);
      expectCode(await rejectionOf(client.request('missing', 1)), 'HANDLER_NOT_FOUND');
    });

    it('rejects with TIMEOUT after the default 10 s requestTimeout, not before', async () => {
      clock = useFakeClock();
      const { server, url } = await startServer();
      server.handle('slow', () => never());
      const client = await connectClient(url);
      const call = handled(client.request('slow', undefined));
      const outcome = watch(call);
      await clock.tickAsync(9_999);
      expect(outcome.called, 'still waiting at 9999 ms').to.equal(false);
      await clock.tickAsync(1);
      expectCode(await rejectionOf(call), 'TIMEOUT');
    });

    it("rejects with TIMEOUT after the client's requestTimeout", async () => {
      clock = useFakeClock();
      const { server, url } = await startServer();
      server.handle('slow', () => never());
      const client = await connectClient(url, { requestTimeout: 300 });
      const call = handled(client.request('slow', undefined));
      const outcome = watch(call);
      await clock.tickAsync(299);
      expect(outcome.called).to.equal(false);
      await clock.tickAsync(1);
      expectCode(await rejectionOf(call), 'TIMEOUT');
    });

    it('rejects with TIMEOUT after a per-call timeout, which overrides requestTimeout', async () => {
      clock = useFakeClock();
      const { server, url } = await startServer();
      server.handle('slow', () => never());
      const client = await connectClient(url, { requestTimeout: 300 });
      const short = handled(client.request('slow', undefined, { timeout: 20 }));
      const long = client.request('slow', undefined, { timeout: 5_000 });
      const longOutcome = watch(long);
      await clock.tickAsync(20);
      expectCode(await rejectionOf(short), 'TIMEOUT');
      await clock.tickAsync(4_000);
      expect(longOutcome.called, 'the 5 s call outlives requestTimeout').to.equal(false);
      await clock.tickAsync(980);
      expectCode(await rejectionOf(long), 'TIMEOUT');
    });

    it('leaves at most one timer behind once requests are answered, which ends by itself', async () => {
      clock = useFakeClock();
      // Heartbeats off: their one sweep timer lives as long as the server.
      const { server, url } = await startServer({ heartbeatInterval: Infinity });
      server.handle('add', add);
      const client = await connectClient(url);
      for (let i = 0; i < 20; i++)
        expect(await client.request('add', { a: i, b: 1 })).to.equal(i + 1);
      expect(clock.countTimers()).to.be.at.most(1);
      await clock.tickAsync(10_000);
      expect(clock.countTimers()).to.equal(0);
    });

    it('keeps no process alive after its requests were answered (the shared timer is unref’d)', function () {
      this.timeout(30_000);
      // In-process transport, no cleanup: only a request timer could keep this process running.
      const script = [
        "import { MemorySocket, MemorySocketServer } from 'plugsocket/memory';",
        "import { SocketClient, SocketServer } from 'plugsocket';",
        'const server = new SocketServer(new MemorySocketServer());',
        "server.handle('add', (p) => p.a + p.b);",
        'const { url } = await server.listen();',
        'const client = new SocketClient(new MemorySocket(), { url, requestTimeout: 600_000 });',
        'await client.connect();',
        "console.log(await client.request('add', { a: 1, b: 2 }));",
      ].join('\n');
      const started = Date.now();
      const run = spawnSync(
        process.execPath,
        ['--conditions=plugsocket-source', '--import', 'tsx', '--input-type=module', '-e', script],
        { encoding: 'utf8', timeout: 25_000 },
      );
      expect(run.stdout.trim()).to.equal('3');
      expect(run.status, run.stderr).to.equal(0);
      expect(Date.now() - started, 'exited long before the 600 s request timeout').to.be.below(
        25_000,
      );
    });

    it('rejects with ABORTED at once for a signal already aborted, sending nothing', async () => {
      const { server, adapter, url } = await startServer();
      const inbound = recordInbound(adapter);
      const handler = sinon.spy();
      server.handle('x', handler);
      const client = await connectClient(url);
      expectCode(
        await rejectionOf(client.request('x', 1, { signal: AbortSignal.abort() })),
        'ABORTED',
      );
      await flush();
      expect(inbound.filter((f) => f.k === 'req')).to.deep.equal([]);
      expect(handler.called).to.equal(false);
    });

    it('rejects with ABORTED when the signal aborts mid-flight', async () => {
      const { server, url } = await startServer();
      server.handle('slow', () => never());
      const client = await connectClient(url);
      const controller = new AbortController();
      const call = handled(client.request('slow', undefined, { signal: controller.signal }));
      await flush();
      controller.abort();
      expectCode(await rejectionOf(call), 'ABORTED');
    });

    it('queues a request made before connect() (sent once open), and rejects NOT_CONNECTED after disconnect()', async () => {
      const { server, url } = await startServer();
      server.handle('add', add);
      const client = newClient(url);
      const early = client.request('add', { a: 1, b: 2 });
      await client.connect();
      expect(await early).to.equal(3);
      await client.disconnect();
      expectCode(await rejectionOf(client.request('add', { a: 1, b: 2 })), 'NOT_CONNECTED');
      const unqueued = newClient(url, { messageQueueSize: 0 });
      expectCode(await rejectionOf(unqueued.request('add', { a: 1, b: 2 })), 'NOT_CONNECTED');
    });

    it('rejects with NOT_CONNECTED when the connection is lost while waiting', async () => {
      const { server, url } = await startServer();
      server.handle('slow', () => never());
      const client = await connectClient(url);
      const call = handled(client.request('slow', undefined));
      await flush();
      await server.disconnect(client.id ?? '');
      expectCode(await rejectionOf(call), 'NOT_CONNECTED');
    });

    for (const mode of ['synchronously', 'asynchronously'] as const) {
      it(`passes a PlugSocketError the handler throws ${mode} with its code and message`, async () => {
        const { server, url } = await startServer();
        const errors = sinon.spy();
        server.onError(errors);
        server.handle('secret', () => {
          const error = new PlugSocketError('UNAUTHORIZED', 'x');
          if (mode === 'synchronously') throw error;
          return Promise.reject(error);
        });
        const client = await connectClient(url);
        const error = await rejectionOf(client.request('secret', undefined));
        expectCode(error, 'UNAUTHORIZED');
        expect(error.message).to.equal('x');
        expect(errors.called, 'a typed refusal is not a server error').to.equal(false);
      });

      it(`answers anything else the handler throws ${mode} with a generic SERVER_ERROR and reports the original`, async () => {
        const { server, url } = await startServer();
        const reported: [string | undefined, PlugSocketError][] = [];
        server.onError((clientId, error) => reported.push([clientId, error]));
        const original = new Error('db password is hunter2');
        server.handle('boom', () => {
          if (mode === 'synchronously') throw original;
          return Promise.reject(original);
        });
        const client = await connectClient(url);
        const error = await rejectionOf(client.request('boom', undefined));
        expectCode(error, 'SERVER_ERROR');
        expect(error.message).to.not.include('hunter2');
        expect(error.message).to.not.include(original.stack ?? '(no stack)');
        expect(error.message).to.not.match(/\n\s+at /);
        expect(reported).to.have.length(1);
        expect(reported[0][0]).to.equal(client.id);
        expectCode(reported[0][1], 'SERVER_ERROR');
        expect(reported[0][1].cause).to.equal(original);
      });
    }

    it('answers a thrown non-Error value with SERVER_ERROR', async () => {
      const { server, url } = await startServer();
      const reported = sinon.spy();
      server.onError(reported);
      server.handle('boom', () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        throw 'plain string';
      });
      const client = await connectClient(url);
      const error = await rejectionOf(client.request('boom', undefined));
      expectCode(error, 'SERVER_ERROR');
      expect(error.message).to.not.include('plain string');
      expect((reported.firstCall.args[1] as PlugSocketError).cause).to.equal('plain string');
    });

    it('answers SERVER_ERROR, and reports it, for a result that cannot be encoded', async () => {
      const { server, url } = await startServer();
      const reported: PlugSocketError[] = [];
      server.onError((_id, error) => reported.push(error));
      server.handle('big', () => 10n);
      const client = await connectClient(url);
      expectCode(await rejectionOf(client.request('big', undefined)), 'SERVER_ERROR');
      expect(reported.map((e) => e.code)).to.deep.equal(['SERVER_ERROR']);
      expect(reported[0].cause).to.be.instanceOf(Error);
    });

    it('drops a late answer after a timeout quietly: no error anywhere and the client keeps working', async () => {
      clock = useFakeClock();
      const { server, url } = await startServer();
      const serverErrors = sinon.spy();
      server.onError(serverErrors);
      const answer = deferred<number>();
      server.handle('slow', () => answer.promise);
      server.handle('add', add);
      const client = await connectClient(url);
      const clientErrors = sinon.spy();
      client.onError(clientErrors);
      const call = handled(client.request('slow', undefined, { timeout: 100 }));
      await clock.tickAsync(100);
      expectCode(await rejectionOf(call), 'TIMEOUT');
      answer.resolve(7);
      await flush();
      expect(serverErrors.called).to.equal(false);
      expect(clientErrors.called).to.equal(false);
      expect(client.state).to.equal('open');
      expect(await client.request('add', { a: 1, b: 2 })).to.equal(3);
    });
  });

  describe('#removeHandler() / #hasHandler() / #addHandler()', () => {
    it('hasHandler tells whether a name has a handler; removeHandler removes it once', async () => {
      const { server, url } = await startServer();
      expect(server.hasHandler('add')).to.equal(false);
      server.handle('add', add);
      expect(server.hasHandler('add')).to.equal(true);
      const client = await connectClient(url);
      expect(await client.request('add', { a: 1, b: 1 })).to.equal(2);
      expect(server.removeHandler('add')).to.equal(true);
      expect(server.hasHandler('add')).to.equal(false);
      expect(server.removeHandler('add')).to.equal(false);
      expectCode(await rejectionOf(client.request('add', { a: 1, b: 1 })), 'HANDLER_NOT_FOUND');
    });

    it('throws when a name already has a handler, and keeps the first one', async () => {
      const { server, url } = await startServer();
      server.handle('n', () => 'first');
      expect(() => server.handle('n', () => 'second')).to.throw(Error);
      expect(() => server.addHandler('n', () => 'third')).to.throw(Error);
      const client = await connectClient(url);
      expect(await client.request('n', undefined)).to.equal('first');
    });

    it('accepts a handler again after removeHandler', async () => {
      const { server, url } = await startServer();
      server.handle('n', () => 'first');
      server.removeHandler('n');
      server.handle('n', () => 'second');
      const client = await connectClient(url);
      expect(await client.request('n', undefined)).to.equal('second');
    });

    it('addHandler is an alias of handle', async () => {
      const { server, url } = await startServer();
      expect(server.addHandler('add', add)).to.equal(server);
      expect(server.hasHandler('add')).to.equal(true);
      const client = await connectClient(url);
      expect(await client.request('add', { a: 4, b: 5 })).to.equal(9);
    });

    it('refuses a handler that is not a function with TypeError', async () => {
      const { server } = await startServer();
      expect(() => server.handle('x', 42 as never)).to.throw(TypeError);
      expect(server.hasHandler('x')).to.equal(false);
    });
  });

  describe('maxRequestsInFlight (requests of one client being handled)', () => {
    it('answers a request past the bound with TOO_MANY_REQUESTS and serves the client again once one finished', async () => {
      const { server, url } = await startServer({ maxRequestsInFlight: 2 });
      const gates = [deferred<string>(), deferred<string>()];
      let n = 0;
      server.handle('slow', () => (gates[n++] ?? deferred<string>()).promise);
      server.handle('add', add);
      const client = await connectClient(url);
      const first = handled(client.request('slow', undefined));
      const second = handled(client.request('slow', undefined));
      const third = client.request('add', { a: 1, b: 1 });
      expectCode(await rejectionOf(third), 'TOO_MANY_REQUESTS');
      // Another client has its own bound.
      const other = await connectClient(url);
      expect(await other.request('add', { a: 2, b: 2 })).to.equal(4);
      gates[0].resolve('one');
      expect(await first).to.equal('one');
      expect(await client.request('add', { a: 3, b: 3 })).to.equal(6);
      gates[1].resolve('two');
      expect(await second).to.equal('two');
      expect(n, 'the refused request never reached a handler').to.equal(2);
    });

    it('frees the slot of a request that failed or had no handler', async () => {
      const { server, url } = await startServer({ maxRequestsInFlight: 1 });
      server.handle('boom', () => {
        throw new Error('x');
      });
      server.handle('typed', () => Promise.reject(new PlugSocketError('RATE_LIMITED', 'x')));
      server.handle('add', add);
      const client = await connectClient(url);
      expectCode(await rejectionOf(client.request('boom', undefined)), 'SERVER_ERROR');
      expectCode(await rejectionOf(client.request('typed', undefined)), 'RATE_LIMITED');
      expectCode(await rejectionOf(client.request('missing', undefined)), 'HANDLER_NOT_FOUND');
      expect(await client.request('add', { a: 1, b: 2 })).to.equal(3);
    });

    // Regression: a cancel freed the slot while the cancelled handler still ran, so req + cancel
    // could pile up unbounded work on the server.
    it('keeps the slot of a cancelled request until its handler has settled', async () => {
      const { server, url } = await startServer({ maxRequestsInFlight: 1 });
      const gate = deferred<string>();
      server.handle('slow', () => gate.promise);
      server.handle('add', add);
      const client = await connectClient(url);
      const controller = new AbortController();
      const slow = handled(client.request('slow', undefined, { signal: controller.signal }));
      await flush();
      controller.abort();
      expectCode(await rejectionOf(slow), 'ABORTED');
      await flush();
      expectCode(await rejectionOf(client.request('add', { a: 1, b: 2 })), 'TOO_MANY_REQUESTS');
      gate.resolve('late');
      await flush();
      expect(await client.request('add', { a: 1, b: 2 })).to.equal(3);
    });
  });

  describe('SocketClient maxRequestsInFlight (its own requests)', () => {
    it('rejects a request past the bound with TOO_MANY_REQUESTS at once, without sending it', async () => {
      const { server, adapter, url } = await startServer();
      const inbound = recordInbound(adapter);
      const gate = deferred<string>();
      server.handle('slow', () => gate.promise);
      const client = await connectClient(url, { maxRequestsInFlight: 1 });
      const first = handled(client.request('slow', undefined));
      expectCode(await rejectionOf(client.request('slow', undefined)), 'TOO_MANY_REQUESTS');
      await flush();
      expect(inbound.filter((f) => f.k === 'req')).to.have.length(1);
      gate.resolve('done');
      expect(await first).to.equal('done');
      // The slot is free again.
      const again = client.request('slow', undefined);
      expect(await again).to.equal('done');
    });

    it('does not count join and leave against the bound', async () => {
      const { server, url } = await startServer();
      server.handle('slow', () => never());
      const client = await connectClient(url, { maxRequestsInFlight: 1 });
      void handled(client.request('slow', undefined));
      await client.join('news');
      await client.leave('news');
      await client.join('sport');
      expect([...(server.getClient(client.id ?? '')?.topics ?? [])]).to.deep.equal(['sport']);
      expectCode(await rejectionOf(client.request('slow', undefined)), 'TOO_MANY_REQUESTS');
    });

    it('regression: a client reconnecting in more topics than maxRequestsInFlight no longer drops the extra ones with TOO_MANY_REQUESTS', async () => {
      const { server, url } = await startServer();
      const client = await connectClient(url, { maxRequestsInFlight: 2 });
      const errors: PlugSocketError[] = [];
      client.onError((error) => errors.push(error));
      for (const topic of ['a', 'b', 'c', 'd']) await client.join(topic);
      await server.disconnect(client.id ?? '');
      await flush();
      await client.connect();
      await flush();
      expect(errors.map((e) => e.code)).to.deep.equal([]);
      expect([...client.topics]).to.have.members(['a', 'b', 'c', 'd']);
      expect([...(server.getClient(client.id ?? '')?.topics ?? [])]).to.have.members([
        'a',
        'b',
        'c',
        'd',
      ]);
    });

    it('fails a join waiting for its answer with NOT_CONNECTED when the connection is lost', async () => {
      const verdict = deferred<boolean>();
      const { server, url } = await startServer({ canSubscribe: () => verdict.promise });
      const client = await connectClient(url);
      const join = handled(client.join('slow-topic'));
      await flush();
      await server.disconnect(client.id ?? '');
      expectCode(await rejectionOf(join), 'NOT_CONNECTED');
    });
  });

  describe('wire protocol of requests', () => {
    it('answers {k:"req",id:5,name,payload} with {k:"ack",id:5,result}', async () => {
      const { server, url } = await startServer();
      server.handle('add', add);
      const raw = await welcomedRaw(url);
      raw.sendJson({ k: 'req', id: 5, name: 'add', payload: { a: 1, b: 2 } });
      await flush();
      expect(raw.ofKind('ack')).to.deep.equal([{ k: 'ack', id: 5, result: 3 }]);
    });

    it('answers a handler that returns undefined with an ack without result', async () => {
      const { server, url } = await startServer();
      server.handle('noop', () => undefined);
      const raw = await welcomedRaw(url);
      raw.sendJson({ k: 'req', id: 0, name: 'noop' });
      await flush();
      expect(raw.ofKind('ack')).to.deep.equal([{ k: 'ack', id: 0 }]);
    });

    it('answers an unknown name with a nack HANDLER_NOT_FOUND for that id', async () => {
      const { url } = await startServer();
      const raw = await welcomedRaw(url);
      raw.sendJson({ k: 'req', id: 8, name: 'missing' });
      await flush();
      const nacks = raw.ofKind('nack');
      expect(nacks.map((f) => f.id)).to.deep.equal([8]);
      expect(codeOf(nacks[0])).to.equal('HANDLER_NOT_FOUND');
    });

    // A nack with the id would settle the first request on the client: an error frame cannot.
    it('answers a second request with an id still in flight with an error frame (not a nack) and still answers the first', async () => {
      const { server, url } = await startServer();
      const gate = deferred<string>();
      const handler = sinon.spy(() => gate.promise);
      server.handle('slow', handler);
      const raw = await welcomedRaw(url);
      raw.sendJson({ k: 'req', id: 3, name: 'slow' });
      raw.sendJson({ k: 'req', id: 3, name: 'slow' });
      await flush();
      expect(handler.callCount).to.equal(1);
      expect(raw.ofKind('nack')).to.deep.equal([]);
      const errors = raw.ofKind('error');
      expect(errors).to.have.length(1);
      expect(codeOf(errors[0])).to.equal('INVALID_MESSAGE');
      gate.resolve('first');
      await flush();
      expect(raw.ofKind('ack')).to.deep.equal([{ k: 'ack', id: 3, result: 'first' }]);
    });

    it('accepts an id again once its request was answered', async () => {
      const { server, url } = await startServer();
      server.handle('add', add);
      const raw = await welcomedRaw(url);
      raw.sendJson({ k: 'req', id: 1, name: 'add', payload: { a: 1, b: 1 } });
      await flush();
      raw.sendJson({ k: 'req', id: 1, name: 'add', payload: { a: 2, b: 2 } });
      await flush();
      expect(raw.ofKind('ack')).to.deep.equal([
        { k: 'ack', id: 1, result: 2 },
        { k: 'ack', id: 1, result: 4 },
      ]);
      expect(raw.ofKind('nack')).to.deep.equal([]);
    });

    it('aborts the handler signal on a raw cancel and sends no answer', async () => {
      const { server, url } = await startServer();
      const gate = deferred<string>();
      const signals: AbortSignal[] = [];
      server.handle('slow', (_p, ctx) => {
        signals.push(ctx.signal);
        return gate.promise;
      });
      const raw = await welcomedRaw(url);
      raw.sendJson({ k: 'req', id: 4, name: 'slow' });
      await flush();
      expect(signals[0].aborted).to.equal(false);
      raw.sendJson({ k: 'cancel', id: 4 });
      await flush();
      expect(signals[0].aborted).to.equal(true);
      gate.resolve('too late');
      await flush();
      expect(raw.ofKind('ack')).to.deep.equal([]);
      expect(raw.ofKind('nack')).to.deep.equal([]);
    });

    it('ignores a cancel for an id not in flight', async () => {
      const { server, url } = await startServer();
      const errors = sinon.spy();
      server.onError(errors);
      server.handle('add', add);
      const raw = await welcomedRaw(url);
      raw.sendJson({ k: 'cancel', id: 77 });
      raw.sendJson({ k: 'req', id: 77, name: 'add', payload: { a: 1, b: 2 } });
      await flush();
      expect(raw.ofKind('ack')).to.deep.equal([{ k: 'ack', id: 77, result: 3 }]);
      expect(errors.called).to.equal(false);
    });

    for (const [what, frame] of [
      ['a req without a name', { k: 'req', id: 9, payload: 1 }],
      ['a req whose headers are not an object', { k: 'req', id: 9, name: 'add', headers: 'h' }],
      ['a req carrying the server-only "from"', { k: 'req', id: 9, name: 'add', from: 'someone' }],
      ['a req with a bad target', { k: 'req', id: 9, name: 'add', to: { user: 'u', x: 1 } }],
    ] as const) {
      it(`answers ${what} with a nack INVALID_MESSAGE for its id, and reports it`, async () => {
        const { server, url } = await startServer();
        const reported: PlugSocketError[] = [];
        server.onError((_id, error) => reported.push(error));
        const handler = sinon.spy(add);
        server.handle('add', handler);
        const raw = await welcomedRaw(url);
        raw.sendJson(frame);
        await flush();
        const nacks = raw.ofKind('nack');
        expect(nacks.map((f) => f.id)).to.deep.equal([9]);
        expect(codeOf(nacks[0])).to.equal('INVALID_MESSAGE');
        expect(raw.ofKind('error'), 'not a bare error frame').to.deep.equal([]);
        expect(reported.map((e) => e.code)).to.deep.equal(['INVALID_MESSAGE']);
        expect(handler.called).to.equal(false);
      });
    }
  });

  describe('late answers reaching a SocketClient', () => {
    it('drops an ack for a request that timed out, quietly', async () => {
      clock = useFakeClock();
      const rawServer = new RawServer();
      raws.push(rawServer);
      const url = await rawServer.listen();
      const client: SocketClient = await connectClient(url);
      const errors = sinon.spy();
      client.onError(errors);
      const call = handled(client.request('slow', undefined, { timeout: 100 }));
      await flush();
      const req = rawServer.ofKind('req')[0];
      await clock.tickAsync(100);
      expectCode(await rejectionOf(call), 'TIMEOUT');
      await flush();
      expect(rawServer.ofKind('cancel')).to.deep.equal([{ k: 'cancel', id: req.id }]);
      rawServer.send({ k: 'ack', id: req.id, result: 'late' });
      rawServer.send({ k: 'nack', id: req.id, error: { code: 'SERVER_ERROR', message: 'late' } });
      await flush();
      expect(errors.called).to.equal(false);
      expect(client.state).to.equal('open');
      // The next request still gets its own answer.
      const next = client.request('again', undefined);
      await flush();
      const second = rawServer.ofKind('req')[1];
      expect(second.id).to.not.equal(req.id);
      rawServer.send({ k: 'ack', id: second.id, result: 'fresh' });
      expect(await next).to.equal('fresh');
    });

    it('rebuilds an unknown error code of a nack as SERVER_ERROR', async () => {
      const rawServer = new RawServer();
      raws.push(rawServer);
      const url = await rawServer.listen();
      const client = await connectClient(url);
      const call = handled(client.request('x', undefined));
      await flush();
      const req = rawServer.ofKind('req')[0];
      rawServer.send({ k: 'nack', id: req.id, error: { code: 'NO_SUCH_CODE', message: 'm' } });
      const error = await rejectionOf(call);
      expectCode(error, 'SERVER_ERROR');
      expect(error.message).to.equal('m');
    });
  });
});
