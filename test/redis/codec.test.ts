import { expect } from 'chai';
import { PlugSocketError, type BackplanePacket } from 'plugsocket';
import {
  decodeBackplanePacket,
  decodeJsonValue,
  encodeBackplanePacket,
  encodeJsonValue,
} from 'plugsocket/redis';
import { senderField, sentBy } from '../../adapters/redis/codec.js';

const roundTrip = (packet: BackplanePacket, from = 'node-a') =>
  decodeBackplanePacket(encodeBackplanePacket(packet, from));

function expectInvalid(bytes: Uint8Array, pattern?: RegExp): void {
  try {
    decodeBackplanePacket(bytes);
  } catch (error) {
    expect(PlugSocketError.is(error, 'INVALID_MESSAGE'), String(error)).to.equal(true);
    if (pattern) expect((error as Error).message).to.match(pattern);
    return;
  }
  expect.fail(`decoded ${Buffer.from(bytes).toString('hex')}`);
}

describe('Redis backplane codec', () => {
  describe('encodeBackplanePacket / decodeBackplanePacket', () => {
    it('round-trips text frames, unicode and the empty frame', () => {
      for (const frame of [
        'hello',
        '',
        'ünïcödé ✓ 🎉 \u0000 \u2028',
        '\ufeffBOM first',
        'x'.repeat(70_000),
      ]) {
        expect(roundTrip({ kind: 'k', frame })).to.deep.equal({
          from: 'node-a',
          packet: { kind: 'k', frame },
          control: false,
        });
      }
    });

    it('round-trips binary frames (a Buffer arrives as a plain Uint8Array), empty ones too', () => {
      for (const frame of [new Uint8Array([0, 1, 255]), Buffer.from('buf'), new Uint8Array(0)]) {
        const { packet } = roundTrip({ kind: 'k', frame });
        expect(packet.frame).to.be.instanceOf(Uint8Array);
        expect(Buffer.isBuffer(packet.frame)).to.equal(false);
        expect([...(packet.frame as Uint8Array)]).to.deep.equal([...frame]);
      }
    });

    it('respects the offset of a view into a larger buffer', () => {
      const big = new Uint8Array([9, 9, 1, 2, 3, 9]);
      const { packet } = roundTrip({
        kind: 'k',
        frame: big.subarray(2, 5),
        data: { v: big.subarray(0, 1) },
      });
      expect([...(packet.frame as Uint8Array)]).to.deep.equal([1, 2, 3]);
      expect([...(packet.data as { v: Uint8Array }).v]).to.deep.equal([9]);
    });

    it('round-trips JSON data with bytes at any depth, and keys that look like tags', () => {
      const data = {
        list: [1, 'two', null, true, { deep: [new Uint8Array([1, 2])] }],
        top: Buffer.from([3]),
        $b: 0,
        $$b: 'x',
        tagLike: { $b: 1 },
        ['__proto__']: 'own',
        empty: {},
      };
      const { packet } = roundTrip({ kind: 'k', data });
      const back = packet.data as typeof data;
      expect(back.list.slice(0, 4)).to.deep.equal([1, 'two', null, true]);
      expect([...(back.list[4] as { deep: Uint8Array[] }).deep[0]]).to.deep.equal([1, 2]);
      expect([...back.top]).to.deep.equal([3]);
      expect(back.$b).to.equal(0);
      expect(back.$$b).to.equal('x');
      expect(back.tagLike).to.deep.equal({ $b: 1 });
      expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).to.equal('own');
      expect(back.empty).to.deep.equal({});
    });

    it('carries data that is bytes itself, a bare value, or null; drops undefined keys', () => {
      expect([
        ...(roundTrip({ kind: 'k', data: new Uint8Array([5]) }).packet.data as Uint8Array),
      ]).to.deep.equal([5]);
      expect(roundTrip({ kind: 'k', data: 42 }).packet).to.deep.equal({ kind: 'k', data: 42 });
      expect(roundTrip({ kind: 'k', data: null }).packet).to.deep.equal({ kind: 'k', data: null });
      expect(roundTrip({ kind: 'k', data: { a: undefined, b: 1 } }).packet).to.deep.equal({
        kind: 'k',
        data: { b: 1 },
      });
      expect(roundTrip({ kind: 'k' }).packet).to.deep.equal({ kind: 'k' });
    });

    it('carries the sender id and the control mark', () => {
      const decoded = decodeBackplanePacket(
        encodeBackplanePacket({ kind: 'leave' }, 'nœud 7', { control: true }),
      );
      expect(decoded).to.deep.equal({ from: 'nœud 7', packet: { kind: 'leave' }, control: true });
    });

    it('is compact: a small packet costs a few bytes over its content', () => {
      const bytes = encodeBackplanePacket({ kind: 'msg', frame: new Uint8Array(100) }, 'n1');
      expect(bytes.byteLength).to.equal(3 + 1 + 2 + 1 + 3 + 1 + 100);
    });

    it('refuses what the port does not carry, with a TypeError', () => {
      const bad: unknown[] = [
        { kind: '' },
        { kind: 'x'.repeat(65) },
        { kind: 'k', frame: ['structured'] },
        { kind: 'k', data: new Date() },
        { kind: 'k', data: new Map() },
        { kind: 'k', data: { n: Infinity } },
        { kind: 'k', data: [() => 1] },
        { kind: 'k', data: 1n },
        {
          kind: 'k',
          data: new (class Point {
            x = 1;
          })(),
        },
      ];
      for (const packet of bad)
        expect(
          () => encodeBackplanePacket(packet as BackplanePacket, 'n'),
          JSON.stringify(String(packet)),
        ).to.throw(TypeError);
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(() => encodeBackplanePacket({ kind: 'k', data: cyclic }, 'n')).to.throw(TypeError);
      expect(() => encodeBackplanePacket({ kind: 'k' }, '')).to.throw(TypeError);
    });

    it('refuses malformed bytes with INVALID_MESSAGE, never anything else', () => {
      const good = encodeBackplanePacket(
        { kind: 'k', frame: 'abc', data: { b: new Uint8Array([1]) } },
        'n',
      );
      expectInvalid(new Uint8Array(0), /too short/);
      expectInvalid(Buffer.from('{"kind":"k"}'), /marker/);
      expectInvalid(Buffer.from([0xb5, 2, 0, 1, 0x6e, 1, 0x6b]), /version/);
      expectInvalid(Buffer.from([0xb5, 1, 0x80, 1, 0x6e, 1, 0x6b]), /flags/);
      expectInvalid(Buffer.from([0xb5, 1, 3, 1, 0x6e, 1, 0x6b]), /flags/);
      expectInvalid(Buffer.concat([good, Buffer.from([0])]), /left over/);
      expectInvalid(Buffer.from([0xb5, 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), /length/);
      expectInvalid(Buffer.from([0xb5, 1, 0, 1, 0xff, 1, 0x6b]), /UTF-8/);
      expectInvalid(Buffer.from([0xb5, 1, 0, 0, 1, 0x6b]), /sender/);
      expectInvalid(Buffer.from([0xb5, 1, 0b100, 1, 0x6e, 1, 0x6b, 3, 0x7b, 0x7b, 0x7b]), /JSON/);
      const tagToNothing = Buffer.from([
        0xb5,
        1,
        0b1100,
        1,
        0x6e,
        1,
        0x6b,
        8,
        ...Buffer.from('{"$b":3}'),
        0,
      ]);
      expectInvalid(tagToNothing, /tag/);
      const loneDollar = Buffer.from([
        0xb5,
        1,
        0b1100,
        1,
        0x6e,
        1,
        0x6b,
        8,
        ...Buffer.from('{"$x":1}'),
        0,
      ]);
      expectInvalid(loneDollar, /neither a tag nor escaped/);
      for (let cut = 0; cut < good.byteLength; cut++) expectInvalid(good.subarray(0, cut));
      // Every single-byte corruption either decodes to something or fails cleanly.
      for (let at = 0; at < good.byteLength; at++) {
        const copy = Buffer.from(good);
        copy[at] ^= 0xff;
        try {
          decodeBackplanePacket(copy);
        } catch (error) {
          expect(PlugSocketError.is(error, 'INVALID_MESSAGE'), String(error)).to.equal(true);
        }
      }
    });
  });

  describe('encodeJsonValue / decodeJsonValue', () => {
    it('writes plain JSON text when there are no bytes', () => {
      const bytes = encodeJsonValue({ a: [1, 'b'] });
      expect(Buffer.from(bytes).toString()).to.equal('{"a":[1,"b"]}');
      expect(decodeJsonValue(bytes)).to.deep.equal({ a: [1, 'b'] });
    });

    it('round-trips bytes and $-keys in binary form', () => {
      const value = { raw: new Uint8Array([1, 2]), $b: { $b: 0 } };
      const bytes = encodeJsonValue(value);
      expect(bytes[0]).to.equal(0xb6);
      const back = decodeJsonValue(bytes) as typeof value;
      expect([...back.raw]).to.deep.equal([1, 2]);
      expect(back.$b).to.deep.equal({ $b: 0 });
    });

    it('writes what JSON would without strict, and refuses it with', () => {
      expect(decodeJsonValue(encodeJsonValue({ when: new Date(0) }))).to.deep.equal({
        when: '1970-01-01T00:00:00.000Z',
      });
      expect(() => encodeJsonValue({ when: new Date(0) }, { strict: true })).to.throw(TypeError);
    });

    it('refuses malformed input with INVALID_MESSAGE', () => {
      for (const bytes of [Buffer.from('{'), Buffer.from([0xb6, 1, 5]), Buffer.from([0xff])]) {
        try {
          decodeJsonValue(bytes);
          expect.fail('decoded');
        } catch (error) {
          expect(PlugSocketError.is(error, 'INVALID_MESSAGE'), String(error)).to.equal(true);
        }
      }
    });
  });
});

describe('sentBy (dropping a node own broadcasts before decoding)', () => {
  it('is true only for packets whose sender field is exactly that node', () => {
    const own = encodeBackplanePacket({ kind: 'b', data: { s: 1 }, frame: 'x' }, 'node-1');
    const other = encodeBackplanePacket({ kind: 'b', frame: 'x' }, 'node-10');
    const shorter = encodeBackplanePacket({ kind: 'b', frame: 'x' }, 'node-');
    const self = senderField('node-1');
    expect(sentBy(own, self)).to.equal(true);
    expect(sentBy(other, self)).to.equal(false);
    expect(sentBy(shorter, self)).to.equal(false);
    expect(sentBy(new Uint8Array([0, 1, 2]), self)).to.equal(false);
    expect(sentBy(own.subarray(0, 4), self)).to.equal(false);
    // The field is what the decoder reads as the sender.
    expect(decodeBackplanePacket(own).from).to.equal('node-1');
    expect(
      sentBy(encodeBackplanePacket({ kind: 'k' }, 'é'.repeat(100)), senderField('é'.repeat(100))),
    ).to.equal(true);
  });
});
