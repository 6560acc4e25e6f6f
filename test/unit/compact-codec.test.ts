import { expect } from 'chai';
import {
  CompactCodec,
  CompactKinds,
  JsonCodec,
  parseClientEnvelope,
  parseServerEnvelope,
  PlugSocketError,
} from '../../src/index.js';
import { RefusedRequestError } from '../../src/protocol/envelope.js';
import { expectThrowsCode } from './support.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** What JSON makes of a value: the reference for every "keeps JSON's meaning" assertion. */
const viaJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

/** `{ __proto__: value }` as an own data key, the way JSON.parse (and a transport) makes it. */
const protoKey = (value: unknown): Record<string, unknown> =>
  JSON.parse(`{"__proto__":${JSON.stringify(value)}}`) as Record<string, unknown>;

/** `inner` wrapped in `depth` levels of `{ a: … }`. */
function nestInObjects(depth: number, inner: unknown): unknown {
  let value = inner;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** `inner` wrapped in `depth` levels of `[…]`. */
function nestInArrays(depth: number, inner: unknown): unknown {
  let value = inner;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** Walks `{ a: … }` (or `[…]`) levels down, without recursion, and returns depth and leaf. */
function unnest(value: unknown): { depth: number; leaf: unknown } {
  let depth = 0;
  let current = value;
  for (;;) {
    if (Array.isArray(current) && current.length === 1) current = current[0] as unknown;
    else if (
      typeof current === 'object' &&
      current !== null &&
      !Array.isArray(current) &&
      Object.keys(current).length === 1 &&
      'a' in current
    ) {
      current = current.a;
    } else return { depth, leaf: current };
    depth++;
  }
}

describe('CompactCodec', () => {
  const codec = new CompactCodec();
  const decode = (frame: readonly unknown[]): unknown => codec.decode(frame);

  afterEach(() => {
    // Whatever a test decoded, the shared prototypes must be untouched.
    expect(Object.prototype).to.not.have.property('polluted');
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    expect(Array.prototype).to.not.have.property('polluted');
  });

  it('is named "compact-json" and makes structured frames', () => {
    expect(codec.name).to.equal('compact-json');
    expect(codec.structured).to.equal(true);
  });

  it('numbers the control kinds as documented', () => {
    expect({ ...CompactKinds }).to.deep.equal({
      MSG: 0,
      JOIN: 1,
      LEAVE: 2,
      WELCOME: 3,
      ACK: 4,
      NACK: 5,
      ERROR: 6,
      REQ: 7,
      CANCEL: 8,
      AUTH: 9,
      PING: 10,
      PONG: 11,
      GOT: 12,
    });
    expect(Object.isFrozen(CompactKinds)).to.equal(true);
  });

  describe('#encode() / #decode() round trips', () => {
    const error = { code: 'UNAUTHORIZED', message: 'may not join topic "x"' };
    type Sender = 'client' | 'server' | 'both';
    const cases: [string, Record<string, unknown>, unknown[], Sender][] = [
      [
        'a message with a payload and no headers',
        { k: 'msg', type: 'chat', payload: { text: 'héllo 👋', n: [1, 2.5, null, true] } },
        ['chat', { text: 'héllo 👋', n: [1, 2.5, null, true] }],
        'both',
      ],
      [
        'a message with a null payload',
        { k: 'msg', type: 'chat', payload: null },
        ['chat', null],
        'both',
      ],
      [
        'a message with headers and a payload',
        { k: 'msg', type: 'chat', payload: 'hi', headers: { id: 'x', n: 1 } },
        [0, 'chat', { id: 'x', n: 1 }, null, 'hi'],
        'both',
      ],
      [
        'a message with headers and a null payload',
        { k: 'msg', type: 'chat', payload: null, headers: { id: 'x' } },
        [0, 'chat', { id: 'x' }, null, null],
        'both',
      ],
      [
        'a message with headers and no payload',
        { k: 'msg', type: 'tick', headers: { id: 'y' } },
        [0, 'tick', { id: 'y' }],
        'both',
      ],
      ['a message with neither', { k: 'msg', type: 'tick' }, [0, 'tick'], 'both'],
      [
        'a relayed message with its sender',
        { k: 'msg', type: 'said', from: 'c-1', payload: { t: 1 } },
        [0, 'said', null, 'c-1', { t: 1 }],
        'server',
      ],
      [
        'a relayed message with its sender and no payload',
        { k: 'msg', type: 'said', from: 'c-1' },
        [0, 'said', null, 'c-1'],
        'server',
      ],
      [
        'a relayed message with headers, sender and payload',
        { k: 'msg', type: 'said', headers: { h: 1 }, from: 'c-1', payload: [1] },
        [0, 'said', { h: 1 }, 'c-1', [1]],
        'server',
      ],
      ['a join', { k: 'join', id: 7, topic: 'room' }, [1, 7, 'room'], 'client'],
      ['a leave', { k: 'leave', id: 8, topic: 'room' }, [2, 8, 'room'], 'client'],
      ['a welcome', { k: 'welcome', v: 1, id: 'client-1' }, [3, 1, 'client-1'], 'server'],
      [
        'a welcome naming the user',
        { k: 'welcome', v: 1, id: 'client-1', user: 'ada' },
        [3, 1, 'client-1', 'ada'],
        'server',
      ],
      ['an ack', { k: 'ack', id: 9 }, [4, 9], 'both'],
      ['an ack with a result', { k: 'ack', id: 9, result: { sum: 3 } }, [4, 9, { sum: 3 }], 'both'],
      ['an ack with a null result', { k: 'ack', id: 9, result: null }, [4, 9, null], 'both'],
      ['an ack with a false result', { k: 'ack', id: 9, result: false }, [4, 9, false], 'both'],
      ['a nack', { k: 'nack', id: 9, error }, [5, 9, error], 'both'],
      ['an error', { k: 'error', error }, [6, error], 'server'],
      ['a bare request', { k: 'req', id: 1, name: 'sum' }, [7, 1, 'sum'], 'both'],
      [
        'a request with a payload',
        { k: 'req', id: 1, name: 'sum', payload: [1, 2] },
        [7, 1, 'sum', null, null, null, [1, 2]],
        'both',
      ],
      [
        'a request with a null payload',
        { k: 'req', id: 1, name: 'sum', payload: null },
        [7, 1, 'sum', null, null, null, null],
        'both',
      ],
      [
        'a request with headers only',
        { k: 'req', id: 1, name: 'sum', headers: { h: 1 } },
        [7, 1, 'sum', { h: 1 }],
        'both',
      ],
      [
        'a request to a client',
        { k: 'req', id: 2, name: 'ping', to: 'c-2', payload: 1 },
        [7, 2, 'ping', null, 'c-2', null, 1],
        'client',
      ],
      [
        'a request to every connection of a user',
        { k: 'req', id: 3, name: 'ping', to: { user: 'alice' } },
        [7, 3, 'ping', null, { user: 'alice' }],
        'client',
      ],
      [
        'a forwarded request',
        { k: 'req', id: 4, name: 'ping', headers: { h: 1 }, from: 'c-1', payload: 'p' },
        [7, 4, 'ping', { h: 1 }, null, 'c-1', 'p'],
        'server',
      ],
      ['a cancel', { k: 'cancel', id: 5 }, [8, 5], 'both'],
      ['a ping', { k: 'ping' }, [10], 'both'],
      ['a pong', { k: 'pong' }, [11], 'both'],
      ['a got', { k: 'got', n: 57 }, [12, 57], 'both'],
      [
        'an auth',
        { k: 'auth', id: 6, credentials: { token: 't' } },
        [9, 6, { token: 't' }],
        'client',
      ],
    ];
    for (const [name, envelope, shape, sender] of cases) {
      it(`encodes ${name} as ${JSON.stringify(shape)} and decodes it back`, () => {
        const frame = codec.encode(envelope);
        expect(Array.isArray(frame)).to.equal(true);
        expect(frame).to.deep.equal(shape);
        expect(decode(frame)).to.deep.equal(envelope);
        // The same after the trip through a transport's JSON.
        expect(decode(viaJson(frame) as unknown[])).to.deep.equal(envelope);
        // JsonCodec reads the structured frame alike, and carries the envelope as text alike.
        const json = new JsonCodec();
        expect(json.decode(frame)).to.deep.equal(envelope);
        expect(json.decode(json.encode(envelope))).to.deep.equal(envelope);
        // The receiving side's parser accepts what it decodes to.
        if (sender !== 'server') expect(parseClientEnvelope(decode(frame))).to.deep.equal(envelope);
        if (sender !== 'client') expect(parseServerEnvelope(decode(frame))).to.deep.equal(envelope);
      });
    }

    it('tells an absent payload or result from a null one', () => {
      expect(decode([0, 't'])).to.not.have.property('payload');
      expect(decode([0, 't', null, null, null])).to.have.property('payload', null);
      expect(decode(['t', null])).to.have.property('payload', null);
      expect(decode([4, 1])).to.not.have.property('result');
      expect(decode([4, 1, null])).to.have.property('result', null);
      expect(decode([7, 1, 'n', null, null, null])).to.not.have.property('payload');
      expect(decode([7, 1, 'n', null, null, null, null])).to.have.property('payload', null);
    });

    it('reads null before a present field, or trailing, as an absent field', () => {
      expect(decode([0, 'tick', null])).to.deep.equal({ k: 'msg', type: 'tick' });
      expect(decode([0, 'tick', null, null])).to.deep.equal({ k: 'msg', type: 'tick' });
      expect(decode([7, 1, 'n', null, null, null])).to.deep.equal({ k: 'req', id: 1, name: 'n' });
      // A required field written as null is missing: the parser says so.
      expect(decode([1, null, 'room'])).to.deep.equal({ k: 'join', topic: 'room' });
      expectThrowsCode(() => parseClientEnvelope(decode([1, null, 'room'])), 'INVALID_MESSAGE');
    });

    it('puts headers third, the sender fourth and the payload last in a long message', () => {
      const frame = codec.encode({ k: 'msg', type: 't', payload: 5, headers: { h: 1 } });
      expect(frame).to.have.length(5);
      expect(frame[0]).to.equal(CompactKinds.MSG);
      expect(frame[2]).to.deep.equal({ h: 1 });
      expect(frame[3]).to.equal(null);
      expect(frame[4]).to.equal(5);
    });

    for (const [name, payload] of [
      ['null', null],
      ['0', 0],
      ['an empty string', ''],
      ['false', false],
      ['an empty array', []],
      ['a nested array', [1, ['two', [3, null]], { four: [] }]],
      ['an array of objects', [{ a: 1 }, { b: [true] }]],
    ] as const) {
      it(`keeps a ${name} payload as [type, payload]`, () => {
        const frame = codec.encode({ k: 'msg', type: 'chat', payload });
        expect(frame).to.deep.equal(['chat', payload]);
        const decoded = decode(frame) as Record<string, unknown>;
        expect(decoded).to.have.property('payload');
        expect(decoded).to.deep.equal({ k: 'msg', type: 'chat', payload });
      });
    }

    for (const [name, payload] of [
      ['undefined', undefined],
      ['a function', () => 1],
      ['a symbol', Symbol('s')],
    ] as const) {
      it(`leaves out a ${name} payload, as JSON would`, () => {
        const frame = codec.encode({ k: 'msg', type: 'chat', payload });
        expect(frame).to.deep.equal([0, 'chat']);
        const decoded = decode(frame);
        expect(decoded).to.not.have.property('payload');
        expect(decoded).to.deep.equal({ k: 'msg', type: 'chat' });
        // JsonCodec agrees.
        const json = new JsonCodec();
        expect(json.decode(json.encode({ k: 'msg', type: 'chat', payload }))).to.deep.equal(
          decoded,
        );
      });

      it(`leaves out ${name} headers, as JSON would`, () => {
        const frame = codec.encode({ k: 'msg', type: 'chat', payload: 1, headers: payload });
        expect(decode(frame)).to.deep.equal({ k: 'msg', type: 'chat', payload: 1 });
        expect(decode(frame)).to.not.have.property('headers');
      });
    }

    it('leaves out a payload whose toJSON returns undefined, as JSON would', () => {
      const payload = { toJSON: (): undefined => undefined };
      expect(codec.encode({ k: 'msg', type: 'chat', payload })).to.deep.equal([0, 'chat']);
    });
  });

  describe('#encode(): JSON meaning of payloads', () => {
    it('passes a plain payload through as the same object, without copying it', () => {
      const payload = { text: 'hi', list: [1, { a: true }, null], n: 2.5, deep: { x: { y: 'z' } } };
      const frame = codec.encode({ k: 'msg', type: 'chat', payload });
      expect(frame[1]).to.equal(payload);
    });

    it('passes a plain array payload and plain headers through by identity', () => {
      const payload = [1, 'two', [3], { four: 4 }];
      const headers = { trace: 'abc', nested: { level: 2 } };
      const frame = codec.encode({ k: 'msg', type: 'chat', payload, headers });
      expect(frame[2]).to.equal(headers);
      expect(frame[4]).to.equal(payload);
    });

    it('passes a nack or error object, a result and a target through by identity', () => {
      const error = { code: 'X', message: 'y' };
      expect(codec.encode({ k: 'nack', id: 1, error })[2]).to.equal(error);
      expect(codec.encode({ k: 'error', error })[1]).to.equal(error);
      const result = { list: [1, { a: 2 }] };
      expect(codec.encode({ k: 'ack', id: 1, result })[2]).to.equal(result);
      const to = { user: 'alice' };
      expect(codec.encode({ k: 'req', id: 1, name: 'n', to })[4]).to.equal(to);
    });

    it('gives a result and a request payload JSON’s meaning too', () => {
      const payload = { buffer: Buffer.from([1]), at: { toJSON: () => 'later' } };
      expect(codec.encode({ k: 'ack', id: 1, result: payload })).to.deep.equal([
        4,
        1,
        viaJson(payload),
      ]);
      expect(codec.encode({ k: 'req', id: 1, name: 'n', payload })).to.deep.equal([
        7,
        1,
        'n',
        null,
        null,
        null,
        viaJson(payload),
      ]);
      expect(codec.encode({ k: 'ack', id: 1, result: () => 1 })).to.deep.equal([4, 1]);
      expect(() => codec.encode({ k: 'ack', id: 1, result: 1n })).to.throw(TypeError);
    });

    it('passes a 10-deep plain payload through by identity', () => {
      const payload = nestInObjects(10, { leaf: [nestInArrays(5, 'x')] });
      expect(codec.encode({ k: 'msg', type: 'chat', payload })[1]).to.equal(payload);
    });

    it('keeps a Date as the same Date (the transport JSON-encodes it later)', () => {
      const at = new Date('2024-05-06T07:08:09.010Z');
      const payload = { at, list: [at] };
      const frame = codec.encode({ k: 'msg', type: 'chat', payload });
      expect(frame[1]).to.equal(payload);
      const encoded = frame[1] as { at: unknown; list: unknown[] };
      expect(encoded.at).to.be.instanceOf(Date);
      expect(encoded.at).to.equal(at);
      expect(encoded.list[0]).to.equal(at);
    });

    it('keeps a top-level Date payload as the same Date', () => {
      const at = new Date(0);
      expect(codec.encode({ k: 'msg', type: 'chat', payload: at })).to.deep.equal(['chat', at]);
      expect(codec.encode({ k: 'msg', type: 'chat', payload: at })[1]).to.equal(at);
    });

    it('decodes a Date, after the transport JSON, as its ISO string, like JsonCodec', () => {
      const at = new Date('2024-05-06T07:08:09.010Z');
      const envelope = { k: 'msg', type: 'chat', payload: { at } };
      const decoded = decode(viaJson(codec.encode(envelope)) as unknown[]);
      expect(decoded).to.deep.equal({
        k: 'msg',
        type: 'chat',
        payload: { at: '2024-05-06T07:08:09.010Z' },
      });
      const json = new JsonCodec();
      expect(decoded).to.deep.equal(json.decode(json.encode(envelope)));
    });

    it('turns binary values nested in a payload into exactly what JSON makes of them', () => {
      const payload = {
        buffer: Buffer.from([1, 2, 3]),
        bytes: new Uint8Array([4, 5]),
        raw: new ArrayBuffer(3),
        list: [Buffer.from('hi'), new Float32Array([1.5])],
        text: 'kept',
      };
      const frame = codec.encode({ k: 'msg', type: 'bin', payload });
      expect(frame[1]).to.deep.equal(viaJson(payload));
      const encoded = frame[1] as Record<string, unknown>;
      expect(encoded.buffer).to.deep.equal({ type: 'Buffer', data: [1, 2, 3] });
      expect(encoded.bytes).to.deep.equal({ 0: 4, 1: 5 });
      expect(encoded.raw).to.deep.equal({});
      expect(Buffer.isBuffer(encoded.buffer)).to.equal(false);
      expect(ArrayBuffer.isView(encoded.bytes)).to.equal(false);
      expect(encoded.raw).to.not.be.instanceOf(ArrayBuffer);
      // What comes out is a valid structured frame again.
      expect(decode(frame)).to.deep.equal({ k: 'msg', type: 'bin', payload: viaJson(payload) });
    });

    it('turns a top-level binary payload into what JSON makes of it', () => {
      for (const payload of [Buffer.from([9, 8]), new Uint8Array([7]), new ArrayBuffer(2)]) {
        const frame = codec.encode({ k: 'msg', type: 'bin', payload });
        expect(frame).to.deep.equal(['bin', viaJson(payload)]);
        expect(ArrayBuffer.isView(frame[1])).to.equal(false);
        expect(frame[1]).to.not.be.instanceOf(ArrayBuffer);
      }
    });

    it('turns binary values in headers into what JSON makes of them', () => {
      const headers = { sig: Buffer.from([0xff]) };
      const frame = codec.encode({ k: 'msg', type: 't', payload: 1, headers });
      expect(frame).to.deep.equal([0, 't', { sig: { type: 'Buffer', data: [255] } }, null, 1]);
    });

    it('normalises objects with a custom toJSON, as JSON would', () => {
      class Money {
        constructor(readonly cents: number) {}
        toJSON(): string {
          return `${this.cents / 100} EUR`;
        }
      }
      const payload = { price: new Money(250), other: { toJSON: () => ({ swapped: true }) }, n: 1 };
      const frame = codec.encode({ k: 'msg', type: 'buy', payload });
      expect(frame[1]).to.deep.equal({ price: '2.5 EUR', other: { swapped: true }, n: 1 });
      expect(frame[1]).to.deep.equal(viaJson(payload));
      expect(frame[1]).to.not.equal(payload);
    });

    it('normalises a top-level payload with a custom toJSON', () => {
      const payload = { toJSON: () => [1, 2] };
      expect(codec.encode({ k: 'msg', type: 't', payload })).to.deep.equal(['t', [1, 2]]);
    });

    it('throws JSON’s TypeError for a BigInt payload', () => {
      expect(() => codec.encode({ k: 'msg', type: 't', payload: 1n })).to.throw(TypeError);
    });

    it('throws JSON’s TypeError for a BigInt nested in a payload, headers or error', () => {
      expect(() => codec.encode({ k: 'msg', type: 't', payload: { a: { b: [1, 2n] } } })).to.throw(
        TypeError,
      );
      expect(() => codec.encode({ k: 'msg', type: 't', payload: [[3n]] })).to.throw(TypeError);
      expect(() => codec.encode({ k: 'msg', type: 't', payload: 1, headers: { n: 4n } })).to.throw(
        TypeError,
      );
      expect(() => codec.encode({ k: 'error', error: { code: 'X', message: 5n } })).to.throw(
        TypeError,
      );
    });

    it('throws a TypeError for a cyclic payload', () => {
      const payload: Record<string, unknown> = { a: 1 };
      payload.self = payload;
      expect(() => codec.encode({ k: 'msg', type: 't', payload })).to.throw(TypeError);
      const list: unknown[] = [1];
      list.push({ back: list });
      expect(() => codec.encode({ k: 'msg', type: 't', payload: list })).to.throw(TypeError);
    });

    it('throws a TypeError for cyclic headers', () => {
      const headers: Record<string, unknown> = {};
      headers.self = headers;
      expect(() => codec.encode({ k: 'msg', type: 't', payload: 1, headers })).to.throw(TypeError);
    });

    it('preserves 40-deep nesting by value', () => {
      const objects = nestInObjects(40, { leaf: 'bottom', n: [1, 2] });
      const arrays = nestInArrays(40, ['bottom', 3]);
      const payload = { objects, arrays };
      const frame = codec.encode({ k: 'msg', type: 'deep', payload });
      expect(frame[1]).to.deep.equal(payload);
      const encoded = frame[1] as { objects: unknown; arrays: unknown };
      expect(unnest(encoded.objects)).to.deep.equal({
        depth: 40,
        leaf: { leaf: 'bottom', n: [1, 2] },
      });
      expect(unnest(encoded.arrays).depth).to.equal(40);
      expect(decode(frame)).to.deep.equal({ k: 'msg', type: 'deep', payload });
    });

    for (const [name, value] of [
      ['null', null],
      ['a number', 42],
      ['a string', 'msg'],
      ['undefined', undefined],
      ['an object without k', { type: 'chat' }],
      ['an unknown kind', { k: 'nope' }],
      ['an array', ['chat', 1]],
    ] as const) {
      it(`refuses to encode ${name} with a TypeError`, () => {
        expect(() => codec.encode(value)).to.throw(TypeError, /envelope/);
      });
    }
  });

  describe('#decode() of text and binary frames', () => {
    const json = new JsonCodec();
    const texts = [
      '{"k":"msg","type":"chat","payload":{"text":"héllo 👋"}}',
      '{"k":"ack","id":3}',
      '["chat",1]',
      '42',
      '"x"',
      'null',
      '{"constructor":"Foo"}',
    ];
    for (const text of texts) {
      it(`decodes ${text} as text and as UTF-8 binary, like JsonCodec`, () => {
        const expected = json.decode(text);
        expect(codec.decode(text)).to.deep.equal(expected);
        expect(codec.decode(utf8(text))).to.deep.equal(expected);
      });
    }

    it('reads a JSON array in a text frame as a plain value, not as a structured frame', () => {
      expect(codec.decode('[4,1]')).to.deep.equal([4, 1]);
    });

    for (const [name, frame] of [
      ['malformed JSON', '{"k":'],
      ['an empty text frame', ''],
      ['a __proto__ key', '{"__proto__":{"polluted":true}}'],
      ['a nested __proto__ key', '{"k":"msg","payload":{"a":[{"__proto__":{"polluted":1}}]}}'],
      ['an escaped __proto__ key', '{"\\u005f_proto__":{"polluted":true}}'],
      ['a constructor.prototype key', '{"constructor":{"prototype":{"polluted":true}}}'],
      ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0x7d])],
      ['binary malformed JSON', utf8('{')],
      ['a binary __proto__ key', utf8('{"__proto__":{"polluted":true}}')],
    ] as const) {
      it(`rejects ${name} with INVALID_MESSAGE, like JsonCodec`, () => {
        expectThrowsCode(() => json.decode(frame), 'INVALID_MESSAGE');
        expectThrowsCode(() => codec.decode(frame), 'INVALID_MESSAGE');
      });
    }
  });

  describe('#decode() of structured frames', () => {
    it('returns a new envelope object, not the frame', () => {
      const frame = ['chat', { a: 1 }];
      const decoded = decode(frame) as Record<string, unknown>;
      expect(decoded).to.not.equal(frame);
      expect(decoded).to.deep.equal({ k: 'msg', type: 'chat', payload: { a: 1 } });
    });

    it('accepts any string as the type (validation is the envelope parser’s job)', () => {
      expect(decode(['', 1])).to.deep.equal({ k: 'msg', type: '', payload: 1 });
      expect(decode(['4', null])).to.deep.equal({ k: 'msg', type: '4', payload: null });
    });

    const error = { code: 'X', message: 'y' };
    const wrongLengths: [string, unknown[]][] = [
      ['a message of one element', ['chat']],
      ['a message of three elements', ['chat', 1, 2]],
      ['a kind-0 message of one element', [0]],
      ['a kind-0 message of six elements', [0, 'chat', null, null, 1, 2]],
      ['a join of two elements', [1, 7]],
      ['a join of four elements', [1, 7, 'room', 'x']],
      ['a leave of two elements', [2, 7]],
      ['a leave of four elements', [2, 7, 'room', 'x']],
      ['a welcome of two elements', [3, 1]],
      ['a welcome of nine elements', [3, 1, 'id', 'u', 'id.s', true, 0, 'expired', 'x']],
      ['a got without a count', [12]],
      ['a got of three elements', [12, 1, 2]],
      ['an ack of one element', [4]],
      ['an ack of four elements', [4, 1, 2, 3]],
      ['a nack of two elements', [5, 1]],
      ['a nack of four elements', [5, 1, error, 2]],
      ['an error of one element', [6]],
      ['an error of three elements', [6, error, 1]],
      ['a req of two elements', [7, 1]],
      ['a req of eight elements', [7, 1, 'n', null, null, null, 1, 2]],
      ['a cancel of one element', [8]],
      ['a cancel of three elements', [8, 1, 2]],
      ['a ping of two elements', [10, 1]],
      ['a pong of two elements', [11, 1]],
    ];
    for (const [name, frame] of wrongLengths) {
      it(`rejects ${name} (${JSON.stringify(frame)}) with INVALID_MESSAGE`, () => {
        expectThrowsCode(() => decode(frame), 'INVALID_MESSAGE');
      });
    }

    const unknownHeads: [string, unknown[]][] = [
      ['the unknown kind 9', [9, 1]],
      ['the unknown kind -1', [-1, 1, 2]],
      ['the fractional kind 0.5', [0.5, 'chat', null]],
      ['a NaN head', [NaN, 1]],
      ['a null head', [null, 1]],
      ['a boolean head', [true, 1]],
      ['an object head', [{ k: 'msg' }, 1]],
      ['an array head', [['chat'], 1]],
      ['an undefined head', [undefined, 1]],
      ['an empty frame', []],
    ];
    for (const [name, frame] of unknownHeads) {
      it(`rejects ${name} with INVALID_MESSAGE`, () => {
        expectThrowsCode(() => decode(frame), 'INVALID_MESSAGE');
      });
    }

    it('names the empty frame in its error', () => {
      expect(() => decode([])).to.throw(PlugSocketError, /empty/);
    });

    describe('prototype keys', () => {
      const proto = protoKey({ polluted: true });

      it('rejects an own __proto__ key in the payload (depth 1)', () => {
        expect(Object.prototype.hasOwnProperty.call(proto, '__proto__')).to.equal(true);
        expectThrowsCode(() => decode(['chat', proto]), 'INVALID_MESSAGE');
      });

      it('rejects an own __proto__ key in headers, an error, or inside an array', () => {
        expectThrowsCode(() => decode([0, 'chat', proto]), 'INVALID_MESSAGE');
        expectThrowsCode(() => decode([0, 'chat', null, proto]), 'INVALID_MESSAGE');
        expectThrowsCode(() => decode([0, 'chat', null, null, proto]), 'INVALID_MESSAGE');
        expectThrowsCode(() => decode([4, 1, proto]), 'INVALID_MESSAGE');
        expectThrowsCode(() => decode([7, 1, 'n', null, proto]), 'INVALID_MESSAGE');
        expectThrowsCode(() => decode([6, proto]), 'INVALID_MESSAGE');
        expectThrowsCode(() => decode(['chat', [1, [proto]]]), 'INVALID_MESSAGE');
        expectThrowsCode(() => decode(['chat', protoKey(1)]), 'INVALID_MESSAGE');
      });

      it('rejects an own __proto__ key at depth 100, in objects and in arrays', () => {
        expectThrowsCode(() => decode(['chat', nestInObjects(100, proto)]), 'INVALID_MESSAGE');
        expectThrowsCode(() => decode(['chat', nestInArrays(100, proto)]), 'INVALID_MESSAGE');
        expectThrowsCode(
          () => decode(['chat', nestInObjects(50, nestInArrays(50, { ok: 1, bad: proto }))]),
          'INVALID_MESSAGE',
        );
      });

      it('rejects a constructor.prototype key', () => {
        const payload = { constructor: { prototype: { polluted: true } } };
        expectThrowsCode(() => decode(['chat', payload]), 'INVALID_MESSAGE');
        expectThrowsCode(() => decode(['chat', [{ x: payload }]]), 'INVALID_MESSAGE');
        expectThrowsCode(() => decode([0, 'chat', payload]), 'INVALID_MESSAGE');
      });

      it('rejects a constructor.prototype key at depth 100', () => {
        const payload = { constructor: { prototype: {} } };
        expectThrowsCode(() => decode(['chat', nestInObjects(100, payload)]), 'INVALID_MESSAGE');
        expectThrowsCode(() => decode(['chat', nestInArrays(100, payload)]), 'INVALID_MESSAGE');
      });

      it('accepts a constructor key with a plain string or plain object value', () => {
        expect(decode(['chat', { constructor: 'Foo' }])).to.deep.equal({
          k: 'msg',
          type: 'chat',
          payload: { constructor: 'Foo' },
        });
        expect(decode(['chat', { constructor: { name: 'Foo' } }])).to.deep.equal({
          k: 'msg',
          type: 'chat',
          payload: { constructor: { name: 'Foo' } },
        });
        const deep = nestInObjects(100, { constructor: 'Foo' });
        expect(decode(['chat', deep])).to.deep.equal({ k: 'msg', type: 'chat', payload: deep });
      });

      it('accepts a "prototype" key that is not under "constructor"', () => {
        expect(decode(['chat', { prototype: { a: 1 } }])).to.deep.equal({
          k: 'msg',
          type: 'chat',
          payload: { prototype: { a: 1 } },
        });
      });
    });

    describe('values JSON cannot hold', () => {
      for (const [name, make] of [
        ['a Buffer', () => Buffer.from('x')],
        ['an ArrayBuffer', () => new ArrayBuffer(4)],
        ['a Uint8Array', () => new Uint8Array(2)],
        ['a DataView', () => new DataView(new ArrayBuffer(1))],
      ] as const) {
        it(`rejects ${name} in the payload, in an array, in headers and at depth 100`, () => {
          expectThrowsCode(() => decode(['chat', make()]), 'INVALID_MESSAGE');
          expectThrowsCode(() => decode(['chat', { data: make() }]), 'INVALID_MESSAGE');
          expectThrowsCode(() => decode(['chat', [1, make()]]), 'INVALID_MESSAGE');
          expectThrowsCode(() => decode([0, 'chat', { sig: make() }]), 'INVALID_MESSAGE');
          expectThrowsCode(
            () => decode(['chat', nestInObjects(100, { data: make() })]),
            'INVALID_MESSAGE',
          );
          expectThrowsCode(() => decode(['chat', nestInArrays(100, make())]), 'INVALID_MESSAGE');
        });
      }

      it('rejects a function anywhere', () => {
        const fn = (): number => 1;
        expectThrowsCode(() => decode(['chat', fn]), 'INVALID_MESSAGE');
        expectThrowsCode(() => decode(['chat', { f: fn }]), 'INVALID_MESSAGE');
        expectThrowsCode(() => decode(['chat', [1, fn]]), 'INVALID_MESSAGE');
        expectThrowsCode(() => decode([4, fn]), 'INVALID_MESSAGE');
        expectThrowsCode(() => decode([fn, 1]), 'INVALID_MESSAGE');
        expectThrowsCode(() => decode(['chat', nestInObjects(100, { f: fn })]), 'INVALID_MESSAGE');
        expectThrowsCode(() => decode(['chat', nestInArrays(100, fn)]), 'INVALID_MESSAGE');
      });
    });

    describe('deep nesting', () => {
      // The frame's array is level 1, so a payload may nest MAX_NESTING_DEPTH - 1 levels.
      it('decodes a frame nested exactly 128 levels deep, in arrays and in objects', () => {
        const arrays = nestInArrays(127, 'bottom');
        expect(unnest((decode(['deep', arrays]) as { payload: unknown }).payload)).to.deep.equal({
          depth: 127,
          leaf: 'bottom',
        });
        const objects = nestInObjects(127, 'bottom');
        expect(
          (decode([0, 'deep', { h: 1 }, null, objects]) as { payload: unknown }).payload,
        ).to.equal(objects);
      });

      it('refuses a frame nested 129 levels deep with INVALID_MESSAGE, wherever the depth is', () => {
        const message = 'frame nests deeper than 128 levels';
        for (const frame of [
          ['deep', nestInArrays(128, 'bottom')],
          ['deep', nestInObjects(128, 'bottom')],
          [0, 'deep', nestInObjects(127, { a: 1 })],
          [4, 1, nestInArrays(128, 0)],
          [6, nestInObjects(128, null)],
        ]) {
          expect(() => decode(frame))
            .to.throw(PlugSocketError, message)
            .with.property('code', 'INVALID_MESSAGE');
        }
      });

      it('refuses 10,000 levels without overflowing the stack', () => {
        expectThrowsCode(() => decode(['deep', nestInArrays(10_000, 'bottom')]), 'INVALID_MESSAGE');
        expectThrowsCode(
          () => decode([0, 'deep', { h: 1 }, null, nestInObjects(10_000, 'bottom')]),
          'INVALID_MESSAGE',
        );
        expectThrowsCode(
          () => decode(['deep', nestInArrays(5_000, nestInObjects(5_000, protoKey(1)))]),
          'INVALID_MESSAGE',
        );
      });

      it('refuses a too deep request with a RefusedRequestError carrying its id', () => {
        let thrown: unknown;
        try {
          decode([7, 12, 'sum', null, null, null, nestInArrays(200, 1)]);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).to.be.instanceOf(RefusedRequestError);
        expect(thrown).to.include({ code: 'INVALID_MESSAGE', requestId: 12, requestKind: 'req' });
      });
    });

    it('throws only PlugSocketErrors with code INVALID_MESSAGE for bad frames', () => {
      const bad: unknown[][] = [
        [],
        ['chat'],
        [9, 1],
        [null],
        ['chat', protoKey(1)],
        ['chat', Buffer.from('x')],
        ['chat', () => 1],
        ['chat', { n: 1n }],
        ['chat', [Symbol('s')]],
      ];
      for (const [i, frame] of bad.entries()) {
        let thrown: unknown;
        try {
          decode(frame);
        } catch (error) {
          thrown = error;
        }
        expect(thrown, `bad frame #${i}`).to.be.instanceOf(PlugSocketError);
        expect((thrown as PlugSocketError).code).to.equal('INVALID_MESSAGE');
      }
    });
  });

  it('is read by JsonCodec too, with the same validation, so either side may use either codec', () => {
    const json = new JsonCodec();
    const compact = new CompactCodec();
    for (const envelope of [
      { k: 'msg', type: 'chat', payload: { n: 1 } },
      { k: 'msg', type: 'chat', headers: { h: 1 } },
      { k: 'welcome', v: 1, id: 'c-1' },
      { k: 'nack', id: 2, error: { code: 'UNAUTHORIZED', message: 'no' } },
      { k: 'req', id: 3, name: 'n', to: { user: 'u' }, payload: null },
      { k: 'ack', id: 3, result: [1] },
    ]) {
      expect(json.decode(compact.encode(envelope))).to.deep.equal(envelope);
    }
    expectThrowsCode(() => json.decode(['chat', protoKey(1)]), 'INVALID_MESSAGE');
    expectThrowsCode(() => json.decode(['chat']), 'INVALID_MESSAGE');
  });

  describe('regressions', () => {
    it('refuses a structured frame whose head JSON cannot write (a BigInt) with INVALID_MESSAGE, not TypeError', () => {
      expectThrowsCode(() => new CompactCodec().decode([1n]), 'INVALID_MESSAGE');
      expectThrowsCode(() => new CompactCodec().decode([Symbol('s')]), 'INVALID_MESSAGE');
    });

    it('refuses a cyclic structured frame with INVALID_MESSAGE instead of walking forever', () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expectThrowsCode(() => new CompactCodec().decode(['chat', cyclic]), 'INVALID_MESSAGE');
      const loop: unknown[] = [];
      loop.push(loop);
      expectThrowsCode(() => new CompactCodec().decode(['chat', loop]), 'INVALID_MESSAGE');
    });
  });

  describe('maxBytes', () => {
    it('stops walking an oversized frame as soon as its bound passes the limit', () => {
      // Validation would refuse the __proto__ key at the end; the size is refused first, early.
      const items: unknown[] = new Array<unknown>(200_000).fill('x'.repeat(10));
      items.push(protoKey(1));
      expectThrowsCode(
        () => new CompactCodec({ maxBytes: 1000 }).decode(['chat', items]),
        'PAYLOAD_TOO_LARGE',
      );
      expectThrowsCode(() => new CompactCodec().decode(['chat', items]), 'INVALID_MESSAGE');
    });

    it('still validates a frame whose bound passed the limit but whose exact size fits', () => {
      // Six bytes per character are counted until the exact measure: 'é' is two.
      const frame = ['chat', { text: 'é'.repeat(100), bad: protoKey(1) }];
      const size = Buffer.byteLength(JSON.stringify(['chat', { text: 'é'.repeat(100) }]));
      expectThrowsCode(
        () => new CompactCodec({ maxBytes: size + 40 }).decode(frame),
        'INVALID_MESSAGE',
      );
      const fine = ['chat', { text: 'é'.repeat(100) }];
      expect(new CompactCodec({ maxBytes: size }).decode(fine)).to.have.property('type', 'chat');
    });

    const frame = ['chat', { text: 'é"\n😀', n: [1, -0.5, null, true] }];
    const size = Buffer.byteLength(JSON.stringify(frame));

    it('refuses a structured frame whose JSON is larger with PAYLOAD_TOO_LARGE, exactly at the byte', () => {
      expect(new CompactCodec({ maxBytes: size }).decode(frame)).to.deep.equal({
        k: 'msg',
        type: 'chat',
        payload: frame[1],
      });
      expect(() => new CompactCodec({ maxBytes: size - 1 }).decode(frame))
        .to.throw(PlugSocketError, `frame exceeds ${size - 1} bytes`)
        .with.property('code', 'PAYLOAD_TOO_LARGE');
    });

    it('refuses a frame too deep for JSON.stringify as INVALID_MESSAGE, whatever maxBytes', () => {
      let deep: unknown = 0;
      for (let i = 0; i < 5_000; i++) deep = [deep];
      const deepFrame = ['chat', { deep }];
      const deepSize = 16 + 10_001 + 2; // ["chat",{"deep": + [[…0…]] + }]
      expectThrowsCode(
        () => new CompactCodec({ maxBytes: deepSize }).decode(deepFrame),
        'INVALID_MESSAGE',
      );
      expectThrowsCode(() => new CompactCodec().decode(deepFrame), 'INVALID_MESSAGE');
    });

    it('measures 100,000 elements without overflowing', () => {
      const long = ['chat', new Array<number>(100_000).fill(7)];
      const longSize = Buffer.byteLength(JSON.stringify(long));
      expect(() => new CompactCodec({ maxBytes: longSize }).decode(long)).not.to.throw();
      expectThrowsCode(
        () => new CompactCodec({ maxBytes: longSize - 1 }).decode(long),
        'PAYLOAD_TOO_LARGE',
      );
    });

    it('refuses an oversized request with a RefusedRequestError carrying its id', () => {
      let thrown: unknown;
      try {
        new CompactCodec({ maxBytes: 100 }).decode([
          7,
          3,
          'upload',
          null,
          null,
          null,
          'x'.repeat(500),
        ]);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(RefusedRequestError);
      expect(thrown).to.include({ code: 'PAYLOAD_TOO_LARGE', requestId: 3 });
    });

    it('leaves text frames to the caller (the domain measures those before decoding)', () => {
      const text = JSON.stringify({ k: 'msg', type: 't', payload: 'x'.repeat(100) });
      expect(new CompactCodec({ maxBytes: 10 }).decode(text)).to.have.property('type', 't');
    });

    it('rejects a maxBytes that is not a positive number with RangeError', () => {
      for (const maxBytes of [0, -1, Number.NaN, '10' as unknown as number]) {
        expect(() => new CompactCodec({ maxBytes })).to.throw(RangeError, 'maxBytes');
      }
      expect(() => new CompactCodec({ maxBytes: Infinity })).not.to.throw();
    });
  });
});
