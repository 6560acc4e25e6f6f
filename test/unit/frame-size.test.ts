import { expect } from 'chai';
import {
  exceedsBytes,
  frameSize,
  structuredBound,
  structuredSize,
  utf8Length,
} from '../../src/protocol/frame-size.js';
import type { AnyFrame, StructuredFrame } from '../../src/index.js';

/** The real size of a text frame: what a transport writes (lone surrogates become U+FFFD). */
const textBytes = (text: string): number => new TextEncoder().encode(text).byteLength;

/** The real size of a structured frame: the UTF-8 length of its JSON text. */
const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

/** Asserts that `frame` of `size` bytes is within `size` and `size + 1`, and over `size - 1`. */
function expectExactLimit(frame: AnyFrame, size: number): void {
  const shown = typeof frame === 'string' ? JSON.stringify(frame) : String(size);
  expect(exceedsBytes(frame, size), `${shown} at its size ${size}`).to.equal(false);
  expect(exceedsBytes(frame, size + 1), `${shown} under ${size + 1}`).to.equal(false);
  expect(exceedsBytes(frame, size - 1), `${shown} over ${size - 1}`).to.equal(true);
}

/** mulberry32: a small seeded generator, so every run draws the same values. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Code units that stress JSON escaping and UTF-8: quotes, controls, non-ASCII, surrogates. */
const UNITS = [
  'a',
  'Z',
  ' ',
  '"',
  '\\',
  '/',
  '\n',
  '\t',
  '\u0000',
  '\u0001',
  '\u001f',
  '\u007f',
  'é',
  '€',
  '\u2028',
  '\ufeff',
  '😀', // a surrogate pair
  '\ud800', // lone high surrogate
  '\udfff', // lone low surrogate
];

const NUMBERS = [
  0,
  -0,
  1,
  -1,
  42,
  2.5,
  -0.001,
  0.1 + 0.2,
  1e21,
  -1e21,
  1.7976931348623157e308,
  -1.7976931348623157e308,
  5e-324,
  -2.2250738585072014e-308,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
  123456789012345680000,
  NaN,
  Infinity,
  -Infinity,
];

function randomString(next: () => number): string {
  const length = Math.floor(next() * 12);
  let text = '';
  for (let i = 0; i < length; i++) text += UNITS[Math.floor(next() * UNITS.length)];
  return text;
}

function randomValue(next: () => number, depth: number): unknown {
  const roll = next();
  if (depth > 4 || roll < 0.45) {
    const kind = Math.floor(next() * 8);
    switch (kind) {
      case 0:
        return randomString(next);
      case 1:
        return NUMBERS[Math.floor(next() * NUMBERS.length)];
      case 2:
        return Math.floor((next() - 0.5) * 2 ** 53);
      case 3:
        return next() - 0.5;
      case 4:
        return next() < 0.5;
      case 5:
        return null;
      case 6:
        return undefined;
      default:
        return Math.round((next() - 0.5) * 1e6) / 1000;
    }
  }
  const size = Math.floor(next() * 5);
  if (roll < 0.75) {
    const list: unknown[] = [];
    for (let i = 0; i < size; i++) list.push(randomValue(next, depth + 1));
    return list;
  }
  const record: Record<string, unknown> = {};
  for (let i = 0; i < size; i++) record[randomString(next)] = randomValue(next, depth + 1);
  return record;
}

/** `inner` wrapped in `depth` levels of `[…]`. */
function nestInArrays(depth: number, inner: unknown): unknown[] {
  let value: unknown = inner;
  for (let i = 0; i < depth; i++) value = [value];
  return value as unknown[];
}

/** `inner` wrapped in `depth` levels of `{ a: … }`. */
function nestInObjects(depth: number, inner: unknown): unknown {
  let value = inner;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('frame-size', () => {
  describe('utf8Length()', () => {
    for (const text of [
      '',
      'plain ascii',
      'héllo',
      '€uro',
      '😀 emoji',
      '\ud83d',
      'x\ud83d',
      '\ud83dx',
      '\ude00',
      '\ude00\ud83d',
      '\ud83d\ud83d\ude00',
      '\u0000\u007f\u0080\u07ff\u0800\uffff',
    ]) {
      it(`counts ${JSON.stringify(text)} as TextEncoder writes it`, () => {
        expect(utf8Length(text)).to.equal(textBytes(text));
      });
    }
  });

  describe('exceedsBytes() of text frames', () => {
    for (const [name, text] of [
      ['ASCII', 'a'.repeat(10)],
      ['two-byte characters', 'é'.repeat(5)],
      ['three-byte characters', '€'.repeat(4)],
      ['mixed widths', 'aé€😀'],
      ['surrogate pairs', '😀'.repeat(3)],
      ['a lone high surrogate', '\ud83d'],
      ['a lone low surrogate', '\ude00'],
      ['a high surrogate before ASCII', 'a\ud83db'],
      ['a high surrogate at the end', 'abc\ud83d'],
      ['two high surrogates', '\ud83d\ud83d'],
      ['a low surrogate before a high one', '\ude00\ud83d'],
      ['a long mixed text', `${'x'.repeat(100)}€${'😀'.repeat(20)}\ud800é`],
    ] as const) {
      it(`measures ${name} exactly at the limit ± 1`, () => {
        const size = textBytes(text);
        expect(size).to.be.greaterThan(0);
        expectExactLimit(text, size);
      });
    }

    it('counts bytes, not characters', () => {
      // 4 characters, 12 bytes: within 12, over 11, though 4 characters are "short".
      expect(exceedsBytes('€€€€', 12)).to.equal(false);
      expect(exceedsBytes('€€€€', 11)).to.equal(true);
      expect(exceedsBytes('€€€€', 4)).to.equal(true);
      // A surrogate pair is 4 bytes, not 6.
      expect(exceedsBytes('😀😀', 8)).to.equal(false);
      expect(exceedsBytes('😀😀', 7)).to.equal(true);
    });

    it('never exceeds for the empty text, even at limit 0', () => {
      expect(exceedsBytes('', 0)).to.equal(false);
      expect(exceedsBytes('a', 0)).to.equal(true);
    });
  });

  describe('exceedsBytes() of binary frames', () => {
    it('measures byteLength exactly at the limit ± 1', () => {
      expectExactLimit(new Uint8Array(10), 10);
      expectExactLimit(Buffer.alloc(1), 1);
    });

    it('measures a view by its own byteLength, not its buffer', () => {
      const view = Buffer.alloc(100).subarray(10, 20);
      expect(view.buffer.byteLength).to.be.greaterThan(20);
      expectExactLimit(view, 10);
      expectExactLimit(new Uint8Array(new ArrayBuffer(64), 8, 16), 16);
    });

    it('measures an empty binary frame as 0', () => {
      expect(exceedsBytes(new Uint8Array(0), 0)).to.equal(false);
    });
  });

  describe('exceedsBytes() of structured frames', () => {
    const frames: [string, StructuredFrame][] = [
      ['a short message', ['chat', { text: 'hi' }]],
      ['quotes and backslashes', ['chat', 'he said "hi" \\ back\\slash "']],
      ['control characters', ['chat', '\u0000\u0001\b\f\n\r\t\u001f\u007f']],
      ['non-ASCII text', ['chat', { text: 'héllo wörld € 中文 😀' }]],
      ['lone surrogates (escaped by JSON)', ['chat', '\ud800 and \udfff']],
      ['non-ASCII and escaped keys', ['chat', { ключ: 'значение', 'a"b': 1, '\n': 2, '': 3 }]],
      ['numbers', ['n', [0, -1, 2.5, 1e21, 5e-324, 0.1 + 0.2, -1.7976931348623157e308]]],
      ['non-finite numbers (written as null)', ['n', [NaN, Infinity, -Infinity]]],
      ['booleans and null', [0, 't', null, [true, false, null]]],
      ['undefined members (left out) and elements (null)', ['t', { a: undefined, b: [undefined] }]],
      ['a control frame', [5, 12, { code: 'UNAUTHORIZED', message: 'may not join "x"' }]],
      ['a long string', ['chat', 'x'.repeat(5_000)]],
      ['a long string of escapes', ['chat', '\u0001'.repeat(1_000)]],
      ['many small elements', ['list', Array.from({ length: 1_000 }, (_, i) => i % 7)]],
      ['nested containers', ['deep', nestInObjects(30, [{ x: ['é', 1] }])]],
      ['an empty frame', []],
    ];
    for (const [name, frame] of frames) {
      it(`measures ${name} exactly at the limit ± 1`, () => {
        expectExactLimit(frame, jsonBytes(frame));
      });
    }

    it('measures a frame whose text is far under its bound exactly', () => {
      // 6 bytes per code unit is assumed; plain ASCII takes 1, so the exact path decides.
      const frame = ['chat', 'a'.repeat(600)];
      const size = jsonBytes(frame);
      expect(structuredBound(frame, Infinity)).to.be.greaterThan(size + 1);
      expectExactLimit(frame, size);
    });

    it('measures random structured frames exactly at the limit ± 1', () => {
      const next = seeded(0x5eed);
      for (let i = 0; i < 200; i++) {
        const frame = ['rand', randomValue(next, 0)];
        expectExactLimit(frame, jsonBytes(frame));
      }
    });
  });

  describe('structuredBound()', () => {
    const values: [string, unknown][] = [
      ['a string', 'abc'],
      ['the empty string', ''],
      ['escapes', '\u0000"\\\u001f\n'],
      ['a lone surrogate', '\ud800'],
      ['an emoji', '😀'],
      ['a number', -1.7976931348623157e308],
      ['true / false / null', [true, false, null]],
      ['undefined in an array', [undefined, undefined]],
      ['a function member (left out)', { f: () => 1 }],
      ['the empty containers', [[], {}, [{}], { a: [] }]],
      ['an empty key', { '': '' }],
      ['keys needing escapes', { '"': 1, '\u0001': 2, é: 3 }],
    ];
    for (const [name, value] of values) {
      it(`is at least the real JSON size of ${name}`, () => {
        const real = jsonBytes(value);
        expect(structuredBound(value, Number.MAX_SAFE_INTEGER)).to.be.at.least(real);
        expect(structuredBound(value, Infinity)).to.be.at.least(real);
      });
    }

    it('is at least the real JSON size of 2,000 random values (seeded)', () => {
      const next = seeded(20_240_506);
      for (let i = 0; i < 2_000; i++) {
        const value = randomValue(next, 0);
        const text = JSON.stringify(value) as string | undefined;
        if (text === undefined) continue; // a top-level undefined has no JSON text
        const bound = structuredBound(value, Number.MAX_SAFE_INTEGER);
        expect(bound, text).to.be.at.least(Buffer.byteLength(text));
      }
    });

    it('is at least the real size of every string of one repeated unit', () => {
      for (const unit of UNITS) {
        const value = [unit.repeat(50), { [unit]: unit }];
        expect(structuredBound(value, Infinity), JSON.stringify(unit)).to.be.at.least(
          jsonBytes(value),
        );
      }
    });

    it('stops soon after passing stopAbove in a huge object', () => {
      const huge: Record<string, string> = {};
      for (let i = 0; i < 50_000; i++) huge[`k${i}`] = 'value';
      const full = structuredBound(huge, Number.MAX_SAFE_INTEGER);
      expect(full).to.be.greaterThan(1_000_000);
      const early = structuredBound(huge, 100);
      expect(early).to.be.greaterThan(100);
      // One member (key of at most 6 units, value 'value') adds at most 6·6 + 4 + 6·5 + 2 = 72.
      expect(early).to.be.at.most(100 + 72);
    });

    it('stops soon after passing stopAbove in a huge array', () => {
      const huge = Array.from({ length: 200_000 }, () => ['some text', 1]);
      const full = structuredBound(huge, Number.MAX_SAFE_INTEGER);
      const early = structuredBound(huge, 100);
      expect(early).to.be.greaterThan(100);
      expect(early).to.be.lessThan(full / 10);
      // The element count alone passes 100; nothing more than the first element is added.
      expect(early).to.be.at.most(2 + 200_000 + 4 + 9 * 6 + 2 + 24);
    });

    it('stops soon after passing stopAbove in a huge array of arrays of strings', () => {
      const huge = Array.from({ length: 1_000 }, () =>
        Array.from({ length: 1_000 }, () => 'xxxxxxxx'),
      );
      const early = structuredBound([huge], 5_000);
      expect(early).to.be.greaterThan(5_000);
      expect(early).to.be.lessThan(20_000);
    });

    it('stops soon after passing stopAbove beyond the switch to an explicit stack', () => {
      const huge = nestInArrays(
        1_000,
        Array.from({ length: 100_000 }, () => 'xxxxxxxx'),
      );
      const early = structuredBound(huge, 200_000);
      expect(early).to.be.greaterThan(200_000);
      expect(early).to.be.lessThan(2 * 200_000);
      expect(structuredBound(huge, Number.MAX_SAFE_INTEGER)).to.be.greaterThan(5_000_000);
    });

    it('walks 100,000-deep arrays without overflowing, and bounds their size', () => {
      const deep = nestInArrays(100_000, 'bottom');
      // JSON.stringify itself cannot write this; the text would be 100,000 brackets each side.
      const real = 2 * 100_000 + jsonBytes('bottom');
      expect(structuredBound(deep, Number.MAX_SAFE_INTEGER)).to.be.at.least(real);
      expect(structuredBound(deep, 1_000)).to.be.greaterThan(1_000);
    });

    it('walks 100,000-deep objects without overflowing, and bounds their size', () => {
      const deep = nestInObjects(100_000, { leaf: 'é' });
      // Each level writes `{"a":` and `}`: 6 bytes.
      const real = 100_000 * 6 + jsonBytes({ leaf: 'é' });
      expect(structuredBound(deep, Number.MAX_SAFE_INTEGER)).to.be.at.least(real);
      expect(structuredBound(deep, 1_000)).to.be.greaterThan(1_000);
    });

    it('bounds values nested just around the switch to an explicit stack', () => {
      for (const depth of [190, 199, 200, 201, 202, 210, 400]) {
        const value = nestInArrays(depth, { text: '"é"', list: [1, true, null] });
        expect(structuredBound(value, Infinity), String(depth)).to.be.at.least(jsonBytes(value));
        const objects = nestInObjects(depth, ['\u0001', { k: 2.5 }]);
        expect(structuredBound(objects, Infinity), String(depth)).to.be.at.least(
          jsonBytes(objects),
        );
      }
    });
  });

  describe('frameSize()', () => {
    it('is the byte length of binary frames and the UTF-16 length of text frames', () => {
      expect(frameSize(new Uint8Array(7), Number.MAX_SAFE_INTEGER)).to.equal(7);
      expect(frameSize(Buffer.alloc(50).subarray(5, 8), Number.MAX_SAFE_INTEGER)).to.equal(3);
      for (const text of ['', 'ascii', 'é€', '😀😀', '\ud800']) {
        expect(frameSize(text, Number.MAX_SAFE_INTEGER), JSON.stringify(text)).to.equal(
          text.length,
        );
      }
    });

    it('is the exact JSON size of structured frames', () => {
      const next = seeded(7);
      for (let i = 0; i < 300; i++) {
        const frame = ['rand', randomValue(next, 0), randomValue(next, 0)];
        expect(frameSize(frame, Number.MAX_SAFE_INTEGER)).to.equal(jsonBytes(frame));
      }
    });

    it('stops soon after stopAbove, so a cyclic value ends too', () => {
      const cyclic: unknown[] = [];
      cyclic.push(cyclic, cyclic);
      const size = frameSize([cyclic], 10_000);
      expect(size).to.be.above(10_000).and.below(20_000);
    });

    it('measures a 100,000-deep structured frame without overflowing', () => {
      const deep = nestInArrays(100_000, 0);
      expect(frameSize(deep, Number.MAX_SAFE_INTEGER)).to.equal(2 * 100_000 + 1);
    });
  });

  describe('regressions', () => {
    it('counts 25 bytes for the longest numbers, so 17-digit negatives near 1e-6 are not undercounted', () => {
      const frame = ['n', new Array(50).fill(-1.2345678901234567e-6)];
      const size = jsonBytes(frame);
      expect(structuredBound(frame, Infinity)).to.be.at.least(size);
      expectExactLimit(frame, size);
    });

    it('measures a frame too deep for JSON.stringify near the limit exactly, without a RangeError', () => {
      // ["chat",{"deep":[[…0…]],"pad":"x…"}]: 8 + 8 + 10,001 + 7 + 180,002 + 2 bytes.
      const frame = ['chat', { deep: nestInArrays(5_000, 0), pad: 'x'.repeat(180_000) }];
      const size = 190_028;
      expect(() => JSON.stringify(frame)).to.throw(RangeError);
      expect(structuredSize(frame, Infinity)).to.equal(size);
      expect(exceedsBytes(frame, 1024 * 1024)).to.equal(false);
      expectExactLimit(frame, size);
    });

    it('sizes the Dates CompactCodec leaves in outgoing frames as their JSON strings', () => {
      const frame = ['t', { at: new Date(0), list: [new Date(8.64e15), new Date(NaN)] }];
      const size = jsonBytes(frame);
      expect(structuredSize(frame, Infinity)).to.equal(size);
      expect(structuredBound(frame, Infinity)).to.be.at.least(size);
      expectExactLimit(frame, size);
    });

    it('structuredSize is exact for escapes, surrogates and omitted members', () => {
      const frame = [
        'x',
        { q: '"\\\b\f\n\r\t\u0001\u001f', s: '😀 \ud800 \udfff é €', gone: undefined, f: () => 1 },
        [undefined, () => 1, NaN, Infinity, -0, 1e21, true, false, null, {}, []],
      ];
      expect(structuredSize(frame, Infinity)).to.equal(jsonBytes(frame));
    });
  });
});
