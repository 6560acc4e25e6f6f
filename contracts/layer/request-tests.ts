import { expect, show } from '../assert.js';
import { PlugSocketError, type InboundContext } from '../../src/index.js';
import { delay, rejectionOf, waitFor, withTimeout } from '../helpers.js';
import type { LayerHarness } from './layer-harness.js';
import {
  SHORT_TIMEOUT,
  SHORT_TIMEOUT_FLOOR,
  expectCode,
  flushed,
  timed,
  untilAborted,
} from './layer-helpers.js';

/** A payload that exercises what requests must carry intact: nesting, non-ASCII, JSON's values. */
const RICH = {
  text: 'héllo 👋🏽 漢字 e\u0301',
  nested: { list: [1, -2.5, 'two', null, true, false, { deep: [[], {}, ['ü']] }] },
  looksLikeJson: '{"k":"msg"}',
  empty: '',
};

/**
 * Registers the layer contract's request/response tests: client → server, server → client, a
 * request to many clients, typed errors in both directions, timeouts, aborts, requests cut short
 * by a disconnect, and the server's bound on requests in flight.
 */
export function describeRequestTests(h: LayerHarness): void {
  h.group('requests', () => {
    h.test(
      {
        id: 'L-REQ-01',
        level: 'MUST',
        title:
          'client.request() resolves with the server handler result: a nested non-ASCII payload arrives intact both ways, headers and ids reach ctx, null stays null and an undefined result resolves undefined',
      },
      async () => {
        const { server, url } = await h.server();
        const seen: unknown[] = [];
        server.handle('echo', (payload, ctx) => {
          seen.push({
            kind: ctx.kind,
            name: ctx.name,
            clientId: ctx.clientId,
            headers: ctx.headers,
          });
          return { echoed: payload };
        });
        server.handle('null', () => null);
        server.handle('nothing', () => undefined);
        const client = await h.connected(url);
        const result = await withTimeout(
          client.request('echo', RICH, { headers: { trace: 'ü-1' } }),
          h.wait,
          'request("echo")',
        );
        expect(
          result,
          'what request("echo", rich payload) resolved with (the handler returns { echoed: payload })',
        ).to.deep.equal({ echoed: RICH });
        expect(
          seen,
          'the ctx each "echo" handler call saw: kind, name, clientId and headers',
        ).to.deep.equal([
          { kind: 'request', name: 'echo', clientId: client.id, headers: { trace: 'ü-1' } },
        ]);
        expect(
          await withTimeout(client.request('null', 1), h.wait, 'request("null")'),
          'what request("null") resolved with (the handler returns null)',
        ).to.equal(null);
        const nothing = await withTimeout(client.request('nothing', undefined), h.wait, 'nothing');
        expect(
          nothing,
          'what request("nothing") resolved with (the handler returns undefined)',
        ).to.equal(undefined);
      },
    );

    h.test(
      {
        id: 'L-REQ-02',
        level: 'MUST',
        title:
          'async server handlers answer concurrent requests out of order, and each request resolves with its own answer',
      },
      async () => {
        const { server, url } = await h.server();
        const finished: number[] = [];
        server.handle('later', async (payload) => {
          const { n, ms } = payload as { n: number; ms: number };
          await delay(ms);
          finished.push(n);
          return n * 10;
        });
        const client = await h.connected(url);
        const all = Promise.all([60, 40, 20, 0].map((ms, n) => client.request('later', { n, ms })));
        expect(
          await withTimeout(all, h.wait, 'four requests'),
          'answers of four concurrent requests n = 0..3, in request order (each answers n * 10)',
        ).to.deep.equal([0, 10, 20, 30]);
        // The handlers finished in reverse order: the answers were matched by id, not by arrival.
        expect(
          finished,
          'the order the handlers finished in (delays 60, 40, 20, 0 ms, so the reverse)',
        ).to.deep.equal([3, 2, 1, 0]);
      },
    );

    h.test(
      {
        id: 'L-REQ-03',
        level: 'MUST',
        title:
          'server.request(clientId) calls that client’s handler (ctx.from undefined) and resolves with its async result; no other client is asked',
      },
      async () => {
        const { server, url } = await h.server();
        const a = await h.connected(url);
        const b = await h.connected(url);
        const calls: unknown[] = [];
        a.handle('whoami', async (payload, ctx) => {
          calls.push({ payload, name: ctx.name, from: ctx.from, aborted: ctx.signal.aborted });
          await delay(10);
          return { id: a.id, got: payload };
        });
        let bCalls = 0;
        b.handle('whoami', () => ++bCalls);
        const result = await withTimeout(
          server.request(a.id!, 'whoami', RICH),
          h.wait,
          'server.request(a, "whoami")',
        );
        expect(
          result,
          'what server.request(a, "whoami") resolved with (a’s async handler answer)',
        ).to.deep.equal({ id: a.id, got: RICH });
        expect(
          calls,
          'calls of a’s "whoami" handler, with payload, ctx.name, ctx.from and ctx.signal.aborted',
        ).to.deep.equal([{ payload: RICH, name: 'whoami', from: undefined, aborted: false }]);
        await flushed(server, b, h.wait);
        expect(bCalls, 'calls of the "whoami" handler of a client that was not asked').to.equal(0);
        const unknown = await rejectionOf(
          server.request('no-such-client', 'whoami', 1),
          h.wait,
          'server.request to an unknown id',
        );
        expectCode(unknown, 'NOT_CONNECTED', 'server.request("no-such-client", "whoami")');
      },
    );

    h.test(
      {
        id: 'L-REQ-04',
        level: 'MUST',
        title:
          'server.to(topic).timeout(ms).request() asks only the subscribers and gathers results, errors (typed and plain throws) and timedOut by client id; the silent client’s handler signal aborts',
      },
      async () => {
        const { server, url } = await h.server();
        const [yes, slow, typed, plain, silent, outsider] = await Promise.all(
          [1, 2, 3, 4, 5, 6].map(() => h.connected(url)),
        );
        const q = (payload: unknown): string => (payload as { q: string }).q;
        yes.handle('vote', (payload) => `yes:${q(payload)}`);
        slow.handle('vote', async (payload) => {
          await delay(30);
          return { nested: [q(payload)] };
        });
        typed.handle('vote', () => {
          throw new PlugSocketError('UNAUTHORIZED', 'no vote for you');
        });
        plain.handle('vote', () => {
          throw new Error('secret detail');
        });
        let silentSignal: AbortSignal | undefined;
        silent.handle('vote', (_payload, ctx) => {
          silentSignal = ctx.signal;
          return untilAborted(ctx.signal);
        });
        let outsiderCalls = 0;
        outsider.handle('vote', () => ++outsiderCalls);
        await Promise.all([yes, slow, typed, plain, silent].map((c) => c.join('voters')));

        const { ms, value, error } = await timed(
          server.to('voters').timeout(SHORT_TIMEOUT).request('vote', { q: 'día ☀' }),
          h.wait,
          'to("voters").request("vote")',
        );
        expect(
          error,
          'what to("voters").request() rejected with (a request to many never rejects)',
        ).to.equal(undefined);
        expect(
          Object.fromEntries(value!.results),
          'results by client id: the two subscribers whose handlers answered',
        ).to.deep.equal({
          [yes.id!]: 'yes:día ☀',
          [slow.id!]: { nested: ['día ☀'] },
        });
        expect(
          [...value!.errors.keys()],
          'client ids in errors: the two subscribers whose handlers threw',
        ).to.have.members([typed.id, plain.id]);
        const refused = expectCode(
          value!.errors.get(typed.id!),
          'UNAUTHORIZED',
          'the error gathered for the subscriber whose handler threw UNAUTHORIZED',
        );
        expect(refused.message, 'the message of that gathered UNAUTHORIZED').to.equal(
          'no vote for you',
        );
        const failed = expectCode(
          value!.errors.get(plain.id!),
          'SERVER_ERROR',
          'the error gathered for the subscriber whose handler threw a plain Error',
        );
        expect(
          failed.message,
          'the message of that gathered SERVER_ERROR (the original message must not leak)',
        ).to.not.contain('secret detail');
        expect(
          value!.timedOut,
          'client ids in timedOut: only the subscriber that never answers',
        ).to.deep.equal([silent.id]);
        expect(
          ms,
          `ms until the request to many with a silent subscriber resolved (timeout ${SHORT_TIMEOUT} ms)`,
        ).to.be.at.least(SHORT_TIMEOUT_FLOOR);
        await waitFor(
          () => silentSignal?.aborted === true,
          h.wait,
          'the silent subscriber’s handler signal to abort after the timeout',
        );
        await flushed(server, outsider, h.wait);
        expect(outsiderCalls, 'calls of the "vote" handler of a client outside the topic').to.equal(
          0,
        );

        // Without a silent client it resolves as soon as every answer is in, not at the timeout.
        const quick = await timed(
          server
            .to('voters')
            .except([typed.id!, plain.id!, silent.id!])
            .timeout(h.wait)
            .request('vote', { q: 'ok' }),
          h.wait,
          'to("voters").except(…).request("vote")',
        );
        expect(
          Object.fromEntries(quick.value!.results),
          'results by client id when only answering subscribers are asked',
        ).to.deep.equal({
          [yes.id!]: 'yes:ok',
          [slow.id!]: { nested: ['ok'] },
        });
        expect(
          quick.value!.errors.size + quick.value!.timedOut.length,
          'errors plus timed-out clients when only answering subscribers are asked',
        ).to.equal(0);
        expect(
          quick.ms,
          `ms until the request to many resolved with every answer in (timeout ${h.wait} ms)`,
        ).to.be.below(h.wait / 2);
      },
    );

    h.test(
      {
        id: 'L-REQ-05',
        level: 'MUST',
        title:
          'a typed PlugSocketError thrown by a server handler (sync or async) reaches the client with its code and message; any other throw arrives as SERVER_ERROR without the original message, and server onError gets the original',
      },
      async () => {
        const { server, url } = await h.server();
        const reported: PlugSocketError[] = [];
        server.onError((_id, e) => void reported.push(e));
        const original = new Error('secret detail: db password');
        server.handle('typed', () => {
          throw new PlugSocketError('RATE_LIMITED', 'slow down, 慢');
        });
        server.handle('typedAsync', async () => {
          await delay(5);
          throw new PlugSocketError('UNAUTHORIZED', 'not yours');
        });
        server.handle('plain', () => {
          throw original;
        });
        server.handle('plainAsync', async () => {
          await delay(5);
          throw new TypeError('secret detail: stack');
        });
        server.handle('echo', (payload) => payload);
        const client = await h.connected(url);
        const ask = (name: string) => rejectionOf(client.request(name, 1), h.wait, name);
        const typed = expectCode(
          await ask('typed'),
          'RATE_LIMITED',
          'client.request("typed"), whose handler throws RATE_LIMITED',
        );
        expect(typed.message, 'the message of that RATE_LIMITED at the client').to.equal(
          'slow down, 慢',
        );
        const typedAsync = expectCode(
          await ask('typedAsync'),
          'UNAUTHORIZED',
          'client.request("typedAsync"), whose async handler throws UNAUTHORIZED',
        );
        expect(typedAsync.message, 'the message of that UNAUTHORIZED at the client').to.equal(
          'not yours',
        );
        for (const name of ['plain', 'plainAsync']) {
          const error = expectCode(
            await ask(name),
            'SERVER_ERROR',
            `client.request("${name}"), whose handler throws a plain error`,
          );
          expect(
            error.message,
            `the message of the SERVER_ERROR from "${name}" (the original message must not leak)`,
          ).to.not.contain('secret detail');
        }
        expect(
          reported.some((e) => e.code === 'SERVER_ERROR' && e.cause === original),
          `server onError got a SERVER_ERROR with the thrown Error itself as cause (it got ${show(
            reported.map((e) => [e.code, e.cause]),
          )})`,
        ).to.equal(true);
        expect(
          await withTimeout(client.request('echo', 'still'), h.wait, 'echo'),
          'what request("echo") resolved with after the failed requests',
        ).to.equal('still');
        expect(client.isConnected, 'client.isConnected after its requests failed').to.equal(true);
      },
    );

    h.test(
      {
        id: 'L-REQ-06',
        level: 'MUST',
        title:
          'a client handler’s errors reach server.request() the same way: a typed code and message kept, a plain throw as SERVER_ERROR without its message',
      },
      async () => {
        const { server, url } = await h.server();
        const client = await h.connected(url);
        client.handle('typed', async () => {
          await delay(5);
          throw new PlugSocketError('TOO_MANY_REQUESTS', 'busy ⏳');
        });
        client.handle('plain', () => {
          throw new Error('secret detail');
        });
        const typed = expectCode(
          await rejectionOf(server.request(client.id!, 'typed', 1), h.wait, 'typed'),
          'TOO_MANY_REQUESTS',
          'server.request(client, "typed"), whose client handler throws TOO_MANY_REQUESTS',
        );
        expect(typed.message, 'the message of that TOO_MANY_REQUESTS at the server').to.equal(
          'busy ⏳',
        );
        const plain = expectCode(
          await rejectionOf(server.request(client.id!, 'plain', 1), h.wait, 'plain'),
          'SERVER_ERROR',
          'server.request(client, "plain"), whose client handler throws a plain Error',
        );
        expect(
          plain.message,
          'the message of that SERVER_ERROR at the server (the original message must not leak)',
        ).to.not.contain('secret detail');
      },
    );

    h.test(
      {
        id: 'L-REQ-07',
        level: 'MUST',
        title:
          'a request for a name without a handler rejects with HANDLER_NOT_FOUND both ways (also after removeHandler), and the connection keeps serving',
      },
      async () => {
        const { server, url } = await h.server();
        server.handle('gone', () => 'here');
        const client = await h.connected(url);
        client.handle('echo', (payload) => payload);
        expect(
          await withTimeout(client.request('gone', 1), h.wait, 'gone'),
          'what request("gone") resolved with before removeHandler',
        ).to.equal('here');
        expect(
          server.removeHandler('gone'),
          'server.removeHandler("gone") returns whether it removed a handler',
        ).to.equal(true);
        for (const name of ['missing', 'gone']) {
          const error = await rejectionOf(client.request(name, 1), h.wait, name);
          expectCode(
            error,
            'HANDLER_NOT_FOUND',
            `client.request("${name}") with no server handler for "${name}"`,
          );
        }
        const down = await rejectionOf(server.request(client.id!, 'missing', 1), h.wait, 'missing');
        expectCode(
          down,
          'HANDLER_NOT_FOUND',
          'server.request(client, "missing") with no client handler for "missing"',
        );
        expect(
          await withTimeout(server.request(client.id!, 'echo', 'ok'), h.wait, 'echo'),
          'what server.request(client, "echo") resolved with after HANDLER_NOT_FOUND both ways',
        ).to.equal('ok');
      },
    );

    h.test(
      {
        id: 'L-REQ-08',
        level: 'MUST',
        title:
          'a request unanswered within its timeout rejects with TIMEOUT both ways (per call and by the requestTimeout option), the handler on the other side sees ctx.signal abort, and later requests are answered normally',
      },
      async () => {
        const { server, url } = await h.server({ requestTimeout: SHORT_TIMEOUT });
        const serverSignals: AbortSignal[] = [];
        server.handle('slow', (_payload, ctx) => {
          serverSignals.push(ctx.signal);
          return untilAborted(ctx.signal);
        });
        server.handle('echo', (payload) => payload);
        const client = await h.connected(url);
        const clientSignals: AbortSignal[] = [];
        client.handle('slow', (_payload, ctx) => {
          clientSignals.push(ctx.signal);
          return untilAborted(ctx.signal);
        });
        client.handle('echo', (payload) => payload);

        const up = await timed(
          client.request('slow', 1, { timeout: SHORT_TIMEOUT }),
          h.wait,
          'slow',
        );
        expectCode(up.error, 'TIMEOUT', 'client.request("slow", { timeout })');
        expect(
          up.ms,
          `ms until client.request("slow", { timeout: ${SHORT_TIMEOUT} }) rejected`,
        ).to.be.within(SHORT_TIMEOUT_FLOOR, h.wait);
        await waitFor(
          () => serverSignals[0]?.aborted === true,
          h.wait,
          'the server handler signal to abort once the client gave up',
        );

        const down = await timed(server.request(client.id!, 'slow', 2), h.wait, 'server slow');
        expectCode(down.error, 'TIMEOUT', 'server.request("slow") with the requestTimeout option');
        expect(
          down.ms,
          `ms until server.request(client, "slow") rejected under requestTimeout ${SHORT_TIMEOUT}`,
        ).to.be.within(SHORT_TIMEOUT_FLOOR, h.wait);
        await waitFor(
          () => clientSignals[0]?.aborted === true,
          h.wait,
          'the client handler signal to abort once the server gave up',
        );

        expect(
          await withTimeout(client.request('echo', 'after'), h.wait, 'echo up'),
          'what client.request("echo") resolved with after the timeouts',
        ).to.equal('after');
        expect(
          await withTimeout(server.request(client.id!, 'echo', 'after'), h.wait, 'echo down'),
          'what server.request(client, "echo") resolved with after the timeouts',
        ).to.equal('after');
      },
    );

    h.test(
      {
        id: 'L-REQ-09',
        level: 'MUST',
        title:
          'aborting a request’s signal rejects it with ABORTED and aborts the handler’s ctx.signal on the other side; an already-aborted signal sends nothing',
      },
      async () => {
        const { server, url } = await h.server();
        const serverSignals: AbortSignal[] = [];
        server.handle('slow', (_payload, ctx) => {
          serverSignals.push(ctx.signal);
          return untilAborted(ctx.signal);
        });
        server.handle('echo', (payload) => payload);
        const client = await h.connected(url);
        const clientSignals: AbortSignal[] = [];
        client.handle('slow', (_payload, ctx) => {
          clientSignals.push(ctx.signal);
          return untilAborted(ctx.signal);
        });

        const up = new AbortController();
        const pending = rejectionOf(
          client.request('slow', 1, { signal: up.signal }),
          h.wait,
          'aborted request',
        );
        await waitFor(() => serverSignals.length === 1, h.wait, 'the server handler to start');
        up.abort();
        expectCode(
          await pending,
          'ABORTED',
          'client.request("slow") whose signal was aborted mid-request',
        );
        await waitFor(() => serverSignals[0].aborted, h.wait, 'the server handler signal to abort');
        const again = await rejectionOf(
          client.request('slow', 2, { signal: up.signal }),
          h.wait,
          'request with an aborted signal',
        );
        expectCode(again, 'ABORTED', 'request with an already-aborted signal');
        // Frames from one client arrive in order: once "echo" is answered, "slow" would have run.
        await withTimeout(client.request('echo', 1), h.wait, 'echo');
        expect(
          serverSignals,
          'calls of the server "slow" handler (the already-aborted request must send nothing)',
        ).to.have.length(1);

        const down = new AbortController();
        const asked = rejectionOf(
          server.request(client.id!, 'slow', 3, { signal: down.signal }),
          h.wait,
          'aborted server.request',
        );
        await waitFor(() => clientSignals.length === 1, h.wait, 'the client handler to start');
        down.abort();
        expectCode(
          await asked,
          'ABORTED',
          'server.request(client, "slow") whose signal was aborted mid-request',
        );
        await waitFor(() => clientSignals[0].aborted, h.wait, 'the client handler signal to abort');
      },
    );

    h.test(
      {
        id: 'L-REQ-10',
        level: 'MUST',
        title:
          'when the server drops a client mid-request, client.request() rejects with NOT_CONNECTED and the server handler’s ctx.signal aborts',
      },
      async () => {
        const { server, url } = await h.server();
        const contexts: InboundContext[] = [];
        server.handle('hang', (_payload, ctx) => {
          contexts.push(ctx);
          return untilAborted(ctx.signal);
        });
        const client = await h.connected(url);
        // Handled from the start: it may reject while the test still awaits the disconnect.
        const pending = rejectionOf(client.request('hang', 1), h.wait, 'the pending request');
        await waitFor(() => contexts.length === 1, h.wait, 'the server "hang" handler to start');
        await withTimeout(server.disconnect(client.id!, 4000, 'kicked'), h.wait, 'disconnect');
        expectCode(
          await pending,
          'NOT_CONNECTED',
          'client.request("hang") pending when the server disconnected the client',
        );
        await waitFor(
          () => contexts[0].signal.aborted,
          h.wait,
          'the server "hang" handler’s signal to abort after the disconnect',
        );
      },
    );

    h.test(
      {
        id: 'L-REQ-11',
        level: 'MUST',
        title:
          'when a client disconnects mid-request, its request rejects with NOT_CONNECTED and the server handler’s ctx.signal aborts; server.request() to it rejects with NOT_CONNECTED and its handler’s ctx.signal aborts',
      },
      async () => {
        const { server, url } = await h.server();
        const serverSignals: AbortSignal[] = [];
        server.handle('hang', (_payload, ctx) => {
          serverSignals.push(ctx.signal);
          return untilAborted(ctx.signal);
        });
        const asker = await h.connected(url);
        const pending = rejectionOf(asker.request('hang', 1), h.wait, 'pending request');
        await waitFor(() => serverSignals.length === 1, h.wait, 'the server handler to start');
        await withTimeout(asker.disconnect(), h.wait, 'asker.disconnect()');
        expectCode(
          await pending,
          'NOT_CONNECTED',
          'asker.request("hang") pending when the asker disconnected',
        );
        await waitFor(() => serverSignals[0].aborted, h.wait, 'the server handler signal to abort');

        const answerer = await h.connected(url);
        const clientSignals: AbortSignal[] = [];
        answerer.handle('hang', (_payload, ctx) => {
          clientSignals.push(ctx.signal);
          return untilAborted(ctx.signal);
        });
        const asked = rejectionOf(
          server.request(answerer.id!, 'hang', 2),
          h.wait,
          'server.request',
        );
        await waitFor(() => clientSignals.length === 1, h.wait, 'the client handler to start');
        await withTimeout(answerer.disconnect(), h.wait, 'answerer.disconnect()');
        expectCode(
          await asked,
          'NOT_CONNECTED',
          'server.request(answerer, "hang") pending when the answerer disconnected',
        );
        expect(
          clientSignals[0].aborted,
          'ctx.signal.aborted of the answerer’s "hang" handler once the answerer disconnected',
        ).to.equal(true);
      },
    );

    h.test(
      {
        id: 'L-REQ-12',
        level: 'MUST',
        title:
          'requests past the server’s maxRequestsInFlight are answered with TOO_MANY_REQUESTS while the earlier ones run, which then answer normally',
      },
      async () => {
        const { server, url } = await h.server({ maxRequestsInFlight: 2 });
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        let running = 0;
        server.handle('hold', async (payload) => {
          running++;
          await released;
          return payload;
        });
        const client = await h.connected(url);
        const held = Promise.all([client.request('hold', 1), client.request('hold', 2)]);
        held.catch(() => undefined); // awaited below; handled now in case the test fails first
        const third = await rejectionOf(client.request('hold', 3), h.wait, 'third request');
        expectCode(
          third,
          'TOO_MANY_REQUESTS',
          'the third request in flight, past maxRequestsInFlight: 2',
        );
        expect(
          running,
          'handlers started for three requests under maxRequestsInFlight: 2',
        ).to.equal(2);
        release();
        expect(
          await withTimeout(held, h.wait, 'held'),
          'answers of the two requests held in flight, once released',
        ).to.deep.equal([1, 2]);
        expect(
          await withTimeout(client.request('hold', 4), h.wait, 'after'),
          'what a request after the held ones resolved with',
        ).to.equal(4);
      },
    );
  });
}
