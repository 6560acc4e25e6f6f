// The contract suites' own assertions: a small, dependency-free subset of the familiar
// `expect(actual).to.…` style, so the suites run under any test runner without chai. Every failure
// is a `ContractAssertionError` carrying `expected` and `actual` (runners such as mocha show a diff
// from them) and a message that states both in words.

/** The error every failed contract assertion throws. */
export class ContractAssertionError extends Error {
  /** What the promise required. */
  readonly expected: unknown;
  /** What the adapter did. */
  readonly actual: unknown;
  /** Tells runners that print diffs (mocha, vitest) to print one. */
  readonly showDiff: boolean;

  /**
   * @param message the broken promise, in words, with the expected and actual values.
   * @param details the raw values, for runners that print diffs.
   */
  constructor(message: string, details: { expected?: unknown; actual?: unknown; diff?: boolean }) {
    super(message);
    // The conventional name: reporters recognise `AssertionError` as a failed check, not a crash.
    this.name = 'AssertionError';
    this.expected = details.expected;
    this.actual = details.actual;
    this.showDiff = details.diff ?? false;
  }
}

const MAX_SHOWN = 160;

/** A short, readable rendering of any value for a failure message. */
export function show(value: unknown, depth = 0): string {
  if (typeof value === 'string') return truncate(JSON.stringify(value));
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (value === null || typeof value !== 'object') {
    return typeof value === 'function' ? `[function ${value.name || 'anonymous'}]` : String(value);
  }
  if (value instanceof Error) return `${value.name}: ${truncate(value.message)}`;
  if (value instanceof Uint8Array) {
    const head = Array.from(value.subarray(0, 16)).join(', ');
    return `Uint8Array(${value.byteLength}) [${head}${value.byteLength > 16 ? ', …' : ''}]`;
  }
  if (depth > 2) return Array.isArray(value) ? `[Array(${value.length})]` : '{…}';
  if (Array.isArray(value)) {
    const items = value.slice(0, 10).map((item) => show(item, depth + 1));
    return truncate(`[${items.join(', ')}${value.length > 10 ? `, … ${value.length} items` : ''}]`);
  }
  const entries = Object.entries(value as Record<string, unknown>).slice(0, 10);
  return truncate(`{ ${entries.map(([k, v]) => `${k}: ${show(v, depth + 1)}`).join(', ')} }`);
}

function truncate(text: string): string {
  return text.length <= MAX_SHOWN ? text : `${text.slice(0, MAX_SHOWN - 1)}…`;
}

/**
 * Structural equality: primitives by `===` (and NaN equals NaN), byte views by type-independent
 * byte content, ArrayBuffers by bytes, Dates by time, Maps by entries (keys by identity, values
 * structurally), Sets by members (by identity), arrays by items (a hole is not `undefined`), errors
 * by name and message, other objects by prototype (`null` counts as plain) and own enumerable keys.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && sameBytes(a, b);
  }
  if (a instanceof ArrayBuffer || b instanceof ArrayBuffer) {
    return (
      a instanceof ArrayBuffer &&
      b instanceof ArrayBuffer &&
      sameBytes(new Uint8Array(a), new Uint8Array(b))
    );
  }
  if (a instanceof Error || b instanceof Error) {
    return a instanceof Error && b instanceof Error && a.name === b.name && a.message === b.message;
  }
  if (plainPrototype(a) !== plainPrototype(b)) return false;
  if (a instanceof Date) return Object.is(a.getTime(), (b as Date).getTime());
  if (a instanceof Map) {
    const other = b as Map<unknown, unknown>;
    if (a.size !== other.size) return false;
    for (const [key, value] of a) {
      if (!other.has(key) || !deepEqual(value, other.get(key))) return false;
    }
    return true;
  }
  if (a instanceof Set) {
    const other = b as Set<unknown>;
    if (a.size !== other.size) return false;
    for (const member of a) if (!other.has(member)) return false;
    return true;
  }
  if (Array.isArray(a)) {
    const other = b as unknown[];
    if (a.length !== other.length) return false;
    for (let i = 0; i < a.length; i++) {
      if (i in a !== i in other || !deepEqual(a[i], other[i])) return false;
    }
    return true;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const rb = b as Record<string, unknown>;
  const ra = a as Record<string, unknown>;
  return ka.every((key) => Object.hasOwn(rb, key) && deepEqual(ra[key], rb[key]));
}

/** An object's prototype, with `null` (as `querystring.parse` makes) counted as a plain object's. */
function plainPrototype(value: object): unknown {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === null ? Object.prototype : prototype;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Uint8Array) return 'uint8array';
  return typeof value;
}

function lengthOf(value: unknown): number | undefined {
  if (typeof value === 'string' || Array.isArray(value)) return value.length;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Map || value instanceof Set) return value.size;
  return undefined;
}

function includes(container: unknown, item: unknown): boolean {
  if (typeof container === 'string') return typeof item === 'string' && container.includes(item);
  if (Array.isArray(container)) return container.some((entry) => deepEqual(entry, item));
  if (container instanceof Set) return container.has(item);
  return false;
}

/** One chain of checks on one value, as in `expect(value).to.deep.equal(other)`. */
export class Assertion {
  readonly #actual: unknown;
  readonly #what: string | undefined;
  #negate = false;
  #deep = false;

  /** @param actual the value under test. @param what names it in failure messages. */
  constructor(actual: unknown, what?: string) {
    this.#actual = actual;
    this.#what = what;
  }

  // Readable no-op links of the chain.
  get to(): this {
    return this;
  }
  get be(): this {
    return this;
  }
  get is(): this {
    return this;
  }
  get have(): this {
    return this;
  }
  get that(): this {
    return this;
  }
  get which(): this {
    return this;
  }
  get at(): this {
    return this;
  }
  get with(): this {
    return this;
  }
  /** Starts a new clause on the same value: the negation and `deep` of the previous one end. */
  get and(): this {
    this.#negate = false;
    this.#deep = false;
    return this;
  }
  /** Negates the next check. */
  get not(): this {
    this.#negate = !this.#negate;
    return this;
  }
  /** Makes the next `equal`, `include` or `property` compare structurally. */
  get deep(): this {
    this.#deep = true;
    return this;
  }

  /** Asserts the value is empty (a string, array, byte view, map or set of length 0). */
  get empty(): this {
    const length = lengthOf(this.#actual);
    this.#fits(length !== undefined, 'a string, array, byte view, map or set', 'empty');
    return this.#check(length === 0, 'to be empty', undefined, false);
  }

  /** Asserts `===` (or structural equality after `deep`). */
  equal(expected: unknown, message?: string): this {
    const pass = this.#deep ? deepEqual(this.#actual, expected) : this.#actual === expected;
    return this.#check(
      pass,
      `to ${this.#deep ? 'deeply ' : ''}equal ${show(expected)}`,
      expected,
      true,
      message,
    );
  }

  /** Asserts the value's type: `'string'`, `'number'`, `'object'`, `'array'`, `'function'`… */
  a(type: string, message?: string): this {
    return this.#check(
      typeName(this.#actual) === type.toLowerCase(),
      `to be a ${type}`,
      undefined,
      false,
      message,
    );
  }

  /** Same as {@link a}. */
  an(type: string, message?: string): this {
    return this.a(type, message);
  }

  /** Asserts the length of a string, array, byte view, map or set. */
  length(expected: number, message?: string): this {
    const length = lengthOf(this.#actual);
    return this.#check(
      length === expected,
      `to have length ${expected} (it has ${String(length)})`,
      expected,
      false,
      message,
    );
  }

  /** Asserts an own or inherited property exists (and, with a second argument, equals it). */
  property(name: string, ...value: [] | [unknown]): this {
    const target = this.#actual;
    const has = target !== null && target !== undefined && name in Object(target);
    if (value.length === 0)
      return this.#check(has, `to have property ${show(name)}`, undefined, false);
    const actual = has ? (target as Record<string, unknown>)[name] : undefined;
    const equal = this.#deep ? deepEqual(actual, value[0]) : actual === value[0];
    return this.#check(
      has && equal,
      `to have property ${show(name)} equal to ${show(value[0])} (it is ${show(actual)})`,
      value[0],
      false,
    );
  }

  /** Asserts the same items in any order (structurally). */
  members(expected: readonly unknown[], message?: string): this {
    const actual = this.#actual;
    let pass = Array.isArray(actual) && actual.length === expected.length;
    if (pass) {
      const left = [...(actual as unknown[])];
      for (const item of expected) {
        const at = left.findIndex((entry) => deepEqual(entry, item));
        if (at < 0) {
          pass = false;
          break;
        }
        left.splice(at, 1);
      }
    }
    return this.#check(pass, `to have the members ${show(expected)}`, expected, true, message);
  }

  /** Asserts a string contains a substring, or an array or set contains an item. */
  include(item: unknown, message?: string): this {
    const container = this.#actual;
    this.#fits(
      typeof container === 'string' || Array.isArray(container) || container instanceof Set,
      'a string, array or set',
      `include ${show(item)}`,
      message,
    );
    return this.#check(
      includes(this.#actual, item),
      `to include ${show(item)}`,
      undefined,
      false,
      message,
    );
  }

  /** Same as {@link include}. */
  contain(item: unknown, message?: string): this {
    return this.include(item, message);
  }

  /** Asserts `low <= value <= high`. */
  within(low: number, high: number, message?: string): this {
    this.#number('within', message);
    const n = this.#actual as number;
    return this.#check(
      n >= low && n <= high,
      `to be within ${low}..${high}`,
      undefined,
      false,
      message,
    );
  }

  /** Asserts `value < limit`. */
  below(limit: number, message?: string): this {
    this.#number('below', message);
    return this.#check(
      (this.#actual as number) < limit,
      `to be below ${limit}`,
      undefined,
      false,
      message,
    );
  }

  /** Asserts `value > limit`. */
  above(limit: number, message?: string): this {
    this.#number('above', message);
    return this.#check(
      (this.#actual as number) > limit,
      `to be above ${limit}`,
      undefined,
      false,
      message,
    );
  }

  /** Asserts `value <= limit`. */
  most(limit: number, message?: string): this {
    this.#number('most', message);
    return this.#check(
      (this.#actual as number) <= limit,
      `to be at most ${limit}`,
      undefined,
      false,
      message,
    );
  }

  /** Asserts `value >= limit`. */
  least(limit: number, message?: string): this {
    this.#number('least', message);
    return this.#check(
      (this.#actual as number) >= limit,
      `to be at least ${limit}`,
      undefined,
      false,
      message,
    );
  }

  /** Asserts `value instanceof type`. */
  instanceOf(type: abstract new (...args: never[]) => unknown, message?: string): this {
    return this.#check(
      this.#actual instanceof type,
      `to be an instance of ${type.name}`,
      undefined,
      false,
      message,
    );
  }

  /**
   * Asserts that calling the value (a function) throws; with a constructor, an instance of it.
   * Negated, that it returns normally. Not negated, the chain goes on with the thrown value, as in
   * `expect(fn).to.throw().with.property('code', 'NOT_CONNECTED')`.
   */
  throw(type?: abstract new (...args: never[]) => unknown, message?: string): Assertion {
    // Calling a non-function throws a TypeError of its own, which must not count as the throw.
    this.#fits(typeof this.#actual === 'function', 'a function', 'throw', message);
    let thrown: unknown;
    let threw = false;
    try {
      (this.#actual as () => unknown)();
    } catch (error) {
      threw = true;
      thrown = error;
    }
    const pass = threw && (type === undefined || thrown instanceof type);
    const wanted = type === undefined ? 'to throw' : `to throw ${type.name}`;
    const outcome = threw ? `it threw ${show(thrown)}` : 'it returned normally';
    const negated = this.#negate;
    this.#check(pass, `${wanted} (${outcome})`, undefined, false, message);
    return negated ? this : new Assertion(thrown, this.#what);
  }

  /**
   * Fails, negated or not, when the value is not of a type the check applies to: `not.empty` on a
   * number or `not.throw` on a non-function would otherwise pass without checking anything.
   */
  #fits(ok: boolean, kind: string, check: string, message?: string): void {
    if (ok) return;
    const subject = [this.#what, message].filter(Boolean).join(': ');
    throw new ContractAssertionError(
      `${subject ? `${subject}: ` : ''}expected ${show(this.#actual)} to be ${kind}, to check that it is ${this.#negate ? 'not ' : ''}${check}`,
      { actual: this.#actual },
    );
  }

  /** {@link #fits} for the numeric comparisons. */
  #number(check: string, message?: string): void {
    const n = this.#actual;
    this.#fits(typeof n === 'number' || typeof n === 'bigint', 'a number', check, message);
  }

  #check(
    pass: boolean,
    requirement: string,
    expected: unknown,
    diff: boolean,
    message?: string,
  ): this {
    if (pass === this.#negate) {
      const subject = [this.#what, message].filter(Boolean).join(': ');
      const text = `${subject ? `${subject}: ` : ''}expected ${show(this.#actual)} ${this.#negate ? 'not ' : ''}${requirement}`;
      throw new ContractAssertionError(text, {
        expected,
        actual: this.#actual,
        diff: diff && !this.#negate,
      });
    }
    this.#negate = false;
    this.#deep = false;
    return this;
  }
}

/**
 * Starts a chain of checks on `actual`; `what` names the value in the failure message, in words.
 *
 * @example
 * ```ts
 * expect(info.code, 'the close code the client reports').to.equal(4002);
 * ```
 */
export function expect(actual: unknown, what?: string): Assertion {
  return new Assertion(actual, what);
}

/** Fails at once with `message`. */
expect.fail = (message: string): never => {
  throw new ContractAssertionError(message, {});
};
