import { expect } from 'chai';
import sinon from 'sinon';
import {
  PlugSocketError,
  type AuthorizationResult,
  type AuthorizationStrategy,
  type ConnectionContext,
  type ErrorCode,
  type Handshake,
  type InboundContext,
  type Middleware,
  type SocketClient,
} from '../../src/index.js';
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

/** The errors a client was told about (error frames), by code. */
function clientErrors(client: SocketClient): ErrorCode[] {
  const codes: ErrorCode[] = [];
  client.onError((error) => codes.push(error.code));
  return codes;
}

/** The server's errors, with the client id each concerned. */
function serverErrors(server: {
  onError(fn: (id: string | undefined, error: PlugSocketError) => void): unknown;
}): { id: string | undefined; error: PlugSocketError }[] {
  const errors: { id: string | undefined; error: PlugSocketError }[] = [];
  server.onError((id, error) => errors.push({ id, error }));
  return errors;
}

/** A middleware that records `name` on entry and `name:after` once the rest of the chain ran. */
function tracer(log: string[], name: string): Middleware {
  return async (_ctx, next) => {
    log.push(name);
    await next();
    log.push(`${name}:after`);
  };
}

/** `fn` as an asynchronous middleware: it runs (and throws) after an `await`, never calling next. */
function afterAwait(fn: () => unknown): () => Promise<void> {
  return async () => {
    await Promise.resolve();
    fn();
  };
}

/** A strategy whose server side is `authorize`. */
function strategy<P = unknown>(
  authorize: (handshake: Handshake) => AuthorizationResult<P> | Promise<AuthorizationResult<P>>,
): AuthorizationStrategy<P> {
  return { applyAuthorization: (options) => options, authorize };
}

describe('SocketServer', () => {
  let clock: sinon.SinonFakeTimers | undefined;

  afterEach(async () => {
    clock?.restore();
    clock = undefined;
    await cleanUp();
  });

  describe('#use()', () => {
    it('runs for messages and requests, in declaration order, with what the frame carried', async () => {
      const { server, url } = await startServer();
      const seen: unknown[] = [];
      const record =
        (name: string): Middleware =>
        (ctx, next) => {
          seen.push([
            name,
            ctx.kind,
            ctx.name,
            ctx.payload,
            ctx.headers,
            ctx.clientId,
            ctx.client.id,
          ]);
          return next();
        };
      expect(server.use(record('first'))).to.equal(server);
      server.use(record('second'));
      server.handle('add', (payload) => {
        const { a, b } = payload as { a: number; b: number };
        return a + b;
      });
      server.onEvent('say', () => undefined);
      const client = await connectClient(url);
      const id = client.id;
      client.emit('say', 'hi', { trace: 't' });
      expect(await client.request('add', { a: 1, b: 2 })).to.equal(3);
      expect(seen).to.deep.equal([
        ['first', 'message', 'say', 'hi', { trace: 't' }, id, id],
        ['second', 'message', 'say', 'hi', { trace: 't' }, id, id],
        ['first', 'request', 'add', { a: 1, b: 2 }, undefined, id, id],
        ['second', 'request', 'add', { a: 1, b: 2 }, undefined, id, id],
      ]);
    });

    it('runs code after `await next()` once the rest of the chain and the handler have run', async () => {
      const { server, url } = await startServer();
      const log: string[] = [];
      server.use(tracer(log, 'a')).use(tracer(log, 'b'));
      server.handle('work', () => {
        log.push('handler');
        return 'done';
      });
      const client = await connectClient(url);
      expect(await client.request('work', null)).to.equal('done');
      await flush();
      expect(log).to.deep.equal(['a', 'b', 'handler', 'b:after', 'a:after']);
    });

    it('gives the handler the principal the strategy decided', async () => {
      const { server, url } = await startServer({
        authorization: strategy(() => ({ ok: true, principal: { user: 'ann' } })),
      });
      const principals: unknown[] = [];
      server.use((ctx, next) => {
        principals.push(ctx.principal);
        return next();
      });
      server.handle('who', (_p, ctx) => ctx.principal);
      const client = await connectClient(url);
      expect(await client.request('who', null)).to.deep.equal({ user: 'ann' });
      expect(principals).to.deep.equal([{ user: 'ann' }]);
    });

    it('waits for an async middleware before going on', async () => {
      const { server, url } = await startServer();
      const gate = deferred<void>();
      const handler = sinon.spy(() => 'ok');
      server.use(async (_ctx, next) => {
        await gate.promise;
        await next();
      });
      server.handle('slow', handler);
      const client = await connectClient(url);
      const answer = client.request('slow', null);
      await flush();
      expect(handler.called).to.equal(false);
      gate.resolve();
      expect(await answer).to.equal('ok');
      expect(handler.callCount).to.equal(1);
    });

    it('ctx.set() stores a value on the connection: later frames of that client see it, others do not', async () => {
      const { server, url } = await startServer();
      server.use((ctx, next) => {
        ctx.set('count', (ctx.get<number>('count') ?? 0) + 1);
        return next();
      });
      server.handle('count', (_p, ctx) => ctx.get<number>('count'));
      const seenByListener: unknown[] = [];
      server.onEvent('ping', (_p, id) => seenByListener.push(server.getClient(id)?.get('count')));
      const a = await connectClient(url);
      const b = await connectClient(url);
      expect(await a.request('count', null)).to.equal(1);
      a.emit('ping', null);
      await flush();
      expect(await a.request('count', null)).to.equal(3);
      expect(await b.request('count', null)).to.equal(1);
      expect(seenByListener).to.deep.equal([2]);
      expect(server.getClient(a.id ?? '')?.get('count')).to.equal(3);
    });

    it('a payload the middleware replaces reaches the handler', async () => {
      const { server, url } = await startServer();
      server.use((ctx, next) => {
        ctx.payload = { wrapped: ctx.payload };
        return next();
      });
      server.handle('echo', (payload: unknown) => payload);
      const client = await connectClient(url);
      expect(await client.request('echo', 1)).to.deep.equal({ wrapped: 1 });
    });

    it('a payload the middleware replaces reaches listeners, onMessage, message$ and relayed clients', async () => {
      const { server, url } = await startServer();
      server.use(async (ctx, next) => {
        await Promise.resolve();
        ctx.payload = String(ctx.payload).toUpperCase();
        await next();
      });
      const seen: unknown[] = [];
      server.onEvent('say', (payload, _id, message) =>
        seen.push(['event', payload, message.payload]),
      );
      server.onAnyEvent((_type, payload) => seen.push(['any', payload]));
      server.onMessage((_id, message) => seen.push(['onMessage', message.payload]));
      server.message$.subscribe(({ message }) => seen.push(['message$', message.payload]));
      server.relay('say');
      const a = await connectClient(url);
      const b = await connectClient(url);
      const relayed: unknown[] = [];
      b.events.on('say', (payload) => relayed.push(payload));
      a.emit('say', 'hi');
      await flush();
      expect(seen).to.deep.equal([
        ['event', 'HI', 'HI'],
        ['any', 'HI'],
        ['onMessage', 'HI'],
        ['message$', 'HI'],
      ]);
      expect(relayed).to.deep.equal(['HI']);
    });

    describe('short-circuiting a request', () => {
      it('ctx.reply(x) answers with x without running the rest of the chain or the handler', async () => {
        const { server, url } = await startServer();
        const later = sinon.spy((_ctx: InboundContext, next: () => Promise<void>) => next());
        const handler = sinon.spy(() => 'from handler');
        server.use((ctx, next) => {
          if (ctx.payload === 'cached') {
            ctx.reply({ cached: true });
            return;
          }
          return next();
        });
        server.use(later);
        server.handle('get', handler);
        const client = await connectClient(url);
        expect(await client.request('get', 'cached')).to.deep.equal({ cached: true });
        expect(handler.called).to.equal(false);
        expect(later.called).to.equal(false);
        expect(await client.request('get', 'fresh')).to.equal('from handler');
      });

      it('ctx.reply() from an async middleware answers too', async () => {
        const { server, url } = await startServer();
        const handler = sinon.spy();
        server.use(async (ctx) => {
          await Promise.resolve();
          ctx.reply(42);
        });
        server.handle('get', handler);
        const client = await connectClient(url);
        expect(await client.request('get', null)).to.equal(42);
        expect(handler.called).to.equal(false);
      });

      it('a second answer is ignored: the first one wins', async () => {
        const { server, url } = await startServer();
        server.use(async (ctx, next) => {
          ctx.reply('first');
          ctx.reply('second');
          await next();
        });
        server.handle('get', () => 'handler');
        const client = await connectClient(url);
        expect(await client.request('get', null)).to.equal('first');
      });

      for (const mode of ['sync', 'async'] as const) {
        it(`a PlugSocketError thrown (${mode}) reaches the sender with its code; the handler does not run`, async () => {
          const { server, url } = await startServer();
          const errors = serverErrors(server);
          const handler = sinon.spy();
          const refuse = (): never => {
            throw new PlugSocketError('RATE_LIMITED', 'slow down');
          };
          server.use(mode === 'sync' ? refuse : afterAwait(refuse));
          server.handle('get', handler);
          const client = await connectClient(url);
          expectCode(await rejectionOf(client.request('get', null)), 'RATE_LIMITED');
          expect(handler.called).to.equal(false);
          expect(errors, 'a typed refusal is not a server failure').to.deep.equal([]);
        });

        it(`any other throw (${mode}) reaches the sender as a generic SERVER_ERROR, the original on onError`, async () => {
          const { server, url } = await startServer();
          const errors = serverErrors(server);
          const bug = new Error('secret internals');
          const fail = (): never => {
            throw bug;
          };
          server.use(mode === 'sync' ? fail : afterAwait(fail));
          server.handle('get', () => 'never');
          const client = await connectClient(url);
          const error = await rejectionOf(client.request('get', null));
          expectCode(error, 'SERVER_ERROR');
          expect(error.message, 'the original error stays on the server').to.not.include('secret');
          expect(errors).to.have.length(1);
          expect(errors[0].id).to.equal(client.id);
          expectCode(errors[0].error, 'SERVER_ERROR');
          expect(errors[0].error.cause).to.equal(bug);
          expect(client.isConnected).to.equal(true);
        });
      }

      for (const mode of ['sync', 'async'] as const) {
        it(`a ${mode} middleware that neither calls next() nor replies refuses with UNAUTHORIZED`, async () => {
          const { server, url } = await startServer();
          const handler = sinon.spy();
          server.use(mode === 'sync' ? () => undefined : afterAwait(() => undefined));
          server.handle('get', handler);
          const client = await connectClient(url);
          expectCode(await rejectionOf(client.request('get', null)), 'UNAUTHORIZED');
          expect(handler.called).to.equal(false);
        });
      }

      it('a middleware that calls next() for a name without handler gives HANDLER_NOT_FOUND, not UNAUTHORIZED', async () => {
        const { server, url } = await startServer();
        server.use((_ctx, next) => next());
        const client = await connectClient(url);
        expectCode(await rejectionOf(client.request('missing', null)), 'HANDLER_NOT_FOUND');
      });

      it('lets a middleware see, and turn into a typed error, what the handler threw', async () => {
        const { server, url } = await startServer();
        server.use(async (_ctx, next) => {
          try {
            await next();
          } catch {
            throw new PlugSocketError('RATE_LIMITED', 'mapped');
          }
        });
        server.handle('get', () => {
          throw new Error('handler bug');
        });
        const client = await connectClient(url);
        expectCode(await rejectionOf(client.request('get', null)), 'RATE_LIMITED');
      });
    });

    describe('refusing a message', () => {
      for (const mode of ['sync', 'async'] as const) {
        it(`a PlugSocketError thrown (${mode}) answers the sender with an error frame of that code; nothing is delivered`, async () => {
          const { server, url } = await startServer();
          const delivered = sinon.spy();
          server.onEvent('say', delivered);
          server.onMessage(delivered);
          const refuse = (): never => {
            throw new PlugSocketError('RATE_LIMITED', 'slow down');
          };
          server.use(mode === 'sync' ? refuse : afterAwait(refuse));
          const client = await connectClient(url);
          const codes = clientErrors(client);
          client.emit('say', 1);
          await flush();
          expect(codes).to.deep.equal(['RATE_LIMITED']);
          expect(delivered.called).to.equal(false);
          expect(client.isConnected).to.equal(true);
        });

        it(`any other throw (${mode}) answers SERVER_ERROR and reports the original on onError`, async () => {
          const { server, url } = await startServer();
          const errors = serverErrors(server);
          const bug = new Error('middleware bug');
          const fail = (): never => {
            throw bug;
          };
          server.use(mode === 'sync' ? fail : afterAwait(fail));
          const client = await connectClient(url);
          const received: PlugSocketError[] = [];
          client.onError((error) => received.push(error));
          client.emit('say', 1);
          await flush();
          expect(received.map((e) => e.code)).to.deep.equal(['SERVER_ERROR']);
          expect(received[0].message).to.not.include('middleware bug');
          expect(errors.map((e) => [e.id, e.error.code])).to.deep.equal([
            [client.id, 'SERVER_ERROR'],
          ]);
          expect(errors[0].error.cause).to.equal(bug);
        });
      }

      it('a middleware that does not call next() drops the message silently', async () => {
        const { server, url } = await startServer();
        const delivered = sinon.spy();
        server.onEvent('say', delivered);
        server.onAnyEvent(delivered);
        server.onMessage(delivered);
        server.message$.subscribe(delivered);
        server.relay('say');
        server.use((ctx, next) => (ctx.payload === 'drop' ? undefined : next()));
        const a = await connectClient(url);
        const b = await connectClient(url);
        const relayed = sinon.spy();
        b.onMessage(relayed);
        const codes = clientErrors(a);
        a.emit('say', 'drop');
        await flush();
        expect(delivered.called).to.equal(false);
        expect(relayed.called).to.equal(false);
        expect(codes, 'no error frame').to.deep.equal([]);
        a.emit('say', 'keep');
        await flush();
        expect(delivered.callCount).to.equal(4);
        expect(relayed.callCount).to.equal(1);
      });

      it('ctx.reply() on a message is a no-op', async () => {
        const { server, url } = await startServer();
        const delivered = sinon.spy();
        server.onEvent('say', delivered);
        server.use((ctx, next) => {
          ctx.reply('ignored');
          return next();
        });
        const client = await connectClient(url);
        const frames = sinon.spy();
        client.adapter.on('message', frames);
        client.emit('say', 1);
        await flush();
        expect(delivered.callCount).to.equal(1);
        expect(frames.called, 'nothing sent back').to.equal(false);
      });
    });

    it('next() called twice rejects the second time, and the handler runs once', async () => {
      const { server, url } = await startServer();
      const second = deferred<unknown>();
      server.use(async (_ctx, next) => {
        await next();
        await next().then(
          () => second.resolve('fulfilled'),
          (error: unknown) => second.resolve(error),
        );
      });
      const handler = sinon.spy(() => 'ok');
      server.handle('get', handler);
      const client = await connectClient(url);
      expect(await client.request('get', null)).to.equal('ok');
      expect(await second.promise).to.be.instanceOf(Error);
      expect(handler.callCount).to.equal(1);
    });

    it('control frames skip the middleware: join, leave, and answers to the server’s requests', async () => {
      const { server, url } = await startServer();
      const middleware = sinon.spy((_ctx: InboundContext, _next: () => Promise<void>) => undefined);
      server.use(middleware);
      const client = await connectClient(url);
      client.handle('ask', () => 'answer');
      await client.join('red');
      expect(server.getSubscribers('red')).to.deep.equal([client.id]);
      expect(await server.request(client.id ?? '', 'ask', null)).to.equal('answer');
      await client.leave('red');
      expect(server.getSubscribers('red')).to.deep.equal([]);
      expect(middleware.called).to.equal(false);
    });

    it('with no middleware, messages and requests reach their handlers as they were sent, in order', async () => {
      const { server, url } = await startServer();
      const seen: unknown[] = [];
      server.onMessage((_id, message) => seen.push(message));
      server.handle('echo', (payload: unknown, ctx) => {
        seen.push([ctx.kind, ctx.name, payload, ctx.headers]);
        return payload;
      });
      const client = await connectClient(url);
      client.emit('a', 1, { h: 1 });
      const answer = client.request('echo', { x: 1 }, { headers: { h: 2 } });
      client.emit('b', 2);
      expect(await answer).to.deep.equal({ x: 1 });
      await flush();
      expect(seen).to.deep.equal([
        { type: 'a', payload: 1, headers: { h: 1 } },
        ['request', 'echo', { x: 1 }, { h: 2 }],
        { type: 'b', payload: 2 },
      ]);
    });

    it('throws TypeError for a middleware that is not a function', async () => {
      const { server } = await startServer();
      expect(() => server.use('nope' as never)).to.throw(TypeError);
    });

    describe('ctx.signal', () => {
      it('of a message aborts when the sender leaves', async () => {
        const { server, url } = await startServer();
        const signals: AbortSignal[] = [];
        server.use((ctx, _next) => {
          signals.push(ctx.signal);
        });
        const client = await connectClient(url);
        client.emit('x', 1);
        await flush();
        expect(signals.map((s) => s.aborted)).to.deep.equal([false]);
        await client.disconnect();
        await flush();
        expect(signals[0].aborted).to.equal(true);
      });

      it('of a request aborts when the sender cancels it', async () => {
        const { server, url } = await startServer();
        const signals: AbortSignal[] = [];
        server.use((ctx) => {
          signals.push(ctx.signal);
          return new Promise<void>(() => undefined);
        });
        const client = await connectClient(url);
        const controller = new AbortController();
        const answer = client.request('slow', null, { signal: controller.signal });
        await flush();
        expect(signals.map((s) => s.aborted)).to.deep.equal([false]);
        controller.abort();
        expectCode(await rejectionOf(answer), 'ABORTED');
        await flush();
        expect(signals[0].aborted).to.equal(true);
      });

      it('of a request aborts when the sender leaves', async () => {
        const { server, url } = await startServer();
        const signals: AbortSignal[] = [];
        server.use((ctx) => {
          signals.push(ctx.signal);
          return new Promise<void>(() => undefined);
        });
        const client = await connectClient(url);
        const answer = client.request('slow', null);
        await flush();
        await client.disconnect();
        expectCode(await rejectionOf(answer), 'NOT_CONNECTED');
        await flush();
        expect(signals.map((s) => s.aborted)).to.deep.equal([true]);
      });
    });

    describe('messages held by an async middleware', () => {
      it('keep their order: the later ones wait behind the held one', async () => {
        const { server, url } = await startServer();
        const gate = deferred<void>();
        server.use(async (ctx, next) => {
          if (ctx.payload === 1) await gate.promise;
          await next();
        });
        const seen: unknown[] = [];
        server.onEvent('n', (payload) => seen.push(payload));
        const client = await connectClient(url);
        client.emit('n', 1);
        client.emit('n', 2);
        client.emit('n', 3);
        await flush();
        expect(seen).to.deep.equal([]);
        gate.resolve();
        await flush();
        expect(seen).to.deep.equal([1, 2, 3]);
      });

      it('keep their order when a waiting message is held again', async () => {
        const { server, url } = await startServer();
        const gates = new Map([
          [1, deferred<void>()],
          [3, deferred<void>()],
        ]);
        server.use(async (ctx, next) => {
          const gate = gates.get(ctx.payload as number);
          if (gate !== undefined) await gate.promise;
          await next();
        });
        const seen: unknown[] = [];
        server.onEvent('n', (payload) => seen.push(payload));
        const client = await connectClient(url);
        for (let i = 1; i <= 5; i++) client.emit('n', i);
        await flush();
        gates.get(1)?.resolve();
        await flush();
        expect(seen).to.deep.equal([1, 2]);
        client.emit('n', 6);
        await flush();
        gates.get(3)?.resolve();
        await flush();
        expect(seen).to.deep.equal([1, 2, 3, 4, 5, 6]);
      });

      it('keep their order after the held one is refused', async () => {
        const { server, url } = await startServer();
        const gate = deferred<void>();
        server.use(async (ctx, next) => {
          if (ctx.payload === 1) {
            await gate.promise;
            throw new PlugSocketError('RATE_LIMITED', 'no');
          }
          await next();
        });
        const seen: unknown[] = [];
        server.onEvent('n', (payload) => seen.push(payload));
        const client = await connectClient(url);
        const codes = clientErrors(client);
        client.emit('n', 1);
        client.emit('n', 2);
        client.emit('n', 3);
        await flush();
        gate.resolve();
        await flush();
        expect(seen).to.deep.equal([2, 3]);
        expect(codes).to.deep.equal(['RATE_LIMITED']);
      });

      it('are bounded by maxRequestsInFlight: more are refused with RATE_LIMITED', async () => {
        const { server, url } = await startServer({ maxRequestsInFlight: 2 });
        const errors = serverErrors(server);
        const gate = deferred<void>();
        server.use(async (ctx, next) => {
          if (ctx.payload === 1) await gate.promise;
          await next();
        });
        const seen: unknown[] = [];
        server.onEvent('n', (payload) => seen.push(payload));
        const client = await connectClient(url);
        const codes = clientErrors(client);
        for (let i = 1; i <= 4; i++) client.emit('n', i);
        await flush();
        expect(codes).to.deep.equal(['RATE_LIMITED']);
        expect(errors.map((e) => [e.id, e.error.code])).to.deep.equal([
          [client.id, 'RATE_LIMITED'],
        ]);
        gate.resolve();
        await flush();
        expect(seen).to.deep.equal([1, 2, 3]);
        expect(client.isConnected).to.equal(true);
      });

      it('are dropped when the client leaves', async () => {
        const { server, url } = await startServer();
        const gate = deferred<void>();
        server.use(async (ctx, next) => {
          if (ctx.payload === 1) await gate.promise;
          await next();
        });
        const seen: unknown[] = [];
        server.onEvent('n', (payload) => seen.push(payload));
        const client = await connectClient(url);
        client.emit('n', 1);
        client.emit('n', 2);
        await flush();
        await client.disconnect();
        await flush();
        gate.resolve();
        await flush();
        expect(seen).to.not.include(2);
      });

      it('do not hold up requests, nor other clients', async () => {
        const { server, url } = await startServer();
        const gate = deferred<void>();
        server.use(async (ctx, next) => {
          if (ctx.payload === 'hold') await gate.promise;
          await next();
        });
        const seen: unknown[] = [];
        server.onEvent('n', (payload, id) => seen.push([id, payload]));
        server.handle('ping', () => 'pong');
        const a = await connectClient(url);
        const b = await connectClient(url);
        a.emit('n', 'hold');
        b.emit('n', 'free');
        expect(await a.request('ping', null)).to.equal('pong');
        await flush();
        expect(seen).to.deep.equal([[b.id, 'free']]);
        gate.resolve();
        await flush();
        expect(seen).to.deep.equal([
          [b.id, 'free'],
          [a.id, 'hold'],
        ]);
      });
    });
  });

  describe('#handle() with middleware', () => {
    it('runs the handler’s own middleware after the global middleware, for that handler only', async () => {
      const { server, url } = await startServer();
      const log: string[] = [];
      server.use(tracer(log, 'global'));
      server.handle('guarded', [tracer(log, 'own1'), tracer(log, 'own2')], () => {
        log.push('handler');
        return 1;
      });
      server.handle('plain', () => {
        log.push('plain');
        return 2;
      });
      const client = await connectClient(url);
      expect(await client.request('guarded', null)).to.equal(1);
      await flush();
      expect(log).to.deep.equal([
        'global',
        'own1',
        'own2',
        'handler',
        'own2:after',
        'own1:after',
        'global:after',
      ]);
      log.length = 0;
      expect(await client.request('plain', null)).to.equal(2);
      await flush();
      expect(log).to.deep.equal(['global', 'plain', 'global:after']);
    });

    it('runs the handler’s own middleware without any global middleware', async () => {
      const { server, url } = await startServer();
      server.handle('guarded', [() => undefined], () => 'never');
      const client = await connectClient(url);
      expectCode(await rejectionOf(client.request('guarded', null)), 'UNAUTHORIZED');
    });

    it('does not run a handler’s middleware for messages of the same name', async () => {
      const { server, url } = await startServer();
      const own = sinon.spy((_ctx: InboundContext, next: () => Promise<void>) => next());
      server.handle('same', [own], () => 1);
      const delivered = sinon.spy();
      server.onEvent('same', delivered);
      const client = await connectClient(url);
      client.emit('same', null);
      await flush();
      expect(delivered.callCount).to.equal(1);
      expect(own.called).to.equal(false);
    });

    it('throws TypeError when the middleware is not an array of functions', async () => {
      const { server } = await startServer();
      expect(() => server.handle('a', (() => undefined) as never, () => 1)).to.throw(TypeError);
      expect(() => server.handle('b', ['nope'] as never, () => 1)).to.throw(TypeError);
      expect(server.hasHandler('a')).to.equal(false);
      expect(server.hasHandler('b')).to.equal(false);
    });
  });

  describe('#ns().use()', () => {
    it('runs only for names under the namespace, after the global middleware', async () => {
      const { server, url } = await startServer();
      const log: string[] = [];
      server.use(tracer(log, 'global'));
      server.ns('/chat').use(tracer(log, 'chat'));
      for (const name of ['chat/add', 'chatroom/add', 'chat', 'other/chat/add']) {
        server.handle(name, () => {
          log.push(name);
          return null;
        });
      }
      const client = await connectClient(url);
      const runs: Record<string, string[]> = {};
      for (const name of ['chat/add', 'chatroom/add', 'chat', 'other/chat/add']) {
        log.length = 0;
        await client.request(name, null);
        runs[name] = log.filter((entry) => !entry.endsWith(':after'));
      }
      expect(runs).to.deep.equal({
        'chat/add': ['global', 'chat', 'chat/add'],
        'chatroom/add': ['global', 'chatroom/add'],
        chat: ['global', 'chat'],
        'other/chat/add': ['global', 'other/chat/add'],
      });
    });

    it('runs for messages under the namespace too', async () => {
      const { server, url } = await startServer();
      const names: string[] = [];
      server.ns('chat').use((ctx, next) => {
        names.push(ctx.name);
        return next();
      });
      const client = await connectClient(url);
      client.emit('chat/say', 1);
      client.emit('say', 2);
      await flush();
      expect(names).to.deep.equal(['chat/say']);
    });

    it('orders global → outer namespace → inner namespace → the handler’s own', async () => {
      const { server, url } = await startServer();
      const log: string[] = [];
      // Registered in the opposite order on purpose: the order is by nesting, not registration.
      server.handle('chat/room/x', [tracer(log, 'own')], () => {
        log.push('handler');
        return null;
      });
      server.ns('chat').ns('room').use(tracer(log, 'inner'));
      server.ns('chat').use(tracer(log, 'outer'));
      server.use(tracer(log, 'global'));
      const client = await connectClient(url);
      await client.request('chat/room/x', null);
      expect(log.filter((entry) => !entry.endsWith(':after'))).to.deep.equal([
        'global',
        'outer',
        'inner',
        'own',
        'handler',
      ]);
    });

    it('can refuse its namespace’s requests without touching the others', async () => {
      const { server, url } = await startServer();
      server.ns('admin').use((ctx, next) => {
        if (ctx.get('admin') !== true) throw new PlugSocketError('UNAUTHORIZED', 'admins only');
        return next();
      });
      server.handle('admin/reset', () => 'reset');
      server.handle('public', () => 'ok');
      const client = await connectClient(url);
      expectCode(await rejectionOf(client.request('admin/reset', null)), 'UNAUTHORIZED');
      expect(await client.request('public', null)).to.equal('ok');
      server.getClient(client.id ?? '')?.set('admin', true);
      expect(await client.request('admin/reset', null)).to.equal('reset');
    });
  });

  describe('#useConnection()', () => {
    it('sees the handshake before the authorization strategy runs', async () => {
      const order: string[] = [];
      const handshakes: Handshake[] = [];
      const { server, url } = await startServer({
        authorization: strategy(() => {
          order.push('strategy');
          return { ok: true, principal: undefined };
        }),
      });
      expect(
        server.useConnection(async (ctx, next) => {
          order.push('middleware');
          handshakes.push(ctx.handshake);
          await next();
          order.push('middleware:after');
        }),
      ).to.equal(server);
      await connectClient(url, {
        auth: { token: 'abc' },
        query: { room: 'r1' },
        headers: { 'X-App': 'a' },
      });
      expect(order).to.include.members(['middleware', 'strategy']);
      expect(order.indexOf('middleware')).to.be.below(order.indexOf('strategy'));
      expect(handshakes[0].auth).to.deep.equal({ token: 'abc' });
      expect(handshakes[0].query.room).to.equal('r1');
      expect(handshakes[0].headers['x-app']).to.equal('a');
    });

    it('runs in declaration order; values set are seen by later middleware, client.get() and handlers', async () => {
      const { server, url } = await startServer();
      const seen: unknown[] = [];
      server.useConnection((ctx, next) => {
        ctx.set('user', String(ctx.handshake.auth.token).toUpperCase());
        return next();
      });
      server.useConnection((ctx, next) => {
        seen.push(ctx.get('user'));
        return next();
      });
      server.handle('whoami', (_p, ctx) => ctx.get('user'));
      const connected: unknown[] = [];
      server.onConnection((client) => connected.push(client.get('user')));
      const client = await connectClient(url, { auth: { token: 'ann' } });
      expect(seen).to.deep.equal(['ANN']);
      expect(connected).to.deep.equal(['ANN']);
      expect(server.getClient(client.id ?? '')?.get('user')).to.equal('ANN');
      expect(await client.request('whoami', null)).to.equal('ANN');
    });

    const refusals: [string, () => void, ErrorCode, number][] = [
      [
        "a PlugSocketError('AUTHENTICATION_FAILED')",
        () => {
          throw new PlugSocketError('AUTHENTICATION_FAILED', 'bad token');
        },
        'AUTHENTICATION_FAILED',
        4401,
      ],
      [
        'another PlugSocketError',
        () => {
          throw new PlugSocketError('RATE_LIMITED', 'too many connects');
        },
        'UNAUTHORIZED',
        4403,
      ],
      ['a middleware that does not call next()', () => undefined, 'UNAUTHORIZED', 4403],
    ];
    for (const [name, refuse, code, close] of refusals) {
      for (const mode of ['sync', 'async'] as const) {
        it(`${name} (${mode}) refuses: connect rejects ${code}, close ${close}, nothing further runs`, async () => {
          const authorize = sinon.spy((): AuthorizationResult => ({
            ok: true,
            principal: undefined,
          }));
          const { server, url } = await startServer({ authorization: strategy(authorize) });
          const errors = serverErrors(server);
          const connected = sinon.spy();
          server.onConnection(connected);
          const later = sinon.spy((_ctx: ConnectionContext, next: () => Promise<void>) => next());
          server.useConnection(mode === 'sync' ? refuse : afterAwait(refuse));
          server.useConnection(later);
          const client = newClient(url);
          expectCode(await rejectionOf(client.connect()), code);
          const raw = await new RawClient().open(url);
          await flush();
          expect(raw.closes.map((c) => c.code)).to.deep.equal([close]);
          expect(raw.frames, 'no welcome').to.deep.equal([]);
          expect(later.called).to.equal(false);
          expect(authorize.called).to.equal(false);
          expect(connected.called).to.equal(false);
          expect(server.getClients()).to.deep.equal([]);
          expect(errors, 'a refusal is not a server failure').to.deep.equal([]);
        });
      }
    }

    it('uses the message of a refusing PlugSocketError as the close reason', async () => {
      const { server, url } = await startServer();
      server.useConnection(() => {
        throw new PlugSocketError('AUTHENTICATION_FAILED', 'token expired');
      });
      const raw = await new RawClient().open(url);
      await flush();
      expect(raw.closes).to.deep.equal([{ code: 4401, reason: 'token expired' }]);
    });

    for (const mode of ['sync', 'async'] as const) {
      it(`any other throw (${mode}) fails the connect with CONNECTION_FAILED (close 1011) and reports SERVER_ERROR`, async () => {
        const { server, url } = await startServer();
        const errors = serverErrors(server);
        const bug = new Error('middleware bug');
        const fail = (): never => {
          throw bug;
        };
        server.useConnection(mode === 'sync' ? fail : afterAwait(fail));
        expectCode(await rejectionOf(newClient(url).connect()), 'CONNECTION_FAILED');
        expect(errors).to.have.length(1);
        expectCode(errors[0].error, 'SERVER_ERROR');
        expect(errors[0].error.cause).to.equal(bug);
        const raw = await new RawClient().open(url);
        await flush();
        expect(raw.closes.map((c) => c.code)).to.deep.equal([1011]);
        expect(server.getClients()).to.deep.equal([]);
      });
    }

    it('an async middleware is bounded by handshakeTimeout: 4408', async () => {
      clock = useFakeClock();
      const { server, adapter, url } = await startServer({ handshakeTimeout: 1_000 });
      const gate = deferred<void>();
      server.useConnection(async (_ctx, next) => {
        await gate.promise;
        await next();
      });
      const connected = sinon.spy();
      server.onConnection(connected);
      const raw = await new RawClient().open(url);
      await clock.tickAsync(999);
      expect(raw.closes).to.deep.equal([]);
      await clock.tickAsync(1);
      await flush();
      expect(raw.closes.map((c) => c.code)).to.deep.equal([4408]);
      gate.resolve();
      await flush();
      expect(connected.called, 'not admitted once timed out').to.equal(false);
      expect(adapter.connections.size).to.equal(0);
      expect(server.getClients()).to.deep.equal([]);
    });

    it('shares one handshakeTimeout between the middleware and an async strategy', async () => {
      clock = useFakeClock();
      const verdict = deferred<AuthorizationResult>();
      const { server, url } = await startServer({
        handshakeTimeout: 1_000,
        authorization: strategy(() => verdict.promise),
      });
      server.useConnection(async (_ctx, next) => {
        await new Promise((resolve) => setTimeout(resolve, 600));
        await next();
      });
      const raw = await new RawClient().open(url);
      await clock.tickAsync(600);
      await flush();
      expect(raw.closes).to.deep.equal([]);
      await clock.tickAsync(400);
      await flush();
      expect(raw.closes.map((c) => c.code)).to.deep.equal([4408]);
    });

    it('leaves no timer behind once an async middleware admitted the client', async () => {
      clock = useFakeClock();
      // Heartbeats off: their one sweep timer lives as long as the server.
      const { server, url } = await startServer({ heartbeatInterval: Infinity });
      server.useConnection(async (_ctx, next) => {
        await Promise.resolve();
        await next();
      });
      await connectClient(url);
      expect(server.clientCount).to.equal(1);
      expect(clock.countTimers()).to.equal(0);
    });

    it('holds frames sent while it runs and processes them after the welcome, in order', async () => {
      const { server, url } = await startServer();
      const gate = deferred<void>();
      server.useConnection(async (_ctx, next) => {
        await gate.promise;
        await next();
      });
      const seen: string[] = [];
      server.onMessage((_id, message) => seen.push(message.type));
      const raw = await new RawClient().open(url);
      raw.sendJson({ k: 'msg', type: 'one' });
      raw.sendJson({ k: 'join', id: 1, topic: 'red' });
      raw.sendJson({ k: 'msg', type: 'two' });
      await flush();
      expect(seen).to.deep.equal([]);
      expect(raw.frames).to.deep.equal([]);
      gate.resolve();
      await flush();
      expect(raw.messages.map((m) => m.k)).to.deep.equal(['welcome', 'ack']);
      expect(seen).to.deep.equal(['one', 'two']);
      expect(server.getSubscribers('red')).to.have.length(1);
    });

    it('held frames are bounded by maxPendingFrames (1008)', async () => {
      const { server, url } = await startServer({ maxPendingFrames: 2 });
      const gate = deferred<void>();
      server.useConnection(async (_ctx, next) => {
        await gate.promise;
        await next();
      });
      const raw = await new RawClient().open(url);
      for (let i = 0; i < 3; i++) raw.sendJson({ k: 'msg', type: 'm' });
      await flush();
      expect(raw.closes.map((c) => c.code)).to.deep.equal([1008]);
      gate.resolve();
      await flush();
      expect(server.getClients()).to.deep.equal([]);
    });

    it('does not admit a client that left while its middleware ran', async () => {
      const { server, url } = await startServer();
      const gate = deferred<void>();
      server.useConnection(async (_ctx, next) => {
        await gate.promise;
        await next();
      });
      const connected = sinon.spy();
      server.onConnection(connected);
      const raw = await new RawClient().open(url);
      await raw.socket.disconnect();
      await flush();
      gate.resolve();
      await flush();
      expect(connected.called).to.equal(false);
      expect(server.getClients()).to.deep.equal([]);
    });

    it('throws TypeError for a middleware that is not a function', async () => {
      const { server } = await startServer();
      expect(() => server.useConnection(42 as never)).to.throw(TypeError);
    });
  });
});
