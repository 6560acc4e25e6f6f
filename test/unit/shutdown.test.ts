import { expect } from 'chai';
import type sinon from 'sinon';
import { MemorySocketServer } from '../../adapters/memory/index.js';
import {
  SocketServer,
  type AuthorizationResult,
  type AuthorizationStrategy,
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
  uniqueName,
  useFakeClock,
} from './support.js';

/** An admitted raw client that records frames and its close in one ordered log. */
async function peer(url: string): Promise<{ raw: RawClient; log: string[] }> {
  const raw = await new RawClient().open(url);
  const log: string[] = [];
  raw.socket.on('message', (frame) => {
    const envelope = JSON.parse(String(frame)) as { k: string; id?: unknown };
    log.push(envelope.k === 'welcome' ? 'welcome' : `${envelope.k}:${String(envelope.id)}`);
  });
  raw.socket.on('close', (info) => log.push(`close:${info.code}:${info.reason}`));
  await flush();
  expect(raw.ofKind('welcome'), 'admitted').to.have.length(1);
  return { raw, log };
}

describe('SocketServer', () => {
  describe('#shutdown', () => {
    let clock: sinon.SinonFakeTimers | undefined;

    beforeEach(() => {
      clock = useFakeClock();
    });

    afterEach(async () => {
      clock?.restore();
      clock = undefined;
      await cleanUp();
    });

    it('sends the answer of a slow handler before closing its client with 1001', async () => {
      const { server, url } = await startServer();
      server.handle('slow', async () => {
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        return 'done';
      });
      const { raw, log } = await peer(url);
      raw.sendJson({ k: 'req', id: 1, name: 'slow' });
      await flush();
      let resolved = false;
      const done = server.shutdown().then(() => (resolved = true));
      await clock!.tickAsync(2_999);
      expect(resolved).to.equal(false);
      expect(raw.closes).to.deep.equal([]);
      await clock!.tickAsync(1);
      await done;
      await flush();
      expect(log).to.deep.equal(['ack:1', 'close:1001:server shutting down']);
      expect(raw.ofKind('ack')[0]).to.deep.equal({ k: 'ack', id: 1, result: 'done' });
      expect(clock!.countTimers(), 'timers still pending').to.equal(0);
    });

    it('waits for every client, and a client that leaves no longer holds it up', async () => {
      const { server, url } = await startServer();
      const answers = [deferred<string>(), deferred<string>()];
      let n = 0;
      server.handle('wait', () => answers[n++].promise);
      const a = await peer(url);
      const b = await peer(url);
      a.raw.sendJson({ k: 'req', id: 1, name: 'wait' });
      b.raw.sendJson({ k: 'req', id: 1, name: 'wait' });
      await flush();
      let resolved = false;
      const done = server.shutdown().then(() => (resolved = true));
      answers[0].resolve('a');
      await flush();
      expect(resolved).to.equal(false);
      await b.raw.socket.disconnect();
      await done;
      await flush();
      expect(a.log).to.deep.equal(['ack:1', 'close:1001:server shutting down']);
      expect(clock!.countTimers(), 'timers still pending').to.equal(0);
    });

    it('aborts a handler slower than the timeout and closes its client at the timeout', async () => {
      const { server, url } = await startServer();
      let signal: AbortSignal | undefined;
      server.handle('stuck', (_payload, ctx) => {
        signal = ctx.signal;
        return new Promise(() => undefined);
      });
      const { raw, log } = await peer(url);
      raw.sendJson({ k: 'req', id: 7, name: 'stuck' });
      await flush();
      const done = server.shutdown({ timeout: 500 });
      await clock!.tickAsync(499);
      expect(signal?.aborted).to.equal(false);
      expect(raw.closes).to.deep.equal([]);
      await clock!.tickAsync(1);
      expect(signal?.aborted).to.equal(true);
      await done;
      await flush();
      // Its answer is never sent: the client sees its request fail with the close.
      expect(log).to.deep.equal(['close:1001:server shutting down']);
    });

    it('waits 10 s by default', async () => {
      const { server, url } = await startServer();
      let signal: AbortSignal | undefined;
      server.handle('stuck', (_payload, ctx) => {
        signal = ctx.signal;
        return new Promise(() => undefined);
      });
      const { raw } = await peer(url);
      raw.sendJson({ k: 'req', id: 1, name: 'stuck' });
      await flush();
      const done = server.shutdown();
      await clock!.tickAsync(9_999);
      expect(signal?.aborted).to.equal(false);
      await clock!.tickAsync(1);
      await done;
      expect(signal?.aborted).to.equal(true);
      expect(raw.closes.map((c) => c.code)).to.deep.equal([1001]);
    });

    it('refuses a connection that arrives during the drain with 1001, never admitting it', async () => {
      const { server, url } = await startServer();
      server.handle('slow', () => new Promise((resolve) => setTimeout(resolve, 1_000)));
      const admitted: string[] = [];
      server.onConnection((client) => admitted.push(client.id));
      const first = await peer(url);
      first.raw.sendJson({ k: 'req', id: 1, name: 'slow' });
      await flush();
      const done = server.shutdown();
      const late = await new RawClient().open(url);
      await flush();
      expect(late.closes).to.deep.equal([{ code: 1001, reason: 'server shutting down' }]);
      expect(late.frames, 'no welcome').to.deep.equal([]);
      expect(admitted).to.have.length(1);
      expect(server.clientCount).to.equal(1);
      await clock!.tickAsync(1_000);
      await done;
    });

    it('closes connections still being admitted with 1001 at once', async () => {
      const verdict = deferred<AuthorizationResult>();
      const authorization: AuthorizationStrategy = {
        applyAuthorization: (options) => options,
        authorize: () => verdict.promise,
      };
      const { server, url } = await startServer({ authorization });
      server.handle('slow', () => new Promise((resolve) => setTimeout(resolve, 1_000)));
      const admitted: string[] = [];
      server.onConnection((client) => admitted.push(client.id));
      const pending = await new RawClient().open(url);
      await flush();
      const done = server.shutdown();
      await flush();
      expect(pending.closes).to.deep.equal([{ code: 1001, reason: 'server shutting down' }]);
      verdict.resolve({ ok: true, principal: undefined });
      await done;
      expect(admitted).to.deep.equal([]);
    });

    it('refuses requests and joins with NOT_CONNECTED and messages once with an error frame during the drain', async () => {
      const { server, url } = await startServer();
      const handled: string[] = [];
      const messages: unknown[] = [];
      server.handle('slow', () => new Promise((resolve) => setTimeout(resolve, 1_000)));
      server.handle('quick', () => void handled.push('quick'));
      server.onMessage((_id, message) => messages.push(message));
      const { raw } = await peer(url);
      raw.sendJson({ k: 'req', id: 1, name: 'slow' });
      await flush();
      const done = server.shutdown();
      raw.sendJson({ k: 'req', id: 2, name: 'quick' });
      raw.sendJson({ k: 'join', id: 3, topic: 'news' });
      raw.sendJson({ k: 'msg', type: 'hello', payload: 1 });
      raw.sendJson({ k: 'msg', type: 'hello', payload: 2 });
      await flush();
      const nacks = raw.ofKind('nack');
      expect(nacks.map((n) => n.id)).to.deep.equal([2, 3]);
      for (const nack of nacks) {
        expect(nack.error).to.deep.equal({
          code: 'NOT_CONNECTED',
          message: 'server shutting down',
        });
      }
      expect(raw.ofKind('error').map((e) => (e.error as { code: string }).code)).to.deep.equal([
        'NOT_CONNECTED',
      ]);
      expect(handled).to.deep.equal([]);
      expect(messages).to.deep.equal([]);
      expect(server.getTopics()).to.deep.equal([]);
      await clock!.tickAsync(1_000);
      await done;
      expect(raw.ofKind('ack').map((a) => a.id)).to.deep.equal([1]);
    });

    it('fails a SocketClient request made during the drain with NOT_CONNECTED', async () => {
      const { server, url } = await startServer();
      server.handle('slow', () => new Promise((resolve) => setTimeout(resolve, 1_000)));
      server.handle('quick', () => 'answer');
      const client = await connectClient(url);
      const slow = client.request('slow', undefined);
      await flush();
      const done = server.shutdown();
      expectCode(await rejectionOf(client.request('quick', undefined)), 'NOT_CONNECTED');
      await clock!.tickAsync(1_000);
      await slow;
      await done;
    });

    it('still lets the answer to a forwarded request through, so the sender gets it', async () => {
      const { server, url } = await startServer();
      const asker = await peer(url);
      const answerer = await peer(url);
      const answererId = answerer.raw.ofKind('welcome')[0].id as string;
      asker.raw.sendJson({ k: 'req', id: 1, name: 'ping', to: answererId });
      await flush();
      const forwarded = answerer.raw.ofKind('req')[0];
      expect(forwarded, 'request forwarded').to.not.equal(undefined);
      const done = server.shutdown();
      answerer.raw.sendJson({ k: 'ack', id: forwarded.id, result: 'pong' });
      await done;
      await flush();
      expect(asker.raw.ofKind('ack')).to.deep.equal([{ k: 'ack', id: 1, result: 'pong' }]);
      expect(asker.log.at(-1)).to.equal('close:1001:server shutting down');
    });

    it('closes at once, leaving no timer, when nothing is in flight', async () => {
      const { server, adapter, url } = await startServer({ heartbeatInterval: Infinity });
      const { raw } = await peer(url);
      await server.shutdown();
      await flush();
      expect(raw.closes).to.deep.equal([{ code: 1001, reason: 'server shutting down' }]);
      expect(adapter.state).to.equal('closed');
      expect(clock!.countTimers(), 'timers still pending').to.equal(0);
    });

    it('returns the same promise when called twice', async () => {
      const { server } = await startServer();
      const first = server.shutdown({ timeout: 100 });
      expect(server.shutdown()).to.equal(first);
      await first;
      expect(server.shutdown({ timeout: 5 })).to.equal(first);
    });

    for (const timeout of [-1, Number.NaN, '100', null]) {
      it(`throws a RangeError for timeout ${String(timeout)}`, async () => {
        const { server } = await startServer();
        expect(() => server.shutdown({ timeout: timeout as number })).to.throw(RangeError);
        // Nothing started: a valid call still shuts down.
        await server.shutdown();
      });
    }

    it('accepts timeout 0: in-flight work is aborted and clients are closed at once', async () => {
      const { server, url } = await startServer();
      let signal: AbortSignal | undefined;
      server.handle('stuck', (_payload, ctx) => {
        signal = ctx.signal;
        return new Promise(() => undefined);
      });
      const { raw } = await peer(url);
      raw.sendJson({ k: 'req', id: 1, name: 'stuck' });
      await flush();
      const done = server.shutdown({ timeout: 0 });
      await clock!.tickAsync(0);
      await done;
      expect(signal?.aborted).to.equal(true);
      expect(raw.closes.map((c) => c.code)).to.deep.equal([1001]);
    });

    it('rejects listen() afterwards with INVALID_STATE, during the drain too', async () => {
      const adapter = new MemorySocketServer({ name: uniqueName('shutdown') });
      const server = new SocketServer(adapter);
      const url = (await server.listen()).url ?? '';
      server.handle('slow', () => new Promise((resolve) => setTimeout(resolve, 1_000)));
      const { raw } = await peer(url);
      raw.sendJson({ k: 'req', id: 1, name: 'slow' });
      await flush();
      const done = server.shutdown();
      expectCode(await rejectionOf(server.listen()), 'INVALID_STATE');
      await clock!.tickAsync(1_000);
      await done;
      expectCode(await rejectionOf(server.listen()), 'INVALID_STATE');
      expect(adapter.listenerCount()).to.equal(0);
    });
  });
});
