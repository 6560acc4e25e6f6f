import { expect } from 'chai';
import {
  ContractAssertionError,
  deepEqual,
  expect as contractExpect,
} from '../../contracts/assert.js';
import { jsonDifference } from '../../contracts/helpers.js';

/** Runs a contract assertion and returns the error it threw, or undefined when it passed. */
function failureOf(check: () => unknown): ContractAssertionError | undefined {
  try {
    check();
  } catch (error) {
    expect(error).to.be.instanceOf(ContractAssertionError);
    return error as ContractAssertionError;
  }
  return undefined;
}

describe('contracts/assert deepEqual()', () => {
  const different: [string, unknown, unknown][] = [
    ['Maps with different entries', new Map([[1, 2]]), new Map()],
    ['Maps with different values', new Map([[1, 2]]), new Map([[1, 3]])],
    ['Maps with different keys', new Map([[1, 2]]), new Map([[2, 2]])],
    ['Sets with different members', new Set([1]), new Set([2])],
    ['Sets of different sizes', new Set([1, 2]), new Set([1])],
    ['ArrayBuffers of different lengths', new ArrayBuffer(2), new ArrayBuffer(3)],
    ['ArrayBuffers with different bytes', Uint8Array.of(1).buffer, Uint8Array.of(2).buffer],
    ['Dates with different times', new Date(0), new Date(1)],
    ['a hole and undefined', [, 1], [undefined, 1]], // eslint-disable-line no-sparse-arrays
    ['a sparse array and a full one', new Array(3), [1, 2, 3]],
    ['a Map and an empty object', new Map([[1, 2]]), {}],
    ['an empty Map and an empty object', new Map(), {}],
    ['a Date and an empty object', new Date(0), {}],
    ['an ArrayBuffer and an empty object', new ArrayBuffer(0), {}],
    ['a class instance and a plain object', new (class Point {})(), {}],
  ];
  for (const [what, a, b] of different) {
    it(`tells apart ${what}`, () => {
      expect(deepEqual(a, b), `${what}`).to.equal(false);
      expect(deepEqual(b, a), `${what}, swapped`).to.equal(false);
    });
  }

  const same: [string, unknown, unknown][] = [
    ['Maps with equal entries', new Map([[1, { a: [1] }]]), new Map([[1, { a: [1] }]])],
    ['Sets with the same members', new Set([1, 'a']), new Set(['a', 1])],
    ['equal ArrayBuffers', Uint8Array.of(1, 2).buffer, Uint8Array.of(1, 2).buffer],
    ['equal Dates', new Date(5), new Date(5)],
    ['two sparse arrays with the same holes', new Array(2), new Array(2)],
    ['a Buffer and a Uint8Array of the same bytes', Buffer.from([1, 2]), Uint8Array.of(1, 2)],
    [
      'a null-prototype object and a plain one',
      Object.assign(Object.create(null), { a: 1 }),
      { a: 1 },
    ],
    ['nested plain values', { a: [1, { b: NaN }], c: null }, { c: null, a: [1, { b: NaN }] }],
  ];
  for (const [what, a, b] of same) {
    it(`equates ${what}`, () => {
      expect(deepEqual(a, b), what).to.equal(true);
    });
  }

  it('makes deep.equal fail for a Map against {}', () => {
    expect(failureOf(() => contractExpect(new Map([[1, 2]])).to.deep.equal({}))).to.not.equal(
      undefined,
    );
  });
});

describe('contracts/helpers jsonDifference()', () => {
  it('reports a Map where a JSON object was expected', () => {
    expect(jsonDifference(new Map([[1, 2]]), {})).to.include('expected a plain object');
    expect(jsonDifference(new Map(), {})).to.include('expected a plain object');
  });

  it('reports a Date where a JSON object was expected', () => {
    expect(jsonDifference([new Date(0)], [{}])).to.include('value[0]');
  });

  it('accepts plain and null-prototype objects', () => {
    expect(jsonDifference({ a: 1 }, { a: 1 })).to.equal(undefined);
    expect(jsonDifference(Object.assign(Object.create(null), { a: 1 }), { a: 1 })).to.equal(
      undefined,
    );
  });

  it('reports a hole where a value was expected', () => {
    expect(jsonDifference(new Array(2), [1, 2])).to.include('value[0]');
  });
});

describe('contracts/assert type checks', () => {
  it('fails throw() on a value that is not a function, negated or not', () => {
    for (const value of [undefined, null, 1, 'f', {}]) {
      expect(
        failureOf(() => contractExpect(value).to.throw()),
        JSON.stringify(value) ?? 'undefined',
      ).to.not.equal(undefined);
      expect(
        failureOf(() => contractExpect(value).to.throw(TypeError)),
        JSON.stringify(value) ?? 'undefined',
      ).to.not.equal(undefined);
      expect(
        failureOf(() => contractExpect(value).to.not.throw()),
        JSON.stringify(value) ?? 'undefined',
      ).to.not.equal(undefined);
    }
    expect(failureOf(() => contractExpect(undefined).to.throw())!.message).to.include(
      'to be a function',
    );
  });

  it('still passes throw() on a function that throws, and not.throw() on one that returns', () => {
    const thrower = (): never => {
      throw new RangeError('x');
    };
    expect(failureOf(() => contractExpect(thrower).to.throw(RangeError))).to.equal(undefined);
    expect(failureOf(() => contractExpect(() => 1).to.not.throw())).to.equal(undefined);
  });

  it('fails empty and not.empty on a value without a length', () => {
    for (const value of [1, undefined, null, { a: 1 }, true]) {
      expect(
        failureOf(() => contractExpect(value).to.be.empty),
        JSON.stringify(value) ?? 'undefined',
      ).to.not.equal(undefined);
      expect(
        failureOf(() => contractExpect(value).to.not.be.empty),
        JSON.stringify(value) ?? 'undefined',
      ).to.not.equal(undefined);
    }
    expect(failureOf(() => contractExpect('a').to.not.be.empty)).to.equal(undefined);
    expect(failureOf(() => contractExpect([]).to.be.empty)).to.equal(undefined);
    expect(failureOf(() => contractExpect(new Set()).to.be.empty)).to.equal(undefined);
  });

  it('fails include and not.include on a value that is not a string, array or set', () => {
    for (const value of [1, undefined, null, { a: 1 }]) {
      expect(
        failureOf(() => contractExpect(value).to.include('a')),
        JSON.stringify(value) ?? 'undefined',
      ).to.not.equal(undefined);
      expect(
        failureOf(() => contractExpect(value).to.not.include('a')),
        JSON.stringify(value) ?? 'undefined',
      ).to.not.equal(undefined);
    }
    expect(failureOf(() => contractExpect('abc').to.not.include('d'))).to.equal(undefined);
    expect(failureOf(() => contractExpect([1]).to.not.include(2))).to.equal(undefined);
    expect(failureOf(() => contractExpect(new Set([1])).to.include(1))).to.equal(undefined);
  });

  it('fails the numeric comparisons on a non-number, negated or not', () => {
    for (const value of [undefined, '1', null]) {
      expect(failureOf(() => contractExpect(value).to.not.be.below(0))).to.not.equal(undefined);
      expect(failureOf(() => contractExpect(value).to.not.be.above(5))).to.not.equal(undefined);
      expect(failureOf(() => contractExpect(value).to.not.be.within(2, 3))).to.not.equal(undefined);
      expect(failureOf(() => contractExpect(value).to.not.be.at.most(-1))).to.not.equal(undefined);
      expect(failureOf(() => contractExpect(value).to.not.be.at.least(9))).to.not.equal(undefined);
    }
    expect(failureOf(() => contractExpect(3).to.be.within(2, 3).and.not.below(1))).to.equal(
      undefined,
    );
  });
});
