// The layer contract's requests cut short (L-REQ-08..12): a timeout, an abort, a disconnect
// mid-request either way, and the server's bound on requests in flight; the connection keeps
// serving after each.
import { expect } from '../assert.js';
import { type InboundContext } from '../../src/index.js';
import { rejectionOf, waitFor, withTimeout } from '../helpers.js';
import type { LayerHarness } from './layer-harness.js';
import {
  SHORT_TIMEOUT,
  SHORT_TIMEOUT_FLOOR,
  expectCode,
  timed,
  untilAborted,
} from './layer-helpers.js';

/** Registers L-REQ-08..12 in the group of {@link describeRequestTests}. */
export function describeRequestCancelTests(h: LayerHarness): void {
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

      const up = await timed(client.request('slow', 1, { timeout: SHORT_TIMEOUT }), h.wait, 'slow');
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
      await waitFor(() => serverSignals.length >= 1, h.wait, 'the server handler to start');
      expect(serverSignals, 'calls of the server handler (once each)').to.have.length(1);
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
      await waitFor(() => clientSignals.length >= 1, h.wait, 'the client handler to start');
      expect(clientSignals, 'calls of the client handler (once each)').to.have.length(1);
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
      await waitFor(() => contexts.length >= 1, h.wait, 'the server "hang" handler to start');
      expect(contexts, 'calls of the server "hang" handler (once each)').to.have.length(1);
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
      await waitFor(() => serverSignals.length >= 1, h.wait, 'the server handler to start');
      expect(serverSignals, 'calls of the server handler (once each)').to.have.length(1);
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
      const asked = rejectionOf(server.request(answerer.id!, 'hang', 2), h.wait, 'server.request');
      await waitFor(() => clientSignals.length >= 1, h.wait, 'the client handler to start');
      expect(clientSignals, 'calls of the client handler (once each)').to.have.length(1);
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
      expect(running, 'handlers started for three requests under maxRequestsInFlight: 2').to.equal(
        2,
      );
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
}
