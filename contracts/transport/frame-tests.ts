import { expect } from '../assert.js';
import type { Frame } from '../../src/index.js';
import {
  delay,
  everyByteValue,
  expectNoDifference,
  printableAscii,
  pseudoRandomBytes,
  sequenceDifference,
  waitUntil,
} from '../helpers.js';
import type { TransportHarness } from '../transport-harness.js';
import { expectBothWays, expectPreparedDelivery, expectSendManyDelivery } from './delivery.js';

const MANY = 1000;
const MIB = 1024 * 1024;

/** Text that a transport mangling UTF-8 (latin1, NFC normalisation, lost surrogates) gets wrong. */
const NON_ASCII = [
  '👋🏽', // an emoji with a skin-tone modifier: two surrogate pairs
  '漢字', // CJK: three UTF-8 bytes per character
  'e\u0301 a\u0308 n\u0303', // combining marks, deliberately not NFC-normalised
  'Grüße, “quotes”, — and ✓',
  'مرحبا بالعالم', // right-to-left script
];

/**
 * Registers the tests of frame delivery: order and completeness, text fidelity, binary fidelity,
 * prepared frames and isolation between concurrent clients.
 */
export function describeFrameTests(h: TransportHarness): void {
  h.group('frames', () => {
    h.test(
      {
        id: 'T-FRAME-01',
        level: 'MUST',
        title: `${MANY.toLocaleString('en-US')} text frames arrive complete and in order from client to server`,
      },
      async () => {
        const p = await h.pair();
        const frames = numbered('c', MANY);
        const refused = frames.filter((frame) => !p.client.send(frame));
        expect(refused, 'frames send() refused').to.deep.equal([]);
        await waitUntil(() => p.log.messagesFrom(p.connection).length >= MANY, h.wait);
        await delay(h.quiet);
        expectNoDifference(
          sequenceDifference(p.log.messagesFrom(p.connection), frames),
          'frames at the server',
        );
      },
    );

    h.test(
      {
        id: 'T-FRAME-02',
        level: 'MUST',
        title: `${MANY.toLocaleString('en-US')} text frames arrive complete and in order from server to client`,
      },
      async () => {
        const p = await h.pair();
        const frames = numbered('s', MANY);
        const refused = frames.filter((frame) => !p.server.send(p.connection, frame));
        expect(refused, 'frames send() refused').to.deep.equal([]);
        await waitUntil(() => p.events.messages.length >= MANY, h.wait);
        await delay(h.quiet);
        expectNoDifference(sequenceDifference(p.events.messages, frames), 'frames at the client');
      },
    );

    h.test(
      {
        id: 'T-FRAME-03',
        level: 'MUST',
        title: 'an empty string arrives as an empty string frame both ways',
      },
      async () => {
        await expectBothWays(h, await h.pair(), ['', 'after-empty']);
      },
    );

    h.test(
      {
        id: 'T-FRAME-04',
        level: 'MUST',
        title: 'non-ASCII text (emoji 👋🏽, CJK 漢字, combining marks) arrives intact both ways',
      },
      async () => {
        await expectBothWays(h, await h.pair(), NON_ASCII);
      },
    );

    h.test(
      {
        id: 'T-FRAME-05',
        level: 'MUST',
        title: 'a 1 MiB text frame arrives intact, as a string, both ways',
      },
      async () => {
        // Printable ASCII from a fixed seed, so a truncated, reordered or re-chunked frame differs.
        await expectBothWays(h, await h.pair(), [printableAscii(MIB, 0x1badb002)]);
      },
    );

    h.test(
      {
        id: 'T-FRAME-06',
        level: 'MUST',
        title:
          'binary frames (all 256 byte values, 64 KiB random) arrive intact as Uint8Array both ways',
        requires: 'binary',
      },
      async () => {
        await expectBothWays(h, await h.pair(), [
          everyByteValue(),
          pseudoRandomBytes(64 * 1024),
          new Uint8Array(0),
        ]);
      },
    );

    h.test(
      {
        id: 'T-FRAME-07',
        level: 'MUST',
        title: 'prepare() + sendPrepared() deliver one text frame intact to every connection',
      },
      async () => {
        await expectPreparedDelivery(h, 'to everyone: 漢字 👋🏽');
      },
    );

    h.test(
      {
        id: 'T-FRAME-08',
        level: 'MUST',
        title: 'prepare() + sendPrepared() deliver one binary frame intact to every connection',
        requires: 'binary',
      },
      async () => {
        await expectPreparedDelivery(h, everyByteValue());
      },
    );

    h.test(
      {
        id: 'T-FRAME-09',
        level: 'MUST',
        title:
          'sendMany() delivers one text frame once to each listed open connection, and to no other',
      },
      async () => {
        await expectSendManyDelivery(h, 'to some: 漢字 👋🏽');
      },
    );

    h.test(
      {
        id: 'T-FRAME-10',
        level: 'MUST',
        title:
          'sendMany() delivers one binary frame once to each listed open connection, and to no other',
        requires: 'binary',
      },
      async () => {
        await expectSendManyDelivery(h, everyByteValue());
      },
    );

    h.test(
      {
        id: 'T-FRAME-11',
        level: 'MUST',
        title: '50 concurrent clients stay isolated: each receives only its own echoes, in order',
      },
      async () => {
        const l = await h.listen();
        l.server.on('message', (connection, frame) => void l.server.send(connection, frame));
        const clients = await Promise.all(
          Array.from({ length: 50 }, async (_, id) => {
            const client = await h.createClient();
            const messages: Frame[] = [];
            client.on('message', (frame) => void messages.push(frame));
            await client.connect(h.connectOptions(l.address));
            return { id, client, messages, expected: numbered(`client ${id}`, 20) };
          }),
        );
        // Interleaved, so that frames of different clients are in flight together.
        for (let i = 0; i < 20; i++) for (const c of clients) c.client.send(c.expected[i]);
        await waitUntil(() => clients.every((c) => c.messages.length >= 20), h.wait);
        await delay(h.quiet);
        for (const c of clients) {
          expectNoDifference(
            sequenceDifference(c.messages, c.expected),
            `echoes at client ${c.id}`,
          );
        }
      },
    );

    h.test(
      {
        id: 'T-FRAME-12',
        level: 'MUST',
        title:
          'sendMany() to a few (1 of 6), most (5 of 6) and all 6 connections reaches exactly the listed ones, once each',
      },
      async () => {
        const l = await h.listen();
        const peers = await h.connectClients(l, 6);
        const cases = [[0], [0, 1, 2, 3, 4], [0, 1, 2, 3, 4, 5]];
        cases.forEach((listed, n) => {
          expect(
            l.server.sendMany(
              listed.map((i) => peers[i].connection),
              `case ${n}`,
            ),
            `sendMany() result for connections [${listed.join(', ')}]`,
          ).to.equal(listed.length);
        });
        const want = peers.map((_, i) =>
          cases.flatMap((listed, n) => (listed.includes(i) ? [`case ${n}`] : [])),
        );
        await waitUntil(
          () => peers.every((peer, i) => peer.events.messages.length >= want[i].length),
          h.wait,
        );
        await delay(h.quiet);
        peers.forEach((peer, i) =>
          expectNoDifference(
            sequenceDifference(peer.events.messages, want[i]),
            `frames at client ${i} (listed in ${want[i].join(', ')})`,
          ),
        );
      },
    );

    h.test(
      {
        id: 'T-FRAME-13',
        level: 'MUST',
        title:
          'frames to one connection through send(), sendMany() and sendPrepared() in turn arrive in call order',
      },
      async () => {
        const l = await h.listen();
        const [a, b] = await h.connectClients(l, 2);
        const frames = numbered('#', 100);
        frames.forEach((frame, i) => {
          if (i % 3 === 0) l.server.send(a.connection, frame);
          else if (i % 3 === 1) l.server.sendMany([a.connection, b.connection], frame);
          else l.server.sendPrepared(a.connection, l.server.prepare(frame));
        });
        await waitUntil(() => a.events.messages.length >= frames.length, h.wait);
        await delay(h.quiet);
        expectNoDifference(
          sequenceDifference(a.events.messages, frames),
          'frames at the client, sent by send(), sendMany() and sendPrepared() in turn',
        );
      },
    );
  });
}

function numbered(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix} ${i}`);
}
