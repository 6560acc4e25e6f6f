import { expect } from 'chai';
import { JsonCodec, PlugSocketError } from '../../src/index.js';
import { RefusedRequestError } from '../../src/protocol/envelope.js';
import { expectThrowsCode } from './support.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('JsonCodec', () => {
  const codec = new JsonCodec();

  afterEach(() => {
    // Whatever a test decoded, the shared prototypes must be untouched.
    expect(Object.prototype).to.not.have.property('polluted');
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  it('is named "json"', () => {
    expect(codec.name).to.equal('json');
  });

  describe('#encode() / #decode()', () => {
    it('round-trips a protocol envelope', () => {
      const value = {
        k: 'msg',
        type: 'chat',
        payload: { text: 'héllo 👋', n: [1, 2.5, null, true] },
        headers: { id: 'x' },
      };
      const frame = codec.encode(value);
      expect(frame).to.be.a('string');
      expect(codec.decode(frame)).to.deep.equal(value);
    });

    it('encodes to JSON text', () => {
      expect(codec.encode({ k: 'ack', id: 3 })).to.equal('{"k":"ack","id":3}');
    });

    it('decodes a binary frame holding UTF-8 JSON', () => {
      expect(codec.decode(utf8('{"k":"msg","type":"é","payload":"ü"}'))).to.deep.equal({
        k: 'msg',
        type: 'é',
        payload: 'ü',
      });
    });

    it('decodes JSON primitives as they are (envelope validation is not its job)', () => {
      expect(codec.decode('42')).to.equal(42);
      expect(codec.decode('"x"')).to.equal('x');
      expect(codec.decode('null')).to.equal(null);
    });
  });

  describe('#decode() of malformed input', () => {
    for (const [name, frame] of [
      ['truncated JSON', '{"k":"msg"'],
      ['an empty text frame', ''],
      ['plain text', 'hello'],
      ['a trailing comma', '{"a":1,}'],
      ['single quotes', "{'a':1}"],
    ] as const) {
      it(`rejects ${name} with INVALID_MESSAGE`, () => {
        expectThrowsCode(() => codec.decode(frame), 'INVALID_MESSAGE');
      });
    }

    it('rejects invalid UTF-8 in a binary frame with INVALID_MESSAGE', () => {
      expectThrowsCode(
        () => codec.decode(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])),
        'INVALID_MESSAGE',
      );
      // a lone continuation byte and a truncated multi-byte sequence
      expectThrowsCode(() => codec.decode(new Uint8Array([0x22, 0x80, 0x22])), 'INVALID_MESSAGE');
      expectThrowsCode(
        () => codec.decode(new Uint8Array([0x22, 0xe2, 0x82, 0x22])),
        'INVALID_MESSAGE',
      );
    });

    it('rejects malformed JSON in a binary frame with INVALID_MESSAGE', () => {
      expectThrowsCode(() => codec.decode(utf8('{nope')), 'INVALID_MESSAGE');
    });
  });

  describe('#decode() of prototype-pollution attempts', () => {
    for (const [name, text] of [
      ['a top-level __proto__ key', '{"__proto__":{"polluted":true}}'],
      [
        'a nested __proto__ key',
        '{"k":"msg","type":"t","payload":{"a":{"__proto__":{"polluted":true}}}}',
      ],
      [
        'a __proto__ key inside an array',
        '{"k":"msg","type":"t","payload":[1,{"__proto__":{"polluted":true}}]}',
      ],
      ['a __proto__ key in a top-level array', '[{"__proto__":{"polluted":true}}]'],
      [
        'a __proto__ key spelled with \\u escapes',
        '{"\\u005f\\u005fproto\\u005f\\u005f":{"polluted":true}}',
      ],
      [
        'a __proto__ key partly escaped, nested',
        '{"payload":{"__pro\\u0074o__":{"polluted":true}}}',
      ],
      ['a __proto__ key whose value is not an object', '{"__proto__":null}'],
      ['constructor.prototype at the top level', '{"constructor":{"prototype":{"polluted":true}}}'],
      [
        'constructor.prototype nested',
        '{"k":"msg","type":"t","payload":{"x":{"constructor":{"prototype":{"polluted":true}}}}}',
      ],
      ['constructor.prototype inside an array', '{"payload":[{"constructor":{"prototype":{}}}]}'],
      [
        'constructor.prototype spelled with \\u escapes',
        '{"\\u0063onstructor":{"\\u0070rototype":{"polluted":true}}}',
      ],
    ] as const) {
      it(`rejects ${name} with INVALID_MESSAGE`, () => {
        expectThrowsCode(() => codec.decode(text), 'INVALID_MESSAGE');
      });
    }

    it('rejects the same attempts in binary frames', () => {
      expectThrowsCode(
        () => codec.decode(utf8('{"__proto__":{"polluted":true}}')),
        'INVALID_MESSAGE',
      );
      expectThrowsCode(
        () => codec.decode(utf8('{"constructor":{"prototype":{}}}')),
        'INVALID_MESSAGE',
      );
    });

    it('accepts a harmless "constructor" key', () => {
      expect(codec.decode('{"name":"x","constructor":"Bob"}')).to.deep.equal({
        name: 'x',
        constructor: 'Bob',
      });
      expect(codec.decode('{"constructor":{"name":"Bob"}}')).to.deep.equal({
        constructor: { name: 'Bob' },
      });
    });

    it('accepts the words as string values and harmless keys', () => {
      const value = codec.decode(
        '{"type":"__proto__","payload":{"prototype":1,"text":"constructor.prototype \\u00e9"}}',
      );
      expect(value).to.deep.equal({
        type: '__proto__',
        payload: { prototype: 1, text: 'constructor.prototype é' },
      });
    });

    it('accepts nesting up to the limit on the inspecting path, and still finds a deep __proto__', () => {
      const deep = `${'['.repeat(128)}"\\u0041"${']'.repeat(128)}`;
      expect(() => codec.decode(deep)).not.to.throw();
      const deepProto = `${'['.repeat(127)}{"__proto__":1}${']'.repeat(127)}`;
      expect(() => codec.decode(deepProto)).to.throw(PlugSocketError, '__proto__');
    });

    it('refuses a request frame holding a prototype key with a RefusedRequestError carrying its id', () => {
      let thrown: unknown;
      try {
        codec.decode('{"k":"req","id":5,"name":"n","payload":{"__proto__":{"polluted":true}}}');
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(RefusedRequestError);
      expect(thrown).to.include({ code: 'INVALID_MESSAGE', requestId: 5, requestKind: 'req' });
    });

    it('leaves Object.prototype untouched after decoding hostile input', () => {
      const attempts = [
        '{"__proto__":{"polluted":true}}',
        '{"a":{"__proto__":{"polluted":true}}}',
        '{"constructor":{"prototype":{"polluted":true}}}',
      ];
      for (const text of attempts) {
        try {
          codec.decode(text);
        } catch {
          // expected
        }
      }
      expect(Object.prototype).to.not.have.property('polluted');
      expect(Object.getPrototypeOf({})).to.equal(Object.prototype);
    });
  });

  it('refuses 10,000 levels, like CompactCodec, on both paths, without a stack overflow', () => {
    const deep = (inner: string): string => '{"a":'.repeat(10_000) + inner + '}'.repeat(10_000);
    const codec = new JsonCodec();
    for (const inner of ['"prototype"', '{"__proto__":1}', '1', '"\\u0041"']) {
      expect(() => codec.decode(deep(inner)))
        .to.throw(PlugSocketError, /nests deeper than 128 levels|__proto__/)
        .with.property('code', 'INVALID_MESSAGE');
    }
  });
});
