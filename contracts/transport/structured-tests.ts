import { expect } from '../assert.js';
import type { AnyFrame, StructuredFrame } from '../../src/index.js';
import { delay, expectNoDifference, sequenceDifference, waitFor, waitUntil } from '../helpers.js';
import type { TransportHarness } from '../transport-harness.js';
import { expectBothWays, expectPreparedDelivery, expectSendManyDelivery } from './delivery.js';

/** Structured frames alternating with text frames in the ordering test. */
const INTERLEAVED = 50;

/**
 * One frame with every kind of JSON value nested in objects and arrays: what a transport that
 * re-encodes, flattens, normalises or parses strings gets wrong somewhere.
 */
const NESTED: StructuredFrame = [
  'nested',
  {
    text: '👋🏽 漢字 e\u0301 مرحبا “quotes” \\ \n\t',
    json: '{"looks":["like",1,"json"]}',
    list: [1, [2, [3, []]], [], {}],
    nothing: null,
    flags: [true, false],
    numbers: [0, -1, -0.5, 3.25, 1e-7, -123456789.125, Number.MAX_SAFE_INTEGER],
    '': 'an empty key',
    'key with spaces and ✓': { deeper: { still: [null, 'x'] } },
  },
  [['a', ['b']], [[[]]]],
  null,
  -42.75,
  false,
  '[1,2,3]',
  'null',
  '',
];

/**
 * Registers the tests of structured frames (JSON arrays carried as values, `supports.structured`)
 * and, for every transport, of the port refusing them where the manifest does not declare them.
 */
export function describeStructuredTests(h: TransportHarness): void {
  h.group('structured frames', () => {
    h.test(
      {
        id: 'T-STRUCT-01',
        level: 'MUST',
        title: 'structured frames arrive as equal arrays both ways, never as text',
        requires: 'structured',
      },
      async () => {
        await expectBothWays(h, await h.pair(), [
          ['chat', { room: 'lobby', text: 'hello', n: 1 }],
          ['ack', 7, true, null],
          ['x', 'y', 'z'],
        ]);
      },
    );

    h.test(
      {
        id: 'T-STRUCT-02',
        level: 'MUST',
        title:
          'sendMany() delivers one structured frame once to each listed open connection, and to no other',
        requires: 'structured',
      },
      async () => {
        await expectSendManyDelivery(h, ['to some', { text: '漢字 👋🏽', n: 2 }, null]);
      },
    );

    h.test(
      {
        id: 'T-STRUCT-03',
        level: 'MUST',
        title: 'prepare() + sendPrepared() deliver one structured frame intact to every connection',
        requires: 'structured',
      },
      async () => {
        await expectPreparedDelivery(h, ['to everyone', { text: '漢字 👋🏽', n: 3 }, false]);
      },
    );

    h.test(
      {
        id: 'T-STRUCT-04',
        level: 'MUST',
        title: `${INTERLEAVED} structured frames interleaved with text frames (and binary, where supported) keep their order and their kinds both ways`,
        requires: 'structured',
      },
      async () => {
        const frames: AnyFrame[] = [];
        for (let i = 0; i < INTERLEAVED; i++) {
          frames.push(`text ${i}`, ['seq', i, { i }]);
          if (h.options.supports.binary) frames.push(Uint8Array.of(i, 0xff - i));
        }
        await expectBothWays(h, await h.pair(), frames);
      },
    );

    h.test(
      {
        id: 'T-STRUCT-05',
        level: 'MUST',
        title: `a one-element array ['x'] and the text frame 'x' stay distinct both ways, as do '["x"]' and ['["x"]']`,
        requires: 'structured',
      },
      async () => {
        await expectBothWays(h, await h.pair(), ['x', ['x'], '["x"]', ['["x"]'], 'null', [null]]);
      },
    );

    h.test(
      {
        id: 'T-STRUCT-06',
        level: 'MUST',
        title: 'an empty array arrives as an empty array both ways',
        requires: 'structured',
      },
      async () => {
        await expectBothWays(h, await h.pair(), [[], 'after-empty', [], '']);
      },
    );

    h.test(
      {
        id: 'T-STRUCT-07',
        level: 'MUST',
        title:
          'a structured frame of 100,000 elements arrives intact both ways, also through sendMany()',
        requires: 'structured',
      },
      async () => {
        const long: StructuredFrame = Array.from({ length: 100_000 }, (_, i) =>
          i % 3 === 0 ? i : i % 3 === 1 ? `s${i}` : null,
        );
        await expectBothWays(h, await h.pair(), [long, ['short']]);
        await expectSendManyDelivery(h, long);
      },
    );

    h.test(
      {
        id: 'T-STRUCT-08',
        level: 'MUST',
        title:
          'values arrive as JSON carries them: a Date as its ISO string, a Map as {}, undefined in an array as null',
        requires: 'structured',
      },
      async () => {
        const p = await h.pair();
        const sent: StructuredFrame = ['json', new Date(0), new Map([[1, 2]]), [undefined, 1]];
        const expected: StructuredFrame = ['json', '1970-01-01T00:00:00.000Z', {}, [null, 1]];
        expect(p.client.send(sent), 'client send() result').to.equal(true);
        expect(p.server.send(p.connection, sent), 'server send() result').to.equal(true);
        await waitUntil(
          () => p.log.messagesFrom(p.connection).length >= 1 && p.events.messages.length >= 1,
          h.wait,
        );
        expectNoDifference(
          sequenceDifference(p.log.messagesFrom(p.connection), [expected]),
          'client → server',
        );
        expectNoDifference(sequenceDifference(p.events.messages, [expected]), 'server → client');
      },
    );

    h.test(
      {
        id: 'T-STRUCT-09',
        level: 'MUST',
        title:
          'nested values survive both ways: objects, nested arrays, unicode strings, null, booleans, negative and fractional numbers, JSON-looking strings',
        requires: 'structured',
      },
      async () => {
        await expectBothWays(h, await h.pair(), [NESTED]);
      },
    );

    h.test(
      {
        id: 'T-STRUCT-10',
        level: 'MUST',
        title:
          'server send/sendMany/prepare and client send throw TypeError for an array frame, and nothing reaches the peer, unless the manifest declares structured (then each delivers the array)',
      },
      async () => {
        const p = await h.pair();
        if (!h.options.supports.structured) {
          const frame: StructuredFrame = ['refused', { n: 1 }];
          for (const [call, send] of [
            ['server.send(conn, array)', () => p.server.send(p.connection, frame)],
            ['server.sendMany([conn], array)', () => p.server.sendMany([p.connection], frame)],
            ['server.prepare(array)', () => p.server.prepare(frame)],
            ['client.send(array)', () => p.client.send(frame)],
          ] as const) {
            expect(send, call).to.throw(TypeError);
          }
          // A text frame sent after the refused ones arrives first and alone: on an ordered
          // transport, anything the refused calls had handed over would have arrived before it.
          expect(p.client.send('after'), 'client send() of text afterwards').to.equal(true);
          expect(p.server.send(p.connection, 'after'), 'server send() of text afterwards').to.equal(
            true,
          );
          await waitFor(
            () => p.log.messagesFrom(p.connection).length >= 1 && p.events.messages.length >= 1,
            h.wait,
            'the text frames sent after the refused ones',
          );
          await delay(h.quiet);
          expectNoDifference(
            sequenceDifference(p.log.messagesFrom(p.connection), ['after']),
            'frames at the server',
          );
          expectNoDifference(
            sequenceDifference(p.events.messages, ['after']),
            'frames at the client',
          );
          expect(p.server.isClientConnected(p.connection), 'isClientConnected').to.equal(true);
          expect(p.client.isOpen, 'client.isOpen').to.equal(true);
          return;
        }
        // Declared: the same calls are accepted, and each path delivers its own array as an array.
        const results: Record<string, unknown> = {};
        for (const [call, send] of [
          ['server.send(conn, array)', () => p.server.send(p.connection, ['via send'])],
          [
            'server.sendMany([conn], array)',
            () => p.server.sendMany([p.connection], ['via sendMany']),
          ],
          [
            'server.sendPrepared(conn, server.prepare(array))',
            () => p.server.sendPrepared(p.connection, p.server.prepare(['via prepare'])),
          ],
          ['client.send(array)', () => p.client.send(['via client send'])],
        ] as const) {
          expect(() => (results[call] = send()), call).not.to.throw();
        }
        expect(results, 'results of the calls').to.deep.equal({
          'server.send(conn, array)': true,
          'server.sendMany([conn], array)': 1,
          'server.sendPrepared(conn, server.prepare(array))': true,
          'client.send(array)': true,
        });
        await waitFor(
          () => p.log.messagesFrom(p.connection).length >= 1 && p.events.messages.length >= 3,
          h.wait,
          'the array frames',
        );
        await delay(h.quiet);
        expectNoDifference(
          sequenceDifference(p.log.messagesFrom(p.connection), [['via client send']]),
          'frames at the server',
        );
        expectNoDifference(
          sequenceDifference(p.events.messages, [['via send'], ['via sendMany'], ['via prepare']]),
          'frames at the client',
        );
      },
    );

    h.test(
      {
        id: 'T-STRUCT-11',
        level: 'SHOULD',
        title:
          'numbers JSON cannot carry arrive as JSON carries them, both ways: NaN and ±Infinity as null, -0 as 0',
        requires: 'structured',
      },
      async () => {
        const p = await h.pair();
        const sent: StructuredFrame = [NaN, Infinity, -Infinity, -0, 'x'];
        const asJson: StructuredFrame = [null, null, null, 0, 'x'];
        expect(p.client.send(sent), 'client send() result').to.equal(true);
        expect(p.server.send(p.connection, sent), 'server send() result').to.equal(true);
        await waitUntil(
          () => p.log.messagesFrom(p.connection).length >= 1 && p.events.messages.length >= 1,
          h.wait,
        );
        await delay(h.quiet);
        const arrived: [string, AnyFrame[]][] = [
          ['client → server', p.log.messagesFrom(p.connection)],
          ['server → client', p.events.messages],
        ];
        for (const [where, frames] of arrived) {
          expectNoDifference(
            sequenceDifference(frames, [asJson]),
            `${where}, [NaN, Infinity, -Infinity, -0, 'x'] as JSON carries it`,
          );
          // jsonDifference takes -0 for 0: check the sign apart.
          const zero = (frames[0] as unknown[])[3];
          expect(Object.is(zero, -0), `${where}: element 3 (sent as -0) is -0`).to.equal(false);
        }
      },
    );
  });
}
