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
  usersInOrder,
} from './layer-helpers.js';

/**
 * Registers the layer contract's client-to-client request tests: `requestClient` by id and by
 * `{ user }` through the server, `TARGET_OFFLINE`, the server's `canRequest`, timeouts and a
 * target that leaves mid-request.
 */
export function describeClientRequestTests(h: LayerHarness): void {
  h.group('client-to-client requests', () => {
    h.test(
      {
        id: 'L-C2C-01',
        level: 'MUST',
        title:
          'requestClient(id) reaches the target’s handler through the server with ctx.from set to the asker’s id, and resolves with its async answer; a typed error crosses with its code',
      },
      async () => {
        const { server, url } = await h.server();
        const [asker, target, bystander] = await Promise.all([1, 2, 3].map(() => h.connected(url)));
        const calls: unknown[] = [];
        target.handle('greet', async (payload, ctx) => {
          calls.push({ payload, from: ctx.from, name: ctx.name, headers: ctx.headers });
          await delay(10);
          return { hello: payload, by: target.id };
        });
        target.handle('refuse', () => {
          throw new PlugSocketError('UNAUTHORIZED', 'not you, 你');
        });
        let bystanderCalls = 0;
        bystander.handle('greet', () => ++bystanderCalls);
        const payload = { name: 'Zoë 👋', tags: [['a'], { b: null }] };
        const result = await withTimeout(
          asker.requestClient(target.id!, 'greet', payload, { headers: { via: 'c2c' } }),
          h.wait,
          'requestClient(target, "greet")',
        );
        expect(
          result,
          'what requestClient(target, "greet") resolved with (the target’s async answer)',
        ).to.deep.equal({ hello: payload, by: target.id });
        expect(
          calls,
          'calls of the target’s "greet" handler, with payload, ctx.from, ctx.name and headers',
        ).to.deep.equal([{ payload, from: asker.id, name: 'greet', headers: { via: 'c2c' } }]);
        const refused = await rejectionOf(
          asker.requestClient(target.id!, 'refuse', 1),
          h.wait,
          'requestClient(target, "refuse")',
        );
        const typed = expectCode(
          refused,
          'UNAUTHORIZED',
          'requestClient(target, "refuse"), whose target handler throws UNAUTHORIZED',
        );
        expect(typed.message, 'the message of that UNAUTHORIZED at the asker').to.equal(
          'not you, 你',
        );
        const missing = await rejectionOf(
          asker.requestClient(target.id!, 'missing', 1),
          h.wait,
          'requestClient(target, "missing")',
        );
        expectCode(
          missing,
          'HANDLER_NOT_FOUND',
          'requestClient(target, "missing"), a name the target does not handle',
        );
        await flushed(server, bystander, h.wait);
        expect(
          bystanderCalls,
          'calls of the "greet" handler of a client that was not asked',
        ).to.equal(0);
      },
    );

    h.test(
      {
        id: 'L-C2C-02',
        level: 'MUST',
        title:
          'requestClient({ user }) reaches the most recently connected client of that principal id, then the previous one when it leaves, then rejects with TARGET_OFFLINE',
      },
      async () => {
        const { server, url } = await h.server({
          authorization: usersInOrder('ann', 'bob', 'bob'),
        });
        const ann = await h.connected(url);
        const bobOld = await h.connected(url);
        const bobNew = await h.connected(url);
        expect(
          server.getClient(bobNew.id!)?.principal,
          'the principal of the third client admitted (usersInOrder: ann, bob, bob)',
        ).to.deep.equal({ id: 'bob' });
        for (const [client, label] of [
          [bobOld, 'old'],
          [bobNew, 'new'],
        ] as const) {
          client.handle('where', (_payload, ctx) => ({ label, from: ctx.from }));
        }
        const ask = () => ann.requestClient({ user: 'bob' }, 'where', undefined);
        expect(
          await withTimeout(ask(), h.wait, 'ask bob'),
          'the answer to requestClient({ user: "bob" }) with two bobs connected (the newest answers)',
        ).to.deep.equal({ label: 'new', from: ann.id });
        const newId = bobNew.id!;
        await withTimeout(bobNew.disconnect(), h.wait, 'bobNew.disconnect()');
        await waitFor(
          () => server.getClient(newId) === undefined,
          h.wait,
          'the server to drop the newer bob after its disconnect()',
        );
        expect(
          await withTimeout(ask(), h.wait, 'ask bob again'),
          'the answer to requestClient({ user: "bob" }) after the newer bob left (the older answers)',
        ).to.deep.equal({ label: 'old', from: ann.id });
        const oldId = bobOld.id!;
        await withTimeout(bobOld.disconnect(), h.wait, 'bobOld.disconnect()');
        await waitFor(
          () => server.getClient(oldId) === undefined,
          h.wait,
          'the server to drop the older bob after its disconnect()',
        );
        expectCode(
          await rejectionOf(ask(), h.wait, 'ask bob offline'),
          'TARGET_OFFLINE',
          'requestClient({ user: "bob" }) once both bobs left',
        );
        const nobody = ann.requestClient({ user: 'nobody' }, 'where', 1);
        expectCode(
          await rejectionOf(nobody, h.wait, 'ask nobody'),
          'TARGET_OFFLINE',
          'requestClient({ user: "nobody" }), a principal id never connected',
        );
      },
    );

    h.test(
      {
        id: 'L-C2C-03',
        level: 'MUST',
        title:
          'requestClient() to an id that is not connected, or that left, rejects with TARGET_OFFLINE',
      },
      async () => {
        const { server, url } = await h.server();
        const asker = await h.connected(url);
        const target = await h.connected(url);
        target.handle('ping', () => 'pong');
        const unknown = await rejectionOf(
          asker.requestClient('no-such-client', 'ping', 1),
          h.wait,
          'requestClient(unknown id)',
        );
        expectCode(unknown, 'TARGET_OFFLINE', 'requestClient("no-such-client", "ping")');
        const id = target.id!;
        await withTimeout(target.disconnect(), h.wait, 'target.disconnect()');
        await waitFor(
          () => server.getClient(id) === undefined,
          h.wait,
          'the server to drop the target after its disconnect()',
        );
        const left = await rejectionOf(asker.requestClient(id, 'ping', 1), h.wait, 'requestClient');
        expectCode(left, 'TARGET_OFFLINE', 'requestClient(id of a client that left, "ping")');
        expect(
          asker.isConnected,
          'the asker’s isConnected after its requests to offline targets failed',
        ).to.equal(true);
      },
    );

    h.test(
      {
        id: 'L-C2C-04',
        level: 'MUST',
        title:
          'a target that leaves while handling a client-to-client request makes it reject with TARGET_OFFLINE (not NOT_CONNECTED)',
      },
      async () => {
        const { url } = await h.server();
        const asker = await h.connected(url);
        const target = await h.connected(url);
        const signals: AbortSignal[] = [];
        target.handle('hang', (_payload, ctx) => {
          signals.push(ctx.signal);
          return untilAborted(ctx.signal);
        });
        const pending = rejectionOf(
          asker.requestClient(target.id!, 'hang', 1),
          h.wait,
          'the pending client-to-client request',
        );
        await waitFor(() => signals.length >= 1, h.wait, 'the target handler to start');
        expect(signals, 'calls of the target "hang" handler (once each)').to.have.length(1);
        await withTimeout(target.disconnect(), h.wait, 'target.disconnect()');
        expectCode(
          await pending,
          'TARGET_OFFLINE',
          'requestClient(target, "hang") pending when the target disconnected',
        );
        expect(
          asker.isConnected,
          'the asker’s isConnected after its target left mid-request',
        ).to.equal(true);
      },
    );

    h.test(
      {
        id: 'L-C2C-05',
        level: 'MUST',
        title:
          'canRequest (async) sees asker, target and name; a refusal rejects with UNAUTHORIZED and the target never sees the request',
      },
      async () => {
        const checks: unknown[] = [];
        const { server, url } = await h.server({
          canRequest: async (from, to, name) => {
            checks.push([from.id, to.id, name]);
            await delay(5);
            return name !== 'secret';
          },
        });
        const asker = await h.connected(url);
        const target = await h.connected(url);
        const handled: string[] = [];
        target.handle('secret', () => void handled.push('secret'));
        target.handle('open', () => {
          handled.push('open');
          return 'ok';
        });
        const refused = await rejectionOf(
          asker.requestClient(target.id!, 'secret', 1),
          h.wait,
          'requestClient("secret")',
        );
        expectCode(
          refused,
          'UNAUTHORIZED',
          'requestClient(target, "secret"), which canRequest refuses',
        );
        expect(
          await withTimeout(asker.requestClient(target.id!, 'open', 1), h.wait, 'open'),
          'what requestClient(target, "open"), which canRequest allows, resolved with',
        ).to.equal('ok');
        await flushed(server, target, h.wait);
        expect(
          handled,
          'the requests the target’s handlers ran (never the refused "secret")',
        ).to.deep.equal(['open']);
        expect(checks, 'the canRequest calls, as [asker id, target id, name]').to.deep.equal([
          [asker.id, target.id, 'secret'],
          [asker.id, target.id, 'open'],
        ]);
      },
    );

    h.test(
      {
        id: 'L-C2C-06',
        level: 'MUST',
        title:
          'a client-to-client request unanswered within its timeout rejects with TIMEOUT, and the target’s handler sees ctx.signal abort',
      },
      async () => {
        const { url } = await h.server();
        const asker = await h.connected(url);
        const target = await h.connected(url);
        const signals: AbortSignal[] = [];
        target.handle('slow', (_payload, ctx) => {
          signals.push(ctx.signal);
          return untilAborted(ctx.signal);
        });
        target.handle('echo', (payload) => payload);
        const { ms, error } = await timed(
          asker.requestClient(target.id!, 'slow', 1, { timeout: SHORT_TIMEOUT }),
          h.wait,
          'requestClient("slow")',
        );
        expectCode(
          error,
          'TIMEOUT',
          `requestClient(target, "slow", { timeout: ${SHORT_TIMEOUT} }), never answered`,
        );
        expect(
          ms,
          `ms until requestClient(target, "slow", { timeout: ${SHORT_TIMEOUT} }) rejected`,
        ).to.be.within(SHORT_TIMEOUT_FLOOR, h.wait);
        await waitFor(
          () => signals[0]?.aborted === true,
          h.wait,
          'the target’s "slow" handler signal to abort after the timeout',
        );
        const echo = asker.requestClient(target.id!, 'echo', 'after');
        expect(
          await withTimeout(echo, h.wait, 'echo'),
          'what requestClient(target, "echo") resolved with after the timeout',
        ).to.equal('after');
      },
    );
  });
}
