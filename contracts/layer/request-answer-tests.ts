// The layer contract's requests that are answered (L-REQ-01..04): client → server, concurrent
// and out of order, server → one client, and server → a topic's subscribers.
import { expect } from '../assert.js';
import { PlugSocketError } from '../../src/index.js';
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

/** Registers L-REQ-01..04 in the group of {@link describeRequestTests}. */
export function describeRequestAnswerTests(h: LayerHarness): void {
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
}
