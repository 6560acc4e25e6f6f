// Client → client request/response: SocketClient#requestClient forwarded by the server to another
// client's handler, by client id or by user (principal id), with the server's canRequest hook.
import { expect } from 'chai';
import sinon from 'sinon';
import {
  PlugSocketError,
  type ClientHandlerContext,
  type ConnectedClient,
  type SocketClient,
  type SocketServerOptions,
} from '../../src/index.js';
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
  recordInbound,
  type User,
  userAuth,
  watch,
} from './requests-support.js';

/** A server whose clients are users (`auth.user`), and a way to connect them. */
async function usersServer(options: SocketServerOptions<User> = {}): Promise<{
  server: Awaited<ReturnType<typeof startServer<User>>>['server'];
  adapter: Awaited<ReturnType<typeof startServer<User>>>['adapter'];
  connect: (user: string) => Promise<SocketClient>;
}> {
  const { server, adapter, url } = await startServer<User>({
    authorization: userAuth(),
    ...options,
  });
  return { server, adapter, connect: (user) => connectClient(url, { auth: { user } }) };
}

describe('SocketClient', () => {
  let clock: sinon.SinonFakeTimers | undefined;

  afterEach(async () => {
    clock?.restore();
    clock = undefined;
    await cleanUp();
  });

  describe('#requestClient()', () => {
    it("reaches the target's handler with ctx.from = the asker's id and resolves with its answer", async () => {
      const { connect } = await usersServer();
      const a = await connect('ann');
      const b = await connect('bob');
      const contexts: ClientHandlerContext[] = [];
      const payloads: unknown[] = [];
      b.handle('greet', (payload, ctx) => {
        payloads.push(payload);
        contexts.push(ctx);
        return `hi ${String((payload as { name: string }).name)}`;
      });
      const answer = await a.requestClient(
        idOf(b),
        'greet',
        { name: 'ann' },
        { headers: { trace: 'x' } },
      );
      expect(answer).to.equal('hi ann');
      expect(payloads).to.deep.equal([{ name: 'ann' }]);
      expect(contexts[0].from).to.equal(idOf(a));
      expect(contexts[0].name).to.equal('greet');
      expect(contexts[0].headers).to.deep.equal({ trace: 'x' });
    });

    // Regression: requests for another client were forwarded before the middleware ran, so a
    // global use() that refused every request could be bypassed by addressing a client.
    it('passes the global middleware first: a refusal there never reaches the target', async () => {
      const { server, connect } = await usersServer();
      const seen: string[] = [];
      server.use((ctx, next) => {
        seen.push(`${ctx.kind} ${ctx.name}`);
        if (ctx.name === 'secret') throw new PlugSocketError('RATE_LIMITED', 'slow down');
        return next();
      });
      const a = await connect('ann');
      const b = await connect('bob');
      const target = sinon.spy(() => 'ok');
      b.handle('secret', target);
      b.handle('open', () => 'fine');
      expectCode(await rejectionOf(a.requestClient(idOf(b), 'secret', 1)), 'RATE_LIMITED');
      expect(await a.requestClient(idOf(b), 'open', 1)).to.equal('fine');
      expect(target.callCount).to.equal(0);
      expect(seen).to.deep.equal(['request secret', 'request open']);
    });

    it('lets middleware answer for the target with ctx.reply()', async () => {
      const { server, connect } = await usersServer();
      server.use((ctx, next) => (ctx.name === 'cached' ? ctx.reply('from cache') : next()));
      const a = await connect('ann');
      const b = await connect('bob');
      const target = sinon.spy(() => 'fresh');
      b.handle('cached', target);
      expect(await a.requestClient(idOf(b), 'cached', 1)).to.equal('from cache');
      expect(target.callCount).to.equal(0);
    });

    it("resolves with undefined for a target handler that returns nothing, and with an async handler's result", async () => {
      const { connect } = await usersServer();
      const a = await connect('ann');
      const b = await connect('bob');
      b.handle('noop', () => undefined);
      b.handle('later', async () => {
        await flush();
        return [1, 2];
      });
      expect(await a.requestClient(idOf(b), 'noop', 1)).to.equal(undefined);
      expect(await a.requestClient(idOf(b), 'later', 1)).to.deep.equal([1, 2]);
    });

    it('reaches a user by { user }: the connection whose principal has that id', async () => {
      const { connect } = await usersServer();
      const a = await connect('ann');
      const b = await connect('bob');
      const c = await connect('cat');
      b.handle('who', () => 'bob');
      c.handle('who', () => 'cat');
      expect(await a.requestClient({ user: 'bob' }, 'who', undefined)).to.equal('bob');
      expect(await a.requestClient({ user: 'cat' }, 'who', undefined)).to.equal('cat');
    });

    it('reaches the most recently admitted connection of a user with several, and the previous one once it left', async () => {
      const { connect } = await usersServer();
      const a = await connect('ann');
      const phone = await connect('bob');
      const laptop = await connect('bob');
      const asked: string[] = [];
      phone.handle('who', () => (asked.push('phone'), 'phone'));
      laptop.handle('who', () => (asked.push('laptop'), 'laptop'));
      expect(await a.requestClient({ user: 'bob' }, 'who', undefined)).to.equal('laptop');
      expect(asked).to.deep.equal(['laptop']);
      await laptop.disconnect();
      await flush();
      expect(await a.requestClient({ user: 'bob' }, 'who', undefined)).to.equal('phone');
    });

    it('uses principalId to decide who a user is', async () => {
      const { connect } = await usersServer({ principalId: (p) => `user:${p.id}` });
      const a = await connect('ann');
      const b = await connect('bob');
      b.handle('who', () => 'bob');
      expect(await a.requestClient({ user: 'user:bob' }, 'who', undefined)).to.equal('bob');
      expectCode(
        await rejectionOf(a.requestClient({ user: 'bob' }, 'who', undefined)),
        'TARGET_OFFLINE',
      );
    });

    it('rejects with TARGET_OFFLINE for an unknown client id', async () => {
      const { connect } = await usersServer();
      const a = await connect('ann');
      expectCode(await rejectionOf(a.requestClient('nobody', 'x', 1)), 'TARGET_OFFLINE');
    });

    it('rejects with TARGET_OFFLINE for an unknown user, and for a user whose connections all left', async () => {
      const { connect } = await usersServer();
      const a = await connect('ann');
      expectCode(await rejectionOf(a.requestClient({ user: 'nobody' }, 'x', 1)), 'TARGET_OFFLINE');
      const b = await connect('bob');
      b.handle('x', () => 1);
      expect(await a.requestClient({ user: 'bob' }, 'x', 1)).to.equal(1);
      await b.disconnect();
      await flush();
      expectCode(await rejectionOf(a.requestClient({ user: 'bob' }, 'x', 1)), 'TARGET_OFFLINE');
    });

    it('rejects with TARGET_OFFLINE, not NOT_CONNECTED, when the target leaves mid-request', async () => {
      const { connect } = await usersServer();
      const a = await connect('ann');
      const b = await connect('bob');
      b.handle('slow', () => never());
      const call = handled(a.requestClient(idOf(b), 'slow', undefined));
      await flush();
      await b.disconnect();
      expectCode(await rejectionOf(call), 'TARGET_OFFLINE');
      expect(a.state, "the asker's own connection is fine").to.equal('open');
    });

    it('rejects with HANDLER_NOT_FOUND when the target has no such handler', async () => {
      const { connect } = await usersServer();
      const a = await connect('ann');
      const b = await connect('bob');
      expectCode(await rejectionOf(a.requestClient(idOf(b), 'missing', 1)), 'HANDLER_NOT_FOUND');
    });

    it("passes the target's typed error through, and turns anything else it throws into SERVER_ERROR", async () => {
      const { connect } = await usersServer();
      const a = await connect('ann');
      const b = await connect('bob');
      b.handle('typed', () => {
        throw new PlugSocketError('RATE_LIMITED', 'later please');
      });
      b.handle('boom', () => {
        throw new Error('secret detail');
      });
      const typed = await rejectionOf(a.requestClient(idOf(b), 'typed', 1));
      expectCode(typed, 'RATE_LIMITED');
      expect(typed.message).to.equal('later please');
      const boom = await rejectionOf(a.requestClient(idOf(b), 'boom', 1));
      expectCode(boom, 'SERVER_ERROR');
      expect(boom.message).to.not.include('secret detail');
    });

    it("rejects with TIMEOUT at the asker's timeout and aborts the target's handler signal", async () => {
      clock = useFakeClock();
      const { connect } = await usersServer();
      const a = await connect('ann');
      const b = await connect('bob');
      const signals: AbortSignal[] = [];
      b.handle('slow', (_p, ctx) => {
        signals.push(ctx.signal);
        return never();
      });
      const call = handled(a.requestClient(idOf(b), 'slow', undefined, { timeout: 300 }));
      const outcome = watch(call);
      await flush();
      await clock.tickAsync(299);
      expect(outcome.called).to.equal(false);
      expect(signals[0].aborted).to.equal(false);
      await clock.tickAsync(1);
      expectCode(await rejectionOf(call), 'TIMEOUT');
      await flush();
      expect(signals[0].aborted, 'the cancel was relayed to the target').to.equal(true);
    });

    it("rejects with TIMEOUT when the server's requestTimeout for the target runs out first", async () => {
      clock = useFakeClock();
      const { connect } = await usersServer({ requestTimeout: 1_000 });
      const a = await connect('ann');
      const b = await connect('bob');
      const signals: AbortSignal[] = [];
      b.handle('slow', (_p, ctx) => {
        signals.push(ctx.signal);
        return never();
      });
      const call = handled(a.requestClient(idOf(b), 'slow', undefined, { timeout: 60_000 }));
      await flush();
      await clock.tickAsync(1_000);
      expectCode(await rejectionOf(call), 'TIMEOUT');
      await flush();
      expect(signals[0].aborted).to.equal(true);
    });

    it("aborts the target's handler signal when the asker aborts its request", async () => {
      const { connect } = await usersServer();
      const a = await connect('ann');
      const b = await connect('bob');
      const signals: AbortSignal[] = [];
      b.handle('slow', (_p, ctx) => {
        signals.push(ctx.signal);
        return never();
      });
      const controller = new AbortController();
      const call = handled(
        a.requestClient(idOf(b), 'slow', undefined, { signal: controller.signal }),
      );
      await flush();
      controller.abort();
      expectCode(await rejectionOf(call), 'ABORTED');
      await flush();
      expect(signals[0].aborted).to.equal(true);
    });

    it("aborts the target's handler signal when the asker disconnects mid-request", async () => {
      const { connect } = await usersServer();
      const a = await connect('ann');
      const b = await connect('bob');
      const signals: AbortSignal[] = [];
      b.handle('slow', (_p, ctx) => {
        signals.push(ctx.signal);
        return never();
      });
      const call = handled(a.requestClient(idOf(b), 'slow', undefined));
      await flush();
      expect(signals[0].aborted).to.equal(false);
      await a.disconnect();
      await flush();
      expect(signals[0].aborted).to.equal(true);
      expectCode(await rejectionOf(call), 'NOT_CONNECTED');
    });

    it('throws TypeError for a target that is neither a client id nor { user }', async () => {
      const { connect } = await usersServer();
      const a = await connect('ann');
      expect(() => a.requestClient(42 as never, 'x', 1)).to.throw(TypeError);
      expect(() => a.requestClient(null as never, 'x', 1)).to.throw(TypeError);
      expect(() => a.requestClient('', 'x', 1)).to.throw(TypeError);
      expect(() => a.requestClient({ user: '' }, 'x', 1)).to.throw(TypeError);
    });

    it('sends the target as `to` and nothing the target does not need', async () => {
      const { adapter, connect } = await usersServer();
      const inbound = recordInbound(adapter);
      const a = await connect('ann');
      const b = await connect('bob');
      b.handle('x', () => 1);
      await a.requestClient({ user: 'bob' }, 'x', 'p');
      const req = inbound.find((f) => f.k === 'req');
      expect(req).to.deep.include({ k: 'req', name: 'x', payload: 'p', to: { user: 'bob' } });
    });
  });

  describe('server option canRequest', () => {
    it('is asked with the asker, the target and the name; a refusal rejects with UNAUTHORIZED and the target never sees it', async () => {
      const canRequest = sinon.spy(
        (from: ConnectedClient<User>, _to: ConnectedClient<User>, _name: string) =>
          from.principal.role === 'admin',
      );
      const { server, url } = await startServer<User>({ authorization: userAuth(), canRequest });
      const member = await connectClient(url, { auth: { user: 'ann' } });
      const admin = await connectClient(url, { auth: { user: 'root', role: 'admin' } });
      const target = await connectClient(url, { auth: { user: 'bob' } });
      const handler = sinon.spy(() => 'done');
      target.handle('wipe', handler);
      expectCode(await rejectionOf(member.requestClient(idOf(target), 'wipe', 1)), 'UNAUTHORIZED');
      expect(handler.called, 'the target never saw the refused request').to.equal(false);
      const [from, to, name] = canRequest.firstCall.args;
      expect(from.id).to.equal(idOf(member));
      expect(to.id).to.equal(idOf(target));
      expect(name).to.equal('wipe');
      expect(from).to.equal(server.getClient(idOf(member)));
      expect(await admin.requestClient(idOf(target), 'wipe', 1)).to.equal('done');
      expect(handler.callCount).to.equal(1);
    });

    it('may decide asynchronously', async () => {
      const verdict = deferred<boolean>();
      const { connect } = await usersServer({ canRequest: () => verdict.promise });
      const a = await connect('ann');
      const b = await connect('bob');
      const handler = sinon.spy(() => 1);
      b.handle('x', handler);
      const call = handled(a.requestClient(idOf(b), 'x', 1));
      await flush();
      verdict.resolve(false);
      expectCode(await rejectionOf(call), 'UNAUTHORIZED');
      expect(handler.called).to.equal(false);
    });

    it('treats a truthy answer that is not true as a refusal', async () => {
      const { connect } = await usersServer({ canRequest: () => 'yes' as unknown as boolean });
      const a = await connect('ann');
      const b = await connect('bob');
      b.handle('x', () => 1);
      expectCode(await rejectionOf(a.requestClient(idOf(b), 'x', 1)), 'UNAUTHORIZED');
    });

    for (const mode of ['throws', 'rejects'] as const) {
      it(`answers SERVER_ERROR, and reports the cause, when canRequest ${mode}`, async () => {
        const original = new Error('policy store down');
        const { server, connect } = await usersServer({
          canRequest: () => {
            if (mode === 'throws') throw original;
            return Promise.reject(original);
          },
        });
        const reported: [string | undefined, PlugSocketError][] = [];
        server.onError((id, error) => reported.push([id, error]));
        const a = await connect('ann');
        const b = await connect('bob');
        const handler = sinon.spy(() => 1);
        b.handle('x', handler);
        const error = await rejectionOf(a.requestClient(idOf(b), 'x', 1));
        expectCode(error, 'SERVER_ERROR');
        expect(error.message).to.not.include('policy store down');
        expect(handler.called).to.equal(false);
        expect(reported).to.have.length(1);
        expect(reported[0][0]).to.equal(idOf(a));
        expect(reported[0][1].cause).to.equal(original);
      });
    }

    it('is not asked about a target that is offline', async () => {
      const canRequest = sinon.spy(() => true);
      const { connect } = await usersServer({ canRequest });
      const a = await connect('ann');
      expectCode(await rejectionOf(a.requestClient('ghost', 'x', 1)), 'TARGET_OFFLINE');
      expect(canRequest.called).to.equal(false);
    });

    it('regression: a target that left while canRequest decided made the asker wait for a TIMEOUT instead of TARGET_OFFLINE', async () => {
      clock = useFakeClock();
      const verdict = deferred<boolean>();
      const { server, connect } = await usersServer({ canRequest: () => verdict.promise });
      const errors: PlugSocketError[] = [];
      server.onError((_id, error) => errors.push(error));
      const a = await connect('ann');
      const b = await connect('bob');
      b.handle('x', () => 1);
      const call = handled(a.requestClient(idOf(b), 'x', 1));
      const outcome = watch(call);
      await flush();
      await b.disconnect();
      await flush();
      verdict.resolve(true);
      await flush();
      expect(outcome.called, 'answered without waiting for a timeout').to.equal(true);
      expectCode(await rejectionOf(call), 'TARGET_OFFLINE');
      // A timer the departed target's request would have left could only fire now.
      await clock.tickAsync(10_000);
      expect(
        errors.map((e) => e.code),
        'nothing was sent to the departed target',
      ).to.deep.equal([]);
    });

    it('does not ask the target when the asker gave up while canRequest decided', async () => {
      const verdict = deferred<boolean>();
      const { connect } = await usersServer({ canRequest: () => verdict.promise });
      const a = await connect('ann');
      const b = await connect('bob');
      const handler = sinon.spy(() => 1);
      b.handle('x', handler);
      const controller = new AbortController();
      const call = handled(a.requestClient(idOf(b), 'x', 1, { signal: controller.signal }));
      await flush();
      controller.abort();
      expectCode(await rejectionOf(call), 'ABORTED');
      await flush();
      verdict.resolve(true);
      await flush();
      expect(handler.called).to.equal(false);
    });
  });

  describe('client-side bounds on requests it handles', () => {
    it("answers another client's request past the target's maxRequestsInFlight with TOO_MANY_REQUESTS", async () => {
      const { url } = await startServer<User>({ authorization: userAuth() });
      const a = await connectClient(url, { auth: { user: 'ann' } });
      const b = await connectClient(url, { auth: { user: 'bob' }, maxRequestsInFlight: 1 });
      const gate = deferred<string>();
      b.handle('slow', () => gate.promise);
      const first = a.requestClient(idOf(b), 'slow', undefined);
      await flush();
      expectCode(
        await rejectionOf(a.requestClient(idOf(b), 'slow', undefined)),
        'TOO_MANY_REQUESTS',
      );
      gate.resolve('ok');
      expect(await first).to.equal('ok');
    });
  });

  describe('wire protocol of forwarded requests', () => {
    it('forwards a raw {k:"req",to} to the target and answers the raw asker with an ack of its own id', async () => {
      const { server, url } = await startServer();
      const b = await connectClient(url);
      const froms: (string | undefined)[] = [];
      b.handle('add', (p, ctx) => {
        froms.push(ctx.from);
        const { a, b: n } = p as { a: number; b: number };
        return a + n;
      });
      const raw = await new RawClient().open(url);
      await flush();
      const rawId = raw.ofKind('welcome')[0].id as string;
      raw.sendJson({ k: 'req', id: 11, name: 'add', payload: { a: 1, b: 2 }, to: idOf(b) });
      await flush();
      expect(raw.ofKind('ack')).to.deep.equal([{ k: 'ack', id: 11, result: 3 }]);
      expect(froms).to.deep.equal([rawId]);
      expect(server.getClient(rawId)).to.not.equal(undefined);
    });

    it('answers a raw forwarded request to nobody with a nack TARGET_OFFLINE of its id', async () => {
      const { url } = await startServer();
      const raw = await new RawClient().open(url);
      await flush();
      raw.sendJson({ k: 'req', id: 12, name: 'x', to: { user: 'ghost' } });
      await flush();
      const nacks = raw.ofKind('nack');
      expect(nacks.map((f) => f.id)).to.deep.equal([12]);
      expect(codeOf(nacks[0])).to.equal('TARGET_OFFLINE');
    });
  });
});
