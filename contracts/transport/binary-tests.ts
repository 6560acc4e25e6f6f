import { expect } from '../assert.js';
import type { Frame } from '../../src/index.js';
import {
  delay,
  everyByteValue,
  expectNoDifference,
  frameDifference,
  pseudoRandomBytes,
  sequenceDifference,
  waitUntil,
} from '../helpers.js';
import type { TransportHarness } from '../transport-harness.js';
import { expectBothWays } from './delivery.js';

/** Node's `Buffer` where the runtime has one (Node, Bun, Deno); its small buffers share a pool. */
const NodeBuffer = (globalThis as { Buffer?: { from(data: string | Uint8Array): Uint8Array } })
  .Buffer;

/**
 * Registers the tests of binary frames beyond the frame tests: views into larger buffers, bytes
 * changed after sending, bytes that look like text or JSON, text and binary interleaved, and who
 * owns a received view.
 */
export function describeBinaryTests(h: TransportHarness): void {
  h.group('binary frames', () => {
    h.test(
      {
        id: 'T-BINARY-01',
        level: 'MUST',
        title:
          'views into larger buffers (byteOffset ≠ 0, subarrays, pooled Buffers, an empty view) arrive as exactly their own bytes, both ways',
        requires: 'binary',
      },
      async () => {
        // Bytes around each view are 0xee: a transport that sends the whole backing buffer, or
        // ignores byteOffset or byteLength, sends them too.
        const backing = new Uint8Array(4096).fill(0xee);
        backing.set(everyByteValue(), 100);
        const frames: Frame[] = [
          new Uint8Array(backing.buffer, 100, 256),
          everyByteValue().subarray(17, 200),
          new Uint8Array(backing.buffer, 4000, 0),
          pseudoRandomBytes(300).subarray(1, 299),
        ];
        if (NodeBuffer !== undefined) {
          frames.push(
            NodeBuffer.from('a pooled Buffer: a view at some byteOffset into an 8 KiB pool'),
            NodeBuffer.from(pseudoRandomBytes(300)).subarray(1),
          );
        }
        await expectBothWays(h, await h.pair(), frames);
      },
    );

    h.test(
      {
        id: 'T-BINARY-02',
        level: 'MUST',
        title:
          'bytes the caller changes once send() / sendMany() / sendPrepared() returned, or once prepare() returned, do not change what arrives',
        requires: 'binary',
      },
      async () => {
        const p = await h.pair();
        const original = pseudoRandomBytes(4096, 99);
        const copy = (): Uint8Array => original.slice();

        const viaClient = copy();
        expect(p.client.send(viaClient), 'client send() result').to.equal(true);
        viaClient.fill(0);

        const downstream: [string, () => boolean][] = [
          [
            'server send(), bytes changed after it returned',
            () => {
              const bytes = copy();
              const sent = p.server.send(p.connection, bytes);
              bytes.fill(0);
              return sent;
            },
          ],
          [
            'sendMany(), bytes changed after it returned',
            () => {
              const bytes = copy();
              const sent = p.server.sendMany([p.connection], bytes) === 1;
              bytes.fill(0);
              return sent;
            },
          ],
          [
            'sendPrepared(), bytes changed after it returned',
            () => {
              const bytes = copy();
              const sent = p.server.sendPrepared(p.connection, p.server.prepare(bytes));
              bytes.fill(0);
              return sent;
            },
          ],
          [
            'sendPrepared(), bytes changed after prepare() returned and before sending (prepare() takes a snapshot)',
            () => {
              const bytes = copy();
              const prepared = p.server.prepare(bytes);
              bytes.fill(0);
              return p.server.sendPrepared(p.connection, prepared);
            },
          ],
        ];
        for (const [what, send] of downstream) {
          expect(send(), `result of ${what}`).to.equal(true);
        }

        await waitUntil(
          () =>
            p.log.messagesFrom(p.connection).length >= 1 &&
            p.events.messages.length >= downstream.length,
          h.wait,
        );
        await delay(h.quiet);
        expectNoDifference(
          sequenceDifference(p.log.messagesFrom(p.connection), [original]),
          'client → server, bytes changed after client send() returned',
        );
        downstream.forEach(([what], i) =>
          expectNoDifference(
            frameDifference(p.events.messages[i], original),
            `server → client, frame ${i}: ${what}`,
          ),
        );
        expect(p.events.messages.length, 'server → client: number of frames').to.equal(
          downstream.length,
        );
      },
    );

    h.test(
      {
        id: 'T-BINARY-03',
        level: 'MUST',
        title:
          'binary frames whose bytes are valid UTF-8 text or JSON arrive as Uint8Array, never as text, both ways',
        requires: 'binary',
      },
      async () => {
        const encoder = new TextEncoder();
        const texts = ['hello', 'null', '{"a":1}', '["x"]', '"s"', '42', 'true', ''];
        await expectBothWays(
          h,
          await h.pair(),
          texts.map((text) => encoder.encode(text)),
        );
      },
    );

    h.test(
      {
        id: 'T-BINARY-04',
        level: 'MUST',
        title:
          '200 text and binary frames, interleaved, keep their order and their kinds both ways',
        requires: 'binary',
      },
      async () => {
        const frames: Frame[] = [];
        for (let i = 0; i < 100; i++) frames.push(`t${i}`, Uint8Array.of(i, 255 - i));
        await expectBothWays(h, await h.pair(), frames);
      },
    );

    h.test(
      {
        id: 'T-BINARY-05',
        level: 'MUST',
        title:
          'a received binary frame belongs to the receiver: frames that arrive after it never change its bytes, both ways',
        requires: 'binary',
      },
      async () => {
        const p = await h.pair();
        // Sizes that fit into, and outgrow, a reused receive buffer; the second round has the same
        // sizes and other bytes, so a buffer reused for it overwrites the first round's frames.
        const sizes = [4, 5, 1, 100_000, 2];
        const first = sizes.map((size, i) => pseudoRandomBytes(size, 1 + i));
        const second = sizes.map((size, i) => pseudoRandomBytes(size, 101 + i));
        for (const [round, frames] of [
          [1, first],
          [2, second],
        ] as const) {
          for (const frame of frames) {
            expect(p.client.send(frame), `client send() result, round ${round}`).to.equal(true);
            expect(
              p.server.send(p.connection, frame),
              `server send() result, round ${round}`,
            ).to.equal(true);
          }
          const n = round * sizes.length;
          await waitUntil(
            () => p.log.messagesFrom(p.connection).length >= n && p.events.messages.length >= n,
            h.wait,
          );
        }
        await delay(h.quiet);
        const all = [...first, ...second];
        expectNoDifference(
          sequenceDifference(p.log.messagesFrom(p.connection), all),
          'client → server, frames the server kept',
        );
        expectNoDifference(
          sequenceDifference(p.events.messages, all),
          'server → client, frames the client kept',
        );
      },
    );
  });
}
