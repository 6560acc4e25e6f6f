// Server → client request/response: SocketServer#request answered by SocketClient#handle, and
// requests to many clients at once (server.to(topic).timeout(ms).request(...)) that gather every
// answer, over the memory transport.
import { expect } from 'chai';
import sinon from 'sinon';
import { PlugSocketError, type ClientHandlerContext, type SocketClient } from '../../src/index.js';
import {
  cleanUp,
  connectClient,
  deferred,
  expectCode,
  flush,
  RawClient,
  rejectionOf,
  startServer,
  useFakeClock,
} from './support.js';
import {
  codeOf,
  handled,
  idOf,
  never,
  parse,
  RawServer,
  recordInbound,
  spyCodec,
  watch,
} from './requests-support.js';

describe('SocketServer', () => {
  let clock: sinon.SinonFakeTimers | undefined;

  afterEach(async () => {
    clock?.restore();
    clock = undefined;
    await cleanUp();
  });

  describe('#request()', () => {
    it("resolves with the client handler's synchronous result", async () => {
      const { server, url } = await startServer();
      const client = await connectClient(url);
      client.handle('double', (n) => (n as number) * 2);
      expect(await server.request(idOf(client), 'double', 21)).to.equal(42);
    });

    it("resolves with the client handler's asynchronous result", async () => {
      const { server, url } = await startServer();
      const client = await connectClient(url);
      client.handle('confirm', async (question) => {
        await flush();
        return `yes: ${String(question)}`;
      });
      expect(await server.request(idOf(client), 'confirm', 'sure?')).to.equal('yes: sure?');
    });

    it('resolves with undefined for a handler that returns nothing', async () => {
      const { server, url } = await startServer();
      const client = await connectClient(url);
      const handler = sinon.spy((_payload: unknown): void => undefined);
      client.handle('notify', handler);
      expect(await server.request(idOf(client), 'notify', { x: 1 })).to.equal(undefined);
      expect(handler.firstCall.args[0]).to.deep.equal({ x: 1 });
    });

    it('hands the handler a context with the name, no `from`, no headers and a live signal', async () => {
      const { server, url } = await startServer();
      const client = await connectClient(url);
      const contexts: ClientHandlerContext[] = [];
      client.handle('ask', (_p, ctx) => {
        contexts.push(ctx);
        return 'ok';
      });
      await server.request(idOf(client), 'ask', undefined);
      expect(contexts).to.have.length(1);
      expect(contexts[0].name).to.equal('ask');
      expect(contexts[0].from).to.equal(undefined);
      expect(contexts[0].headers).to.equal(undefined);
      expect(contexts[0].signal.aborted).to.equal(false);
    });

    it('rejects with NOT_CONNECTED for an unknown client id', async () => {
      const { server } = await startServer();
      expectCode(await rejectionOf(server.request('nobody', 'ask', 1)), 'NOT_CONNECTED');
    });

    it('rejects with NOT_CONNECTED when the client leaves before answering, and aborts its handler signal', async () => {
      const { server, url } = await startServer();
      const client = await connectClient(url);
      const signals: AbortSignal[] = [];
      client.handle('slow', (_p, ctx) => {
        signals.push(ctx.signal);
        return never();
      });
      const call = handled(server.request(idOf(client), 'slow', undefined));
      await flush();
      expect(signals).to.have.length(1);
      await client.disconnect();
      expectCode(await rejectionOf(call), 'NOT_CONNECTED');
      expect(signals[0].aborted).to.equal(true);
    });

    it('rejects with HANDLER_NOT_FOUND when the client has no handler for the name', async () => {
      const { server, url } = await startServer();
      const client = await connectClient(url);
      expectCode(
        await rejectionOf(server.request(idOf(client), 'missing', 1)),
        'HANDLER_NOT_FOUND',
      );
    });

    it('rejects with HANDLER_NOT_FOUND after the client removed its handler', async () => {
      const { server, url } = await startServer();
      const client = await connectClient(url);
      client.handle('x', () => 1);
      expect(await server.request(idOf(client), 'x', undefined)).to.equal(1);
      expect(client.removeHandler('x')).to.equal(true);
      expect(client.removeHandler('x')).to.equal(false);
      expectCode(
        await rejectionOf(server.request(idOf(client), 'x', undefined)),
        'HANDLER_NOT_FOUND',
      );
    });

    it('refuses a second client handler for a name, keeping the first', async () => {
      const { server, url } = await startServer();
      const client = await connectClient(url);
      client.handle('x', () => 'first');
      expect(() => client.handle('x', () => 'second')).to.throw(Error);
      expect(await server.request(idOf(client), 'x', undefined)).to.equal('first');
    });

    it("rejects with TIMEOUT after the server's default 10 s requestTimeout", async () => {
      clock = useFakeClock();
      const { server, url } = await startServer();
      const client = await connectClient(url);
      client.handle('slow', () => never());
      const call = handled(server.request(idOf(client), 'slow', undefined));
      const outcome = watch(call);
      await clock.tickAsync(9_999);
      expect(outcome.called, 'still waiting at 9999 ms').to.equal(false);
      await clock.tickAsync(1);
      expectCode(await rejectionOf(call), 'TIMEOUT');
    });

    it('rejects with TIMEOUT after the configured requestTimeout or a per-call timeout', async () => {
      clock = useFakeClock();
      const { server, url } = await startServer({ requestTimeout: 1_000 });
      const client = await connectClient(url);
      client.handle('slow', () => never());
      const byDefault = handled(server.request(idOf(client), 'slow', undefined));
      const perCall = handled(server.request(idOf(client), 'slow', undefined, { timeout: 200 }));
      const defaultOutcome = watch(byDefault);
      await clock.tickAsync(200);
      expectCode(await rejectionOf(perCall), 'TIMEOUT');
      expect(defaultOutcome.called).to.equal(false);
      await clock.tickAsync(800);
      expectCode(await rejectionOf(byDefault), 'TIMEOUT');
    });

    it("aborts the client handler's signal when the server times out (a cancel frame reaches the client)", async () => {
      clock = useFakeClock();
      const { server, url } = await startServer();
      const client = await connectClient(url);
      const received: Record<string, unknown>[] = [];
      client.adapter.on('message', (frame) => received.push(parse(frame)));
      const signals: AbortSignal[] = [];
      client.handle('slow', (_p, ctx) => {
        signals.push(ctx.signal);
        return never();
      });
      const call = handled(server.request(idOf(client), 'slow', undefined, { timeout: 50 }));
      await flush();
      await clock.tickAsync(50);
      expectCode(await rejectionOf(call), 'TIMEOUT');
      await flush();
      const req = received.find((f) => f.k === 'req');
      expect(received.filter((f) => f.k === 'cancel')).to.deep.equal([
        { k: 'cancel', id: req?.id },
      ]);
      expect(signals[0].aborted).to.equal(true);
    });

    it('sends no answer from a client handler whose request was cancelled', async () => {
      clock = useFakeClock();
      const { server, adapter, url } = await startServer();
      const inbound = recordInbound(adapter);
      const client = await connectClient(url);
      const gate = deferred<string>();
      client.handle('slow', () => gate.promise);
      const call = handled(server.request(idOf(client), 'slow', undefined, { timeout: 50 }));
      await flush();
      await clock.tickAsync(50);
      expectCode(await rejectionOf(call), 'TIMEOUT');
      await flush();
      gate.resolve('late');
      await flush();
      expect(inbound.filter((f) => f.k === 'ack' || f.k === 'nack')).to.deep.equal([]);
    });

    it('rejects with ABORTED for a signal already aborted, without asking the client', async () => {
      const { server, url } = await startServer();
      const client = await connectClient(url);
      const handler = sinon.spy();
      client.handle('x', handler);
      const call = server.request(idOf(client), 'x', 1, { signal: AbortSignal.abort() });
      expectCode(await rejectionOf(call), 'ABORTED');
      await flush();
      expect(handler.called).to.equal(false);
    });

    it("rejects with ABORTED when the signal aborts mid-flight, aborting the client handler's signal", async () => {
      const { server, url } = await startServer();
      const client = await connectClient(url);
      const signals: AbortSignal[] = [];
      client.handle('slow', (_p, ctx) => {
        signals.push(ctx.signal);
        return never();
      });
      const controller = new AbortController();
      const call = handled(
        server.request(idOf(client), 'slow', undefined, { signal: controller.signal }),
      );
      await flush();
      controller.abort();
      expectCode(await rejectionOf(call), 'ABORTED');
      await flush();
      expect(signals[0].aborted).to.equal(true);
    });

    for (const mode of ['synchronously', 'asynchronously'] as const) {
      it(`passes a PlugSocketError a client handler throws ${mode} with its code and message`, async () => {
        const { server, url } = await startServer();
        const client = await connectClient(url);
        const clientErrors = sinon.spy();
        client.onError(clientErrors);
        client.handle('guarded', () => {
          const error = new PlugSocketError('UNAUTHORIZED', 'not you');
          if (mode === 'synchronously') throw error;
          return Promise.reject(error);
        });
        const error = await rejectionOf(server.request(idOf(client), 'guarded', undefined));
        expectCode(error, 'UNAUTHORIZED');
        expect(error.message).to.equal('not you');
        expect(clientErrors.called).to.equal(false);
      });

      it(`answers anything else a client handler throws ${mode} with a generic SERVER_ERROR, reported on the client`, async () => {
        const { server, url } = await startServer();
        const client = await connectClient(url);
        const clientErrors: PlugSocketError[] = [];
        client.onError((e) => clientErrors.push(e));
        const original = new Error('local secret');
        client.handle('boom', () => {
          if (mode === 'synchronously') throw original;
          return Promise.reject(original);
        });
        const error = await rejectionOf(server.request(idOf(client), 'boom', undefined));
        expectCode(error, 'SERVER_ERROR');
        expect(error.message).to.not.include('local secret');
        expect(clientErrors.map((e) => e.code)).to.deep.equal(['SERVER_ERROR']);
        expect(clientErrors[0].cause).to.equal(original);
      });
    }

    it('answers SERVER_ERROR for a client result that cannot be encoded', async () => {
      const { server, url } = await startServer();
      const client = await connectClient(url);
      const clientErrors: PlugSocketError[] = [];
      client.onError((e) => clientErrors.push(e));
      client.handle('big', () => 1n);
      expectCode(await rejectionOf(server.request(idOf(client), 'big', undefined)), 'SERVER_ERROR');
      expect(clientErrors.map((e) => e.code)).to.deep.equal(['SERVER_ERROR']);
    });

    it("bounds the server's requests waiting on one client with maxRequestsInFlight (TOO_MANY_REQUESTS)", async () => {
      const { server, url } = await startServer({ maxRequestsInFlight: 2 });
      const client = await connectClient(url);
      const other = await connectClient(url);
      const gate = deferred<string>();
      const handler = sinon.spy(() => gate.promise);
      client.handle('slow', handler);
      other.handle('slow', () => 'other');
      const first = server.request(idOf(client), 'slow', undefined);
      const second = server.request(idOf(client), 'slow', undefined);
      expectCode(
        await rejectionOf(server.request(idOf(client), 'slow', undefined)),
        'TOO_MANY_REQUESTS',
      );
      expect(await server.request(idOf(other), 'slow', undefined)).to.equal('other');
      gate.resolve('done');
      expect(await Promise.all([first, second])).to.deep.equal(['done', 'done']);
      expect(handler.callCount, 'the refused request was never sent').to.equal(2);
    });

    it("answers TOO_MANY_REQUESTS past the client's own maxRequestsInFlight for requests it handles", async () => {
      const { server, url } = await startServer();
      const client = await connectClient(url, { maxRequestsInFlight: 1 });
      const gate = deferred<string>();
      const handler = sinon.spy(() => gate.promise);
      client.handle('slow', handler);
      const first = server.request(idOf(client), 'slow', undefined);
      await flush();
      expectCode(
        await rejectionOf(server.request(idOf(client), 'slow', undefined)),
        'TOO_MANY_REQUESTS',
      );
      expect(handler.callCount).to.equal(1);
      gate.resolve('ok');
      expect(await first).to.equal('ok');
      // Room again once the first one is answered.
      expect(await server.request(idOf(client), 'slow', undefined)).to.equal('ok');
    });

    it('drops a late answer from a client after the timeout quietly', async () => {
      clock = useFakeClock();
      const { server, url } = await startServer();
      const errors = sinon.spy();
      server.onError(errors);
      const raw = await new RawClient().open(url);
      await flush();
      const id = raw.ofKind('welcome')[0].id as string;
      const call = handled(server.request(id, 'ask', 'q', { timeout: 100 }));
      await flush();
      const req = raw.ofKind('req')[0];
      expect(req).to.deep.include({ k: 'req', name: 'ask', payload: 'q' });
      await clock.tickAsync(100);
      expectCode(await rejectionOf(call), 'TIMEOUT');
      await flush();
      expect(raw.ofKind('cancel')).to.deep.equal([{ k: 'cancel', id: req.id }]);
      raw.sendJson({ k: 'ack', id: req.id, result: 'late' });
      raw.sendJson({ k: 'ack', id: 123456, result: 'unknown id' });
      await flush();
      expect(errors.called).to.equal(false);
      expect(server.getClient(id)).to.not.equal(undefined);
    });
  });

  describe('#to().timeout().request() (request to many clients)', () => {
    async function room(url: string, n: number, topic = 'room'): Promise<SocketClient[]> {
      const clients = await Promise.all(Array.from({ length: n }, () => connectClient(url)));
      await Promise.all(clients.map((c) => c.join(topic)));
      return clients;
    }

    it('gathers every answer by client id', async () => {
      const { server, url } = await startServer();
      const clients = await room(url, 3);
      clients.forEach((c, i) => c.handle('vote', (q) => `${String(q)}:${i}`));
      const replies = await server.to('room').timeout(1_000).request('vote', 'q');
      expect(replies.errors.size).to.equal(0);
      expect(replies.timedOut).to.deep.equal([]);
      expect(Object.fromEntries(replies.results)).to.deep.equal({
        [idOf(clients[0])]: 'q:0',
        [idOf(clients[1])]: 'q:1',
        [idOf(clients[2])]: 'q:2',
      });
    });

    it('sorts out a client that throws, one that never answers, one without a handler and one that leaves', async () => {
      clock = useFakeClock();
      const { server, url } = await startServer();
      const [ok, thrower, silent, handlerless, leaver] = await room(url, 5);
      ok.handle('vote', () => 'yes');
      thrower.handle('vote', () => {
        throw new PlugSocketError('UNAUTHORIZED', 'no vote');
      });
      const silentSignals: AbortSignal[] = [];
      silent.handle('vote', (_p, ctx) => {
        silentSignals.push(ctx.signal);
        return never();
      });
      leaver.handle('vote', () => never());
      const pending = server.to('room').timeout(500).request('vote', undefined);
      const outcome = watch(pending);
      await flush();
      await leaver.disconnect();
      await flush();
      expect(outcome.called, 'waits for the silent client').to.equal(false);
      await clock.tickAsync(500);
      const replies = await pending;
      expect([...replies.results]).to.deep.equal([[idOf(ok), 'yes']]);
      expect([...replies.errors.keys()]).to.have.members([
        idOf(thrower),
        idOf(handlerless),
        idOf(leaver),
      ]);
      expectCode(replies.errors.get(idOf(thrower)), 'UNAUTHORIZED');
      expectCode(replies.errors.get(idOf(handlerless)), 'HANDLER_NOT_FOUND');
      expectCode(replies.errors.get(idOf(leaver)), 'NOT_CONNECTED');
      expect(replies.timedOut).to.deep.equal([idOf(silent)]);
      await flush();
      expect(silentSignals[0].aborted, 'the timed-out client was told to stop').to.equal(true);
    });

    it("waits the server's requestTimeout without .timeout()", async () => {
      clock = useFakeClock();
      const { server, url } = await startServer({ requestTimeout: 2_000 });
      const [silent] = await room(url, 1);
      silent.handle('vote', () => never());
      const pending = server.to('room').request('vote', undefined);
      const outcome = watch(pending);
      await clock.tickAsync(1_999);
      expect(outcome.called).to.equal(false);
      await clock.tickAsync(1);
      expect((await pending).timedOut).to.deep.equal([idOf(silent)]);
    });

    it('resolves at once, sending nothing, when nobody is in the topic', async () => {
      clock = useFakeClock();
      // Heartbeats off: their one sweep timer lives as long as the server.
      const { server, adapter } = await startServer({ heartbeatInterval: Infinity });
      const sendMany = sinon.spy(adapter, 'sendMany');
      const replies = await server.to('empty').timeout(60_000).request('vote', 1);
      expect(replies.results.size).to.equal(0);
      expect(replies.errors.size).to.equal(0);
      expect(replies.timedOut).to.deep.equal([]);
      expect(sendMany.called).to.equal(false);
      expect(clock.countTimers(), 'no timer was started').to.equal(0);
    });

    it('leaves out the clients given to except()', async () => {
      const { server, url } = await startServer();
      const [a, b, c] = await room(url, 3);
      const asked: string[] = [];
      for (const client of [a, b, c]) client.handle('vote', () => void asked.push(idOf(client)));
      const replies = await server.to('room').except(idOf(b)).timeout(1_000).request('vote', 1);
      expect([...replies.results.keys()]).to.have.members([idOf(a), idOf(c)]);
      expect(asked).to.have.members([idOf(a), idOf(c)]);
      const all = await server
        .except([idOf(a), idOf(c)])
        .timeout(1_000)
        .request('vote', 1);
      expect([...all.results.keys()]).to.deep.equal([idOf(b)]);
    });

    it('asks a client in several of the topics once', async () => {
      const { server, url } = await startServer();
      const [a] = await room(url, 1, 'one');
      await a.join('two');
      const handler = sinon.spy(() => 'x');
      a.handle('vote', handler);
      const replies = await server.to(['one', 'two']).timeout(1_000).request('vote', 1);
      expect([...replies.results.keys()]).to.deep.equal([idOf(a)]);
      expect(handler.callCount).to.equal(1);
    });

    it('encodes the request frame once and hands it to the transport in one sendMany', async () => {
      const { codec, encode } = spyCodec();
      const { server, adapter, url } = await startServer({ codec });
      const clients = await room(url, 4);
      for (const c of clients) c.handle('vote', () => true);
      const send = sinon.spy(adapter, 'send');
      const sendMany = sinon.spy(adapter, 'sendMany');
      encode.resetHistory();
      const replies = await server.to('room').timeout(1_000).request('vote', { big: 'payload' });
      expect(replies.results.size).to.equal(4);
      const requestEncodes = encode.args.filter(
        ([value]) => (value as { k?: unknown }).k === 'req',
      );
      expect(requestEncodes).to.have.length(1);
      expect(sendMany.callCount).to.equal(1);
      expect(sendMany.firstCall.args[0]).to.have.length(4);
      expect(
        send.args.filter(([, frame]) => parse(frame).k === 'req'),
        'no per-client send of the request',
      ).to.deep.equal([]);
    });

    it('refuses a timeout that is not a positive number with RangeError', async () => {
      const { server } = await startServer();
      expect(() => server.to('room').timeout(0)).to.throw(RangeError);
      expect(() => server.to('room').timeout(-5)).to.throw(RangeError);
      expect(() => server.to('room').timeout(Number.NaN)).to.throw(RangeError);
    });

    it('regression: a request to many clients was still sent to a client refused TOO_MANY_REQUESTS, running its handler for an answer nobody read', async () => {
      const { server, url } = await startServer({ maxRequestsInFlight: 1 });
      const [busy, free] = await room(url, 2);
      const gate = deferred<string>();
      const busyHandler = sinon.spy(() => gate.promise);
      busy.handle('vote', busyHandler);
      free.handle('vote', () => 'free');
      const held = server.request(idOf(busy), 'vote', 'first');
      await flush();
      expect(busyHandler.callCount).to.equal(1);
      const replies = await server.to('room').timeout(1_000).request('vote', 'second');
      expectCode(replies.errors.get(idOf(busy)), 'TOO_MANY_REQUESTS');
      expect([...replies.results]).to.deep.equal([[idOf(free), 'free']]);
      expect(busyHandler.callCount, 'the busy client was not sent the request').to.equal(1);
      gate.resolve('done');
      expect(await held).to.equal('done');
    });

    it('answers a raw client that nacks with its error', async () => {
      const { server, url } = await startServer();
      const raw = await new RawClient().open(url);
      await flush();
      const id = raw.ofKind('welcome')[0].id as string;
      server.subscribe(id, 'room');
      const pending = server.to('room').timeout(1_000).request('vote', 1);
      await flush();
      const req = raw.ofKind('req')[0];
      raw.sendJson({
        k: 'nack',
        id: req.id,
        error: { code: 'RATE_LIMITED', message: 'slow down' },
      });
      const replies = await pending;
      expectCode(replies.errors.get(id), 'RATE_LIMITED');
      expect(replies.results.size).to.equal(0);
    });
  });
});

describe('SocketClient', () => {
  const servers: RawServer[] = [];

  afterEach(async () => {
    await cleanUp();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function rawServer(): Promise<{ raw: RawServer; client: SocketClient }> {
    const raw = new RawServer();
    servers.push(raw);
    const client = await connectClient(await raw.listen());
    return { raw, client };
  }

  describe('#handle() on the wire', () => {
    it('answers {k:"req",id,name,payload} with {k:"ack",id,result}, and a failure with a nack of that id', async () => {
      const { raw, client } = await rawServer();
      client.handle('add', (p) => (p as { a: number }).a + 1);
      raw.send({ k: 'req', id: 5, name: 'add', payload: { a: 1 } });
      raw.send({ k: 'req', id: 6, name: 'missing' });
      await flush();
      expect(raw.ofKind('ack')).to.deep.equal([{ k: 'ack', id: 5, result: 2 }]);
      const nacks = raw.ofKind('nack');
      expect(nacks.map((f) => f.id)).to.deep.equal([6]);
      expect(codeOf(nacks[0])).to.equal('HANDLER_NOT_FOUND');
    });

    it('hands ctx.from and ctx.headers of a forwarded request to the handler', async () => {
      const { raw, client } = await rawServer();
      const contexts: ClientHandlerContext[] = [];
      client.handle('x', (_p, ctx) => void contexts.push(ctx));
      raw.send({ k: 'req', id: 1, name: 'x', from: 'peer-1', headers: { h: 1 } });
      await flush();
      expect(contexts[0].from).to.equal('peer-1');
      expect(contexts[0].headers).to.deep.equal({ h: 1 });
    });

    it('runs the handler once for a request id already in flight, answering once', async () => {
      const { raw, client } = await rawServer();
      const gate = deferred<string>();
      const handler = sinon.spy(() => gate.promise);
      client.handle('slow', handler);
      raw.send({ k: 'req', id: 2, name: 'slow' });
      raw.send({ k: 'req', id: 2, name: 'slow' });
      await flush();
      expect(handler.callCount).to.equal(1);
      gate.resolve('once');
      await flush();
      expect(raw.ofKind('ack')).to.deep.equal([{ k: 'ack', id: 2, result: 'once' }]);
      expect(raw.ofKind('nack')).to.deep.equal([]);
    });

    it('aborts the handler signal on a cancel and sends no answer', async () => {
      const { raw, client } = await rawServer();
      const gate = deferred<string>();
      const signals: AbortSignal[] = [];
      client.handle('slow', (_p, ctx) => {
        signals.push(ctx.signal);
        return gate.promise;
      });
      raw.send({ k: 'req', id: 3, name: 'slow' });
      await flush();
      raw.send({ k: 'cancel', id: 3 });
      await flush();
      expect(signals[0].aborted).to.equal(true);
      gate.resolve('late');
      await flush();
      expect(raw.ofKind('ack')).to.deep.equal([]);
    });

    it('answers a malformed request from the server with a nack INVALID_MESSAGE of its id, and reports it', async () => {
      const { raw, client } = await rawServer();
      const errors: PlugSocketError[] = [];
      client.onError((e) => errors.push(e));
      raw.send({ k: 'req', id: 9, name: 'x', to: 'someone' });
      await flush();
      const nacks = raw.ofKind('nack');
      expect(nacks.map((f) => f.id)).to.deep.equal([9]);
      expect(codeOf(nacks[0])).to.equal('INVALID_MESSAGE');
      expect(errors.map((e) => e.code)).to.deep.equal(['INVALID_MESSAGE']);
    });
  });
});
