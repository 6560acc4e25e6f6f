// The layer contract's session resume tests (L-RESUME-01..04): over the transport under test, a
// client whose connection was lost resumes its session — same id, topics kept, what it missed
// delivered once, requests in flight answered once, what it sent counted once — and a client
// whose session is gone is told so (docs/delivery-guarantees.md). Resuming needs the handshake
// query, so the tests require `handshakeQuery`.
import { expect } from '../assert.js';
import type { ResumeOutcome } from '../../src/index.js';
import { delay, waitFor } from '../helpers.js';
import type { LayerHarness } from './layer-harness.js';
import { QUICK_RECONNECT, received } from './layer-helpers.js';

/** Registers L-RESUME-01..04. */
export function describeResumeTests(h: LayerHarness): void {
  h.group('session resume', () => {
    h.test(
      {
        id: 'L-RESUME-01',
        level: 'MUST',
        requires: 'handshakeQuery',
        title:
          'a client whose connection is lost (1012) resumes its session: same id, its topic kept, and what was sent to it meanwhile delivered once, in order',
      },
      async () => {
        const { server, url } = await h.server();
        const a = await h.connected(url, {
          reconnect: { retries: 20, minDelay: 150, maxDelay: 200 },
        });
        await a.join('resume-room');
        const id = a.id!;
        const outcomes: ResumeOutcome[] = [];
        a.onReconnected((outcome) => void outcomes.push(outcome));
        const direct = received(a, 'direct');
        const room = received(a, 'room');
        server.sendToClient(id, { type: 'direct', payload: 0 });
        server.to('resume-room').emit('room', 0);
        await waitFor(() => direct.length + room.length >= 2, h.wait, 'the first two messages');
        await server.disconnect(id, 1012, 'restarting');
        await waitFor(() => a.state === 'reconnecting', h.wait, 'the client to be reconnecting');
        // While the client is away: kept for it, not lost.
        for (let i = 1; i <= 3; i++) {
          server.sendToClient(id, { type: 'direct', payload: i });
          server.to('resume-room').emit('room', i);
        }
        await waitFor(() => outcomes.length >= 1, h.wait, 'onReconnected');
        expect(outcomes[0], 'the reconnect outcome').to.deep.equal({ resumed: true });
        expect(a.id, 'the client id after resuming').to.equal(id);
        server.sendToClient(id, { type: 'direct', payload: 4 });
        server.to('resume-room').emit('room', 4);
        await waitFor(() => direct.length + room.length >= 10, h.wait, 'all ten messages');
        await delay(h.quiet);
        expect(direct, 'direct messages, in order, once each').to.deep.equal([0, 1, 2, 3, 4]);
        expect(room, 'topic messages, in order, once each').to.deep.equal([0, 1, 2, 3, 4]);
        expect(server.getClient(id)?.resumed, 'ConnectedClient.resumed').to.equal(true);
        expect(server.getSubscribers('resume-room'), 'the topic’s members').to.deep.equal([id]);
      },
    );

    h.test(
      {
        id: 'L-RESUME-02',
        level: 'MUST',
        requires: 'handshakeQuery',
        title:
          'a request in flight when the connection is lost is executed once and answered after the resume',
      },
      async () => {
        const { server, url } = await h.server();
        let executions = 0;
        let release: (() => void) | undefined;
        server.handle('slow', (n: unknown) => {
          executions++;
          return new Promise((resolve) => {
            release = () => resolve((n as number) * 2);
          });
        });
        const a = await h.connected(url, { reconnect: QUICK_RECONNECT });
        const answer = a.request('slow', 21);
        await waitFor(() => release !== undefined, h.wait, 'the handler to start');
        let reconnected = false;
        a.onReconnected(() => void (reconnected = true));
        await server.disconnect(a.id!, 1012, 'restarting');
        await waitFor(() => a.state === 'reconnecting', h.wait, 'the client to be reconnecting');
        release!();
        await waitFor(() => reconnected, h.wait, 'the resume');
        expect(await answer, 'the answer after the resume').to.equal(42);
        expect(executions, 'handler executions').to.equal(1);
      },
    );

    h.test(
      {
        id: 'L-RESUME-03',
        level: 'MUST',
        requires: 'handshakeQuery',
        title:
          'messages a client sends just before its connection is lost reach the server once each, in order',
      },
      async () => {
        const { server, url } = await h.server();
        const got: unknown[] = [];
        server.onMessage((_id, message) => void got.push(message.payload));
        const a = await h.connected(url, { reconnect: QUICK_RECONNECT });
        let reconnected = false;
        a.onReconnected(() => void (reconnected = true));
        for (let i = 0; i < 50; i++) a.send({ type: 'n', payload: i });
        await server.disconnect(a.id!, 1012, 'restarting');
        for (let i = 50; i < 60; i++) a.send({ type: 'n', payload: i });
        await waitFor(() => reconnected, h.wait, 'the resume');
        await waitFor(() => got.length >= 60, h.wait, 'all 60 messages at the server');
        await delay(h.quiet);
        expect(got, 'what the server received').to.deep.equal([...Array(60).keys()]);
      },
    );

    h.test(
      {
        id: 'L-RESUME-04',
        level: 'MUST',
        requires: 'handshakeQuery',
        title:
          'a client that comes back after the resume window gets a new session and is told so: resumed false, expired',
      },
      async () => {
        const { server, url } = await h.server({ resumeWindow: 50 });
        // Reconnects are admitted only after the window has passed (backoff has full jitter, so
        // the client's own delay cannot be relied on to be long enough).
        let holdBack = false;
        server.useConnection(async (_ctx, next) => {
          if (holdBack) await delay(200);
          return next();
        });
        const a = await h.connected(url, { reconnect: QUICK_RECONNECT });
        await a.join('late-room');
        const firstId = a.id!;
        const outcomes: ResumeOutcome[] = [];
        a.onReconnected((outcome) => void outcomes.push(outcome));
        const opens: unknown[] = [];
        a.state$.subscribe((change) => {
          if (change.state === 'open') opens.push(change);
        });
        holdBack = true;
        await server.disconnect(firstId, 1012, 'restarting');
        await waitFor(() => outcomes.length >= 1, h.wait, 'onReconnected');
        const signal = { resumed: false, reason: 'expired' };
        expect(outcomes[0], 'the reconnect outcome').to.deep.equal(signal);
        expect(opens.at(-1), 'the last open on state$').to.deep.equal({ state: 'open', ...signal });
        expect(a.id, 'the client id').to.not.equal(firstId);
        await waitFor(
          () => server.getSubscribers('late-room').includes(a.id!),
          h.wait,
          'the new session to join its topic again',
        );
      },
    );
  });
}
