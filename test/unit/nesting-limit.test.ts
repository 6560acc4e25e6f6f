import { expect } from 'chai';
import {
  CompactCodec,
  JsonCodec,
  parseClientEnvelope,
  parseServerEnvelope,
  PlugSocketError,
  type Codec,
} from '../../src/index.js';
import { MAX_NESTING_DEPTH, messageEnvelope } from '../../src/protocol/envelope.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const TOO_DEEP = `frame nests deeper than ${MAX_NESTING_DEPTH} levels`;

/** `inner` in `levels` arrays. */
function inArrays(levels: number, inner: unknown): unknown {
  let value = inner;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

/** `inner` in `levels` objects `{ a: … }`. */
function inObjects(levels: number, inner: unknown): unknown {
  let value = inner;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

/** A payload that makes a `msg` frame nest `depth` levels in all (the envelope is one). */
const payloadFor = (depth: number, shape: 'arrays' | 'objects' | 'mixed'): unknown =>
  shape === 'arrays'
    ? inArrays(depth - 1, 0)
    : shape === 'objects'
      ? inObjects(depth - 1, 'x')
      : inArrays(Math.floor((depth - 1) / 2), inObjects(Math.ceil((depth - 1) / 2), true));

/** The depth of a JSON value (a scalar is 0), without recursion. */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (typeof item !== 'object' || item === null) continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

const CODECS: [string, () => Codec][] = [
  ['JsonCodec', () => new JsonCodec()],
  ['CompactCodec', () => new CompactCodec()],
  ['CompactCodec bounded by maxBytes', () => new CompactCodec({ maxBytes: 1024 * 1024 })],
];

describe('nesting limit', () => {
  it('is 128 levels, the envelope included (test premise: the frames below nest as named)', () => {
    expect(MAX_NESTING_DEPTH).to.equal(128);
    for (const shape of ['arrays', 'objects', 'mixed'] as const) {
      const envelope = { k: 'msg', type: 't', payload: payloadFor(128, shape) };
      expect(depthOf(envelope), shape).to.equal(128);
      expect(depthOf(new CompactCodec().encode(envelope)), shape).to.equal(128);
      expect(depthOf({ ...envelope, payload: payloadFor(129, shape) }), shape).to.equal(129);
    }
  });

  for (const [name, make] of CODECS) {
    describe(name, () => {
      const codec = make();

      for (const shape of ['arrays', 'objects', 'mixed'] as const) {
        const at = { k: 'msg', type: 't', payload: payloadFor(128, shape) };
        const over = { k: 'msg', type: 't', payload: payloadFor(129, shape) };

        it(`reads a text frame of ${shape} at 128 levels, and refuses 129 with INVALID_MESSAGE`, () => {
          expect(codec.decode(JSON.stringify(at))).to.deep.equal(at);
          expect(() => codec.decode(JSON.stringify(over)))
            .to.throw(PlugSocketError, TOO_DEEP)
            .with.property('code', 'INVALID_MESSAGE');
        });

        it(`reads a binary frame of ${shape} at 128 levels, and refuses 129 with INVALID_MESSAGE`, () => {
          expect(codec.decode(utf8(JSON.stringify(at)))).to.deep.equal(at);
          expect(() => codec.decode(utf8(JSON.stringify(over))))
            .to.throw(PlugSocketError, TOO_DEEP)
            .with.property('code', 'INVALID_MESSAGE');
        });

        it(`reads a structured frame of ${shape} at 128 levels, and refuses 129 with INVALID_MESSAGE`, () => {
          const compact = new CompactCodec();
          expect(codec.decode(compact.encode(at))).to.deep.equal(at);
          // A frame the transport delivered through JSON, as Socket.IO does.
          const viaJson = JSON.parse(JSON.stringify(compact.encode(at))) as unknown[];
          expect(codec.decode(viaJson)).to.deep.equal(at);
          expect(() => codec.decode(compact.encode(over)))
            .to.throw(PlugSocketError, TOO_DEEP)
            .with.property('code', 'INVALID_MESSAGE');
        });
      }

      it('counts depth in headers, results and errors too', () => {
        const deepHeaders = { k: 'msg', type: 't', headers: { h: inArrays(127, 0) } };
        const deepResult = { k: 'ack', id: 1, result: inObjects(128, 0) };
        for (const envelope of [deepHeaders, deepResult]) {
          expect(() => codec.decode(JSON.stringify(envelope))).to.throw(PlugSocketError, TOO_DEEP);
          expect(() => codec.decode(new CompactCodec().encode(envelope))).to.throw(
            PlugSocketError,
            TOO_DEEP,
          );
        }
      });

      it('refuses on the path that also checks prototype keys (text with \\u escapes)', () => {
        const at = `{"k":"msg","type":"\\u0074","payload":${'['.repeat(127)}0${']'.repeat(127)}}`;
        expect(codec.decode(at)).to.have.property('type', 't');
        const over = `{"k":"msg","type":"\\u0074","payload":${'['.repeat(128)}0${']'.repeat(128)}}`;
        expect(() => codec.decode(over)).to.throw(PlugSocketError, TOO_DEEP);
      });

      it('reads the shortest text at the limit (256 characters) and refuses the shortest over it (258)', () => {
        // 128 levels in 256 characters: the shortest text of that depth, read without a walk.
        expect(depthOf(codec.decode(`${'['.repeat(128)}${']'.repeat(128)}`))).to.equal(128);
        // 129 levels take at least 258 characters: always walked, always refused.
        expect(() => codec.decode(`${'['.repeat(129)}${']'.repeat(129)}`)).to.throw(
          PlugSocketError,
          TOO_DEEP,
        );
      });

      it('finds the depth behind a number, a string or an object in an array', () => {
        for (const head of [1, 2.5, 'x', { a: 1 }, null]) {
          const at = { k: 'msg', type: 't', payload: [head, inArrays(126, 0)] };
          expect(codec.decode(JSON.stringify(at))).to.deep.equal(at);
          const over = { k: 'msg', type: 't', payload: [head, inArrays(127, 0)] };
          expect(() => codec.decode(JSON.stringify(over)), JSON.stringify(head)).to.throw(
            PlugSocketError,
            TOO_DEEP,
          );
        }
      });

      it('walks no text with 128 opening brackets or fewer, however long', () => {
        const flat = { k: 'msg', type: 't', payload: new Array<number>(50_000).fill(1.5) };
        expect(codec.decode(JSON.stringify(flat))).to.deep.equal(flat);
        // 129 openings but shallow: walked, and accepted.
        const wide = { k: 'msg', type: 't', payload: new Array<unknown>(200).fill([1]) };
        expect(codec.decode(JSON.stringify(wide))).to.deep.equal(wide);
      });

      it('does not count brackets inside strings', () => {
        const text = JSON.stringify({ k: 'msg', type: 't', payload: '[{'.repeat(1_000) });
        expect(codec.decode(text)).to.have.property('payload', '[{'.repeat(1_000));
      });

      it('refuses 100,000 levels without overflowing the stack, in every form', () => {
        const text = `{"k":"msg","type":"t","payload":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
        expect(() => codec.decode(text)).to.throw(PlugSocketError, TOO_DEEP);
        expect(() => codec.decode(utf8(text))).to.throw(PlugSocketError, TOO_DEEP);
        expect(() => codec.decode(['t', inArrays(100_000, 0)])).to.throw(PlugSocketError, TOO_DEEP);
      });
    });
  }

  describe('what decodes under the limit encodes again', () => {
    const senders: [string, Codec][] = [
      ['JsonCodec', new JsonCodec()],
      ['CompactCodec', new CompactCodec()],
    ];
    for (const shape of ['arrays', 'objects', 'mixed'] as const) {
      it(`relays a frame of ${shape} at exactly 128 levels through both codecs, unchanged`, () => {
        const received = { k: 'msg', type: 'say', payload: payloadFor(128, shape) };
        const frames = [
          JSON.stringify(received),
          utf8(JSON.stringify(received)),
          new CompactCodec().encode(received),
        ];
        for (const frame of frames) {
          for (const [, reader] of senders) {
            const envelope = parseClientEnvelope(reader.decode(frame));
            // The server relays the payload to other clients, with the sender's id.
            const relayed = messageEnvelope(
              { type: 'said', payload: (envelope as { payload: unknown }).payload },
              'c-1',
            );
            for (const [, writer] of senders) {
              const out = writer.encode(relayed);
              for (const [, client] of senders) {
                expect(parseServerEnvelope(client.decode(out))).to.deep.equal(relayed);
                if (Array.isArray(out)) {
                  const viaJson = JSON.parse(JSON.stringify(out)) as unknown[];
                  expect(parseServerEnvelope(client.decode(viaJson))).to.deep.equal(relayed);
                }
              }
            }
          }
        }
      });
    }
  });

  describe('regressions', () => {
    it('a payload nested 5,000 levels deep is refused on receipt, not accepted and then unencodable by the relaying server', () => {
      // Before the limit, decoding accepted it, and encoding it again (JSON.stringify, or
      // CompactCodec's round trip) threw a RangeError in the server that relayed it.
      const payload = inArrays(5_000, 0);
      const text = JSON.stringify({ k: 'msg', type: 'say' }).replace(
        '}',
        `,"payload":${'['.repeat(5_000)}0${']'.repeat(5_000)}}`,
      );
      for (const [, make] of CODECS) {
        const codec = make();
        expect(() => codec.decode(text)).to.throw(PlugSocketError, TOO_DEEP);
        expect(() => codec.decode(utf8(text))).to.throw(PlugSocketError, TOO_DEEP);
        expect(() => codec.decode(['say', payload])).to.throw(PlugSocketError, TOO_DEEP);
      }
    });
  });
});
