import type { BackplanePacket } from '../../src/index.js';
import { expect } from '../assert.js';
import {
  everyByteValue,
  expectNoDifference,
  mixedUtf8Text,
  printableAscii,
  pseudoRandomBytes,
} from '../helpers.js';
import { packetDifference } from './equality.js';
import type { BackplaneHarness, ClusterNode } from './harness.js';

/** `bytes` as a view in the middle of a larger buffer, as Node's pooled Buffers are. */
function offsetView(bytes: Uint8Array): Uint8Array {
  const backing = new Uint8Array(bytes.byteLength + 32).fill(0xee);
  backing.set(bytes, 16);
  return backing.subarray(16, 16 + bytes.byteLength);
}

/**
 * Registers the tests of what a packet carries: each receiver gets a packet equal to the one
 * published (`BackplanePacket`'s definition of equal), whatever its content and size.
 */
export function describePacketTests(h: BackplaneHarness): void {
  /**
   * Publishes every packet from a to all nodes, then sends each directly to b, and checks that b
   * and c get every one, equal, in order. The two paths are checked one after the other, so that
   * only B-ORDER-01 depends on their relative order.
   */
  async function roundTrip(packets: readonly BackplanePacket[], what: string): Promise<void> {
    const [a, b, c] = await h.open(3);
    const check = (node: ClusterNode, path: string, from: number): void => {
      packets.forEach((packet, i) => {
        expectNoDifference(
          packetDifference(node.log.received[from + i]?.packet, packet),
          `${what} #${i} by ${path}() at ${node.id}`,
        );
      });
    };
    for (const packet of packets) a.backplane.publish(packet);
    await h.until(
      () => b.log.received.length >= packets.length && c.log.received.length >= packets.length,
      `${what} at both receivers`,
    );
    check(b, 'publish', 0);
    check(c, 'publish', 0);
    for (const packet of packets) a.backplane.publishTo(b.id, packet);
    await h.until(() => b.log.received.length >= 2 * packets.length, `${what} sent to b alone`);
    check(b, 'publishTo', packets.length);
  }

  h.group('packet content', () => {
    h.test(
      {
        id: 'B-PACKET-01',
        level: 'MUST',
        title: 'a packet with only a kind arrives with that kind (1 to 64 characters, any Unicode)',
      },
      () =>
        roundTrip(
          [{ kind: 'k' }, { kind: 'x'.repeat(64) }, { kind: 'présence 漢 👋' }],
          'a packet with only a kind',
        ),
    );

    h.test(
      {
        id: 'B-PACKET-02',
        level: 'MUST',
        title: 'a string frame arrives as the same string (empty, Unicode, NUL, CRLF, U+2028, BOM)',
      },
      () =>
        roundTrip(
          [
            { kind: 'text', frame: '' },
            { kind: 'text', frame: '{"t":"msg","d":{"text":"hi"}}' },
            { kind: 'text', frame: `\ufeffa\u0000b\r\nc\u2028d\u2029é漢👋` },
            { kind: 'text', frame: mixedUtf8Text(10_000) },
          ],
          'a string frame',
        ),
    );

    h.test(
      {
        id: 'B-PACKET-03',
        level: 'MUST',
        title:
          'a Uint8Array frame arrives as a Uint8Array with the same bytes (every byte value, a view into a larger buffer, empty)',
      },
      () =>
        roundTrip(
          [
            { kind: 'bytes', frame: everyByteValue() },
            { kind: 'bytes', frame: offsetView(pseudoRandomBytes(4096)) },
            { kind: 'bytes', frame: new Uint8Array(0) },
          ],
          'a bytes frame',
        ),
    );

    h.test(
      {
        id: 'B-PACKET-04',
        level: 'MUST',
        title:
          'data arrives as the same JSON value (nesting, Unicode keys, numbers, booleans, null, empty containers)',
      },
      () =>
        roundTrip(
          [
            {
              kind: 'json',
              data: {
                text: 'é 漢 👋 "quoted" \\ \n',
                numbers: [0, 1, -1, 0.5, -1e-7, 1e21, Number.MAX_SAFE_INTEGER, -2147483649],
                flags: [true, false],
                nothing: null,
                empty: { object: {}, array: [], string: '' },
                nested: { a: [{ b: [{ c: [[[1]]] }] }] },
                'key with spaces': 1,
                'ключ 漢': { '': 'empty key' },
                // Looks like a serializer's own markers: must arrive as the same plain data.
                tagged: [
                  { type: 'Buffer', data: [1, 2, 3] },
                  { $binary: 'AAE=' },
                  { __proto: 1, constructor: 'x' },
                ],
              },
            },
            { kind: 'json', data: 'a string' },
            { kind: 'json', data: 42 },
            { kind: 'json', data: false },
            { kind: 'json', data: null },
            { kind: 'json', data: [1, 'two', [3], { four: 4 }] },
          ],
          'a packet with JSON data',
        ),
    );

    h.test(
      {
        id: 'B-PACKET-05',
        level: 'MUST',
        title:
          'Uint8Arrays anywhere in data arrive as Uint8Arrays with the same bytes (top level, in objects and arrays, nested, empty, a view)',
      },
      () =>
        roundTrip(
          [
            { kind: 'bin', data: everyByteValue() },
            {
              kind: 'bin',
              data: {
                blob: pseudoRandomBytes(300, 1),
                list: [new Uint8Array([1, 2, 3]), 'text', new Uint8Array(0)],
                deep: { a: [{ b: offsetView(pseudoRandomBytes(64, 2)) }] },
                // Bytes that are valid UTF-8 JSON, and text that is not bytes.
                json: new TextEncoder().encode('{"a":[1]}'),
                notBytes: { 0: 1, 1: 2, length: 2 },
              },
              frame: pseudoRandomBytes(100, 3),
            },
          ],
          'a packet with bytes in its data',
        ),
    );

    h.test(
      {
        id: 'B-PACKET-06',
        level: 'MUST',
        title: 'keys whose value is undefined are dropped or kept, without breaking the packet',
      },
      () =>
        roundTrip(
          [
            {
              kind: 'sparse',
              data: { a: 1, b: undefined, nested: { c: undefined, d: [{ e: undefined, f: 2 }] } },
              frame: undefined,
            },
          ],
          'a packet with undefined values',
        ),
    );

    h.test(
      {
        id: 'B-PACKET-07',
        level: 'MUST',
        title: 'a packet of 256 KiB (text and bytes in data, a bytes frame) arrives equal',
      },
      () =>
        roundTrip(
          [
            {
              kind: 'large',
              data: {
                text: mixedUtf8Text(96 * 1024),
                ascii: printableAscii(32 * 1024),
                bytes: pseudoRandomBytes(64 * 1024, 4),
              },
              frame: pseudoRandomBytes(64 * 1024, 5),
            },
          ],
          'a 256 KiB packet',
        ),
    );

    h.test(
      {
        id: 'B-PACKET-08',
        level: 'SHOULD',
        title:
          'a packet is taken as it was when publish() returned: changing it afterwards changes nothing that arrives',
      },
      async () => {
        const [a, b] = await h.open(2);
        const frame = new Uint8Array([1, 2, 3]);
        const data = { list: [1, 2], nested: { n: 1 } };
        a.backplane.publish({ kind: 'before', data, frame });
        frame[0] = 99;
        data.list.push(3);
        data.nested.n = 2;
        await h.until(() => b.log.has('before'), 'the packet');
        expectNoDifference(
          packetDifference(b.log.received[0]?.packet, {
            kind: 'before',
            data: { list: [1, 2], nested: { n: 1 } },
            frame: new Uint8Array([1, 2, 3]),
          }),
          'the packet changed after publish()',
        );
        expect(b.log.received, 'packets at b').to.have.length(1);
      },
    );

    h.test(
      {
        id: 'B-PACKET-09',
        level: 'MUST',
        title:
          'a "__proto__" key in data (as JSON.parse makes it) arrives as an own key with the same value, at the top and nested, changing no prototype',
      },
      async () => {
        const packets: BackplanePacket[] = [
          { kind: 'proto', data: JSON.parse('{"__proto__":{"x":1},"y":2}') as unknown },
          {
            kind: 'proto',
            data: JSON.parse(
              '{"list":[{"__proto__":[1,"two"]}],"deep":{"a":{"__proto__":null,"b":"c"}},"s":{"__proto__":"text"}}',
            ) as unknown,
          },
        ];
        await roundTrip(packets, 'a packet with a "__proto__" key in its data');
        const probe: Record<string, unknown> = {};
        expect(probe.x, 'Object.prototype.x after the packets arrived').to.equal(undefined);
      },
    );
  });
}
