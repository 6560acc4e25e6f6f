// The fault tier's tests of frames on one connection (T-FAULT-01..05, 10): cut in the middle of a
// frame either way, reset while large frames travel, stalled, slowed by latency, and kept in call
// order by every send path while the server's send buffer is full.
import { expect } from '../assert.js';
import { delay, expectNoDifference, sequenceDifference, waitFor, waitUntil } from '../helpers.js';
import type { TransportHarness } from '../transport-harness.js';
import {
  closedBothSides,
  connectThrough,
  CUT_INTO_FRAME,
  everyTurnUntil,
  expectFlow,
  expectOneAbnormalClose,
  expectPrefix,
  framesOf,
  GATE,
  largeFrame,
  numbered,
  withRig,
} from './fault-rig.js';

/** Whole frames exchanged before a cut, which must all have arrived. */
const BEFORE_CUT = 5;
/** How long a stall holds the connection: longer than a few hundred milliseconds. */
const STALL_MS = 500;
/** Bytes each large frame must have moved through the proxy when T-FAULT-03 cuts. */
const MID_FRAME_BYTES = 32 * 1024;
/** Frames of maxFrameSize the server sends into a stalled connection before the small ones. */
const LARGE_FRAMES = 4;
/** Latency added each way by the delay test. */
const LATENCY_MS = 50;

/** Registers T-FAULT-01..05, T-FAULT-10 and T-FAULT-12 in the fault tier's group. */
export function describeFaultFrameTests(h: TransportHarness): void {
  h.test(
    {
      id: 'T-FAULT-01',
      level: 'MUST',
      title:
        'a connection cut in the middle of a client → server frame closes each side once with 1006, and the server delivers only the whole frames sent before it',
      requires: GATE,
    },
    () =>
      withRig(h, async (rig) => {
        const peer = await connectThrough(h, rig);
        const sent = numbered('up', BEFORE_CUT);
        for (const frame of sent) peer.client.send(frame);
        await waitFor(
          () => framesOf(rig, peer).atServer.length >= BEFORE_CUT,
          h.wait,
          `the first ${BEFORE_CUT} frames at the server`,
        );
        rig.proxy.cutAfter(CUT_INTO_FRAME, { direction: 'up' });
        const cut = largeFrame('up');
        sent.push(cut);
        peer.client.send(cut);
        // Frames queued behind the cut one never get through; none may turn up either.
        for (const frame of numbered('up after', 3)) {
          sent.push(frame);
          peer.client.send(frame);
        }
        await closedBothSides(h, rig, peer);
        expectOneAbnormalClose(rig, peer, `a cut ${CUT_INTO_FRAME} bytes into a client frame`);
        const { atServer } = framesOf(rig, peer);
        expectPrefix(atServer, sent, 'frames at the server');
        expect(
          atServer.length,
          'frames the server delivered (the whole ones before the cut)',
        ).to.equal(BEFORE_CUT);
      }),
  );

  h.test(
    {
      id: 'T-FAULT-02',
      level: 'MUST',
      title:
        'a connection cut in the middle of a server → client frame closes each side once with 1006, and the client delivers only the whole frames sent before it',
      requires: GATE,
    },
    () =>
      withRig(h, async (rig) => {
        const peer = await connectThrough(h, rig);
        const server = rig.listening.server;
        const sent = numbered('down', BEFORE_CUT);
        for (const frame of sent) server.send(peer.connection, frame);
        await waitFor(
          () => peer.events.messages.length >= BEFORE_CUT,
          h.wait,
          `the first ${BEFORE_CUT} frames at the client`,
        );
        rig.proxy.cutAfter(CUT_INTO_FRAME, { direction: 'down' });
        const cut = largeFrame('down');
        sent.push(cut);
        server.send(peer.connection, cut);
        for (const frame of numbered('down after', 3)) {
          sent.push(frame);
          server.send(peer.connection, frame);
        }
        await closedBothSides(h, rig, peer);
        expectOneAbnormalClose(rig, peer, `a cut ${CUT_INTO_FRAME} bytes into a server frame`);
        const { atClient } = framesOf(rig, peer);
        expectPrefix(atClient, sent, 'frames at the client');
        expect(
          atClient.length,
          'frames the client delivered (the whole ones before the cut)',
        ).to.equal(BEFORE_CUT);
      }),
  );

  h.test(
    {
      id: 'T-FAULT-03',
      level: 'MUST',
      title:
        'an abrupt cut (TCP reset) while large frames travel both ways closes each side once with 1006, and neither side delivers a partial frame',
      requires: GATE,
    },
    () =>
      withRig(
        h,
        async (rig) => {
          const peer = await connectThrough(h, rig);
          const server = rig.listening.server;
          const up = numbered('up', BEFORE_CUT);
          const down = numbered('down', BEFORE_CUT);
          for (let i = 0; i < BEFORE_CUT; i++) {
            peer.client.send(up[i]);
            server.send(peer.connection, down[i]);
          }
          await waitFor(
            () => {
              const { atServer, atClient } = framesOf(rig, peer);
              return atServer.length >= BEFORE_CUT && atClient.length >= BEFORE_CUT;
            },
            h.wait,
            `the first ${BEFORE_CUT} frames each way`,
          );
          const base = rig.proxy.stats;
          up.push(largeFrame('up'));
          down.push(largeFrame('down'));
          peer.client.send(up[BEFORE_CUT]);
          server.send(peer.connection, down[BEFORE_CUT]);
          // The proxy re-chunks (4 KiB per event-loop turn), so the large frames are part-way
          // through when both directions have moved 32 KiB: the reset lands inside them. Without
          // those 32 KiB the cut would not land inside the large frames, and the test would check
          // nothing about them: that fails rather than passes.
          const moved = (): { up: number; down: number } => {
            const now = rig.proxy.stats;
            return { up: now.bytesUp - base.bytesUp, down: now.bytesDown - base.bytesDown };
          };
          const reached = await everyTurnUntil(() => {
            const { up: movedUp, down: movedDown } = moved();
            return movedUp >= MID_FRAME_BYTES && movedDown >= MID_FRAME_BYTES;
          }, h.wait);
          expect(
            reached,
            `both directions moved ${MID_FRAME_BYTES} bytes of the large frames through the proxy within ${h.wait} ms before the cut (moved ${JSON.stringify(moved())})`,
          ).to.equal(true);
          rig.proxy.cut();
          await closedBothSides(h, rig, peer);
          expectOneAbnormalClose(rig, peer, 'a TCP reset');
          const { atServer, atClient } = framesOf(rig, peer);
          expectPrefix(atServer, up, 'frames at the server');
          expectPrefix(atClient, down, 'frames at the client');
        },
        { chunkSize: 4096 },
      ),
  );

  h.test(
    {
      id: 'T-FAULT-04',
      level: 'MUST',
      title: `a stall of ${STALL_MS} ms followed by resume delivers every frame both ways exactly once, in order, and the connection stays open`,
      requires: GATE,
    },
    () =>
      withRig(h, async (rig) => {
        const peer = await connectThrough(h, rig);
        const server = rig.listening.server;
        const up = numbered('up', 50);
        const down = numbered('down', 50);
        rig.proxy.stall();
        for (let i = 0; i < up.length; i++) {
          expect(peer.client.send(up[i]), 'client send() result during the stall').to.equal(true);
          expect(
            server.send(peer.connection, down[i]),
            'server send() result during the stall',
          ).to.equal(true);
        }
        await delay(STALL_MS);
        expect(peer.events.closes, 'client close events during the stall').to.have.length(0);
        expect(
          rig.listening.log.disconnectsOf(peer.connection),
          'server disconnect events during the stall',
        ).to.have.length(0);
        rig.proxy.resume();
        await waitUntil(() => {
          const { atServer, atClient } = framesOf(rig, peer);
          return atServer.length >= up.length && atClient.length >= down.length;
        }, h.wait);
        await delay(h.quiet);
        const { atServer, atClient } = framesOf(rig, peer);
        expectNoDifference(sequenceDifference(atServer as string[], up), 'client → server');
        expectNoDifference(sequenceDifference(atClient as string[], down), 'server → client');
        expect(peer.events.closes, 'client close events after the stall').to.have.length(0);
        expect(
          rig.listening.log.disconnectsOf(peer.connection),
          'server disconnect events after the stall',
        ).to.have.length(0);
        expect(peer.client.isOpen, 'client.isOpen after the stall').to.equal(true);
        expect(
          server.isClientConnected(peer.connection),
          'isClientConnected after the stall',
        ).to.equal(true);
        await expectFlow(h, rig, peer, 'after the stall', 3);
      }),
  );

  h.test(
    {
      id: 'T-FAULT-05',
      level: 'MUST',
      title: `with ${LATENCY_MS} ms of latency each way (handshake included), 200 frames each way arrive complete and in order`,
      requires: GATE,
    },
    () =>
      withRig(h, async (rig) => {
        rig.proxy.delay(LATENCY_MS);
        const peer = await connectThrough(h, rig);
        await expectFlow(h, rig, peer, 'with latency', 200, 0);
        expect(peer.events.closes, 'client close events').to.have.length(0);
        expect(
          rig.listening.log.disconnectsOf(peer.connection),
          'server disconnect events',
        ).to.have.length(0);
      }),
  );

  h.test(
    {
      id: 'T-FAULT-10',
      level: 'MUST',
      title: `with the server → client direction stalled, ${LARGE_FRAMES} frames of maxFrameSize then frames by send(), sendMany() and sendPrepared() arrive in call order once it resumes`,
      requires: GATE,
    },
    () =>
      withRig(h, async (rig) => {
        const peer = await connectThrough(h, rig);
        const server = rig.listening.server;
        // Far more than loopback buffers hold while the proxy does not read (the server's own send
        // buffer fills behind them), yet well below the 32 MiB backlog at which a server may drop
        // a slow consumer.
        const big = Array.from({ length: LARGE_FRAMES }, (_, i) =>
          largeFrame(`big ${i}`).repeat(Math.ceil(h.options.maxFrameSize / (256 * 1024))),
        );
        const label = (frame: unknown): unknown => {
          const i = big.indexOf(frame as string);
          if (i >= 0) return `large frame #${i}`;
          return typeof frame === 'string' && frame.length > 20
            ? `a frame of ${frame.length} characters`
            : frame;
        };
        rig.proxy.stall({ direction: 'down' });
        big.forEach((frame, i) =>
          expect(server.send(peer.connection, frame), `send() result, large frame #${i}`).to.equal(
            true,
          ),
        );
        expect(server.send(peer.connection, '1'), 'send() result, "1"').to.equal(true);
        expect(server.sendMany([peer.connection], '2'), 'sendMany() result, "2"').to.equal(1);
        expect(
          server.sendPrepared(peer.connection, server.prepare('3')),
          'sendPrepared() result, "3"',
        ).to.equal(true);
        await delay(h.quiet);
        rig.proxy.resume();
        await waitUntil(() => peer.events.messages.length >= LARGE_FRAMES + 3, h.wait);
        await delay(h.quiet);
        expect(
          peer.events.messages.map(label),
          'frames at the client, in the order the server sent them',
        ).to.deep.equal([...big.map((_, i) => `large frame #${i}`), '1', '2', '3']);
      }),
  );
  h.test(
    {
      id: 'T-FAULT-12',
      level: 'MUST',
      title:
        'with a backlog queued behind a stalled reader, binary bytes the caller changes right after send() or sendMany() returned arrive as they were sent',
      requires: GATE,
    },
    () =>
      withRig(h, async (rig) => {
        // Without binary there is nothing to check; the gate is the fault tier's, not binary's.
        if (!h.options.supports.binary) return;
        const peer = await connectThrough(h, rig);
        const server = rig.listening.server;
        // A backlog, so that a transport writing the caller's buffer later (not copying it) is
        // still holding it when the caller changes it; with nothing queued, a write goes out at
        // once and the bug does not show.
        const big = Array.from({ length: LARGE_FRAMES }, (_, i) =>
          largeFrame(`backlog ${i}`).repeat(Math.ceil(h.options.maxFrameSize / (256 * 1024))),
        );
        rig.proxy.stall({ direction: 'down' });
        for (const frame of big) server.send(peer.connection, frame);
        const viaSend = Uint8Array.of(1, 2, 3, 4);
        const viaSendMany = Uint8Array.of(5, 6, 7, 8);
        expect(server.send(peer.connection, viaSend), 'send() result, binary').to.equal(true);
        viaSend.fill(0);
        expect(server.sendMany([peer.connection], viaSendMany), 'sendMany() result').to.equal(1);
        viaSendMany.fill(0);
        await delay(h.quiet);
        rig.proxy.resume();
        await waitUntil(() => peer.events.messages.length >= LARGE_FRAMES + 2, h.wait);
        await delay(h.quiet);
        const tail = peer.events.messages.slice(LARGE_FRAMES);
        expect(
          tail,
          'the binary frames at the client, each as it was when send() or sendMany() returned',
        ).to.deep.equal([Uint8Array.of(1, 2, 3, 4), Uint8Array.of(5, 6, 7, 8)]);
      }),
  );
}
