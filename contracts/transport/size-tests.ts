import { expect } from '../assert.js';
import type { Frame } from '../../src/index.js';
import {
  delay,
  expectNoDifference,
  frameDifference,
  printableAscii,
  pseudoRandomBytes,
  sequenceDifference,
  waitFor,
  waitUntil,
} from '../helpers.js';
import type { TransportHarness } from '../transport-harness.js';
import { expectBothWays } from './delivery.js';

const KIB = 1024;
const MIB = 1024 * KIB;
/** The domain's default `SocketServerOptions.maxPayload` (src/server/options.ts). */
const DOMAIN_MAX_PAYLOAD = MIB;
/** Frames per direction in the long stream: past any 16-bit counter and any fixed queue. */
const STREAM = 70_000;

/**
 * Registers the tests of volume: a long stream, frames of the declared maximum size, the headroom
 * a transport keeps above the domain's limit, and a fast reader that must not be taken for a slow
 * consumer.
 */
export function describeSizeTests(h: TransportHarness): void {
  const { maxFrameSize, supports } = h.options;

  h.group('sizes, long streams and headroom', () => {
    h.test(
      {
        id: 'T-STREAM-01',
        level: 'MUST',
        title: `${STREAM.toLocaleString('en-US')} frames sent in one synchronous burst arrive complete and in order, each way`,
      },
      async () => {
        const p = await h.pair();
        const up = Array.from({ length: STREAM }, (_, i) => `u${i}`);
        const down = Array.from({ length: STREAM }, (_, i) => `d${i}`);
        const refusedUp = up.filter((frame) => !p.client.send(frame));
        const refusedDown = down.filter((frame) => !p.server.send(p.connection, frame));
        expect(refusedUp.length, 'client → server: frames send() refused').to.equal(0);
        expect(refusedDown.length, 'server → client: frames send() refused').to.equal(0);
        await waitUntil(
          () =>
            p.log.messagesFrom(p.connection).length >= STREAM && p.events.messages.length >= STREAM,
          h.wait,
        );
        await delay(h.quiet);
        expectNoDifference(
          sequenceDifference(p.log.messagesFrom(p.connection), up),
          'client → server',
        );
        expectNoDifference(sequenceDifference(p.events.messages, down), 'server → client');
      },
    );

    h.test(
      {
        id: 'T-SIZE-01',
        level: 'MUST',
        title: `frames of the maximum size (options.maxFrameSize, ${maxFrameSize} bytes: ASCII text, and binary where declared) arrive intact both ways`,
      },
      async () => {
        const frames: Frame[] = [printableAscii(maxFrameSize, 7)];
        if (supports.binary) frames.push(pseudoRandomBytes(maxFrameSize, 11));
        await expectBothWays(h, await h.pair(), frames);
      },
    );

    h.test(
      {
        id: 'T-SIZE-02',
        level: 'MUST',
        title:
          'headroom: client frames of 1 MiB + 1 byte (the domain default maxPayload + 1) of ASCII, NULs, quotes and backslashes, and binary where declared, reach the server, and the connection stays open',
      },
      async () => {
        const p = await h.pair();
        const size = DOMAIN_MAX_PAYLOAD + 1;
        // NULs and `"\` cost 6 and 2 bytes each once JSON-escaped: a transport that counts its
        // limit on an escaped wire form closes on them though the content is 1 MiB + 1.
        const frames: [string, Frame][] = [
          ['ASCII text', printableAscii(size, 3)],
          ['text of NULs', '\u0000'.repeat(size)],
          ['text of quotes and backslashes', `${'"\\'.repeat((size - 1) / 2)}"`],
        ];
        if (supports.binary) frames.push(['binary', pseudoRandomBytes(size, 5)]);
        frames.push(['the frame after them', 'after']);
        for (const [what, frame] of frames) {
          expect(p.client.send(frame), `client send() result for the ${what}`).to.equal(true);
        }
        await waitUntil(
          () =>
            p.log.messagesFrom(p.connection).length >= frames.length ||
            p.events.closes.length > 0 ||
            p.log.disconnectsOf(p.connection).length > 0,
          h.wait,
        );
        await delay(h.quiet);
        expect(
          p.events.closes,
          'client close events (the transport must not close over a frame of 1 MiB + 1 byte)',
        ).to.deep.equal([]);
        expect(
          p.log.disconnectsOf(p.connection),
          'server disconnect events (the transport must not close over a frame of 1 MiB + 1 byte)',
        ).to.deep.equal([]);
        const arrived = p.log.messagesFrom(p.connection);
        frames.forEach(([what, frame], i) =>
          expectNoDifference(
            frameDifference(arrived[i], frame),
            `client → server, frame ${i} (the ${what})`,
          ),
        );
        expect(arrived.length, 'client → server: number of frames that arrived').to.equal(
          frames.length,
        );
      },
    );

    h.test(
      {
        id: 'T-FRAME-14',
        level: 'MUST',
        title:
          'a client that keeps up receives 64 MiB in 512 frames of 128 KiB without being dropped as a slow consumer',
      },
      async () => {
        const p = await h.pair();
        const frame: Frame = supports.binary
          ? pseudoRandomBytes(128 * KIB, 1)
          : printableAscii(128 * KIB, 1);
        // Batches of 8, each awaited: the reader keeps up, so nothing waits long in any buffer,
        // while the total written passes the default maxBufferedAmount (32 MiB) twice.
        for (let batch = 0; batch < 64; batch++) {
          for (let i = 0; i < 8; i++) {
            expect(
              p.server.send(p.connection, frame),
              `server send() result, frame ${i} of batch ${batch}`,
            ).to.equal(true);
          }
          await waitFor(
            () => p.events.messages.length >= (batch + 1) * 8 || p.events.closes.length > 0,
            h.wait,
            `the frames of batch ${batch} at the client`,
          );
          expect(p.events.closes, `client close events after batch ${batch}`).to.deep.equal([]);
        }
        expect(
          p.log.errors.map((e) => `${e.error.code}: ${e.error.message}`),
          'server error events (a reader that keeps up is no SLOW_CONSUMER)',
        ).to.deep.equal([]);
        expect(p.events.messages.length, 'frames at the client').to.equal(512);
      },
    );
  });
}
