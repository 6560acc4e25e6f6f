// The contract suites register their tests through this small seam instead of mocha's globals, so
// they run under mocha, node:test, vitest, jest or anything with the same four functions.

/** A test body as the suites write it: no arguments, no `this`. */
export type ContractTestFn = () => Promise<void>;

/**
 * The functions of a test framework the suites need, as the framework exports them. Pass the
 * module itself:
 *
 * - `node:test`: `import * as nodeTest from 'node:test'` → `runner: nodeTest`
 * - vitest: `import * as vitest from 'vitest'` → `runner: vitest`
 * - mocha, jest, or vitest with `globals: true`: omit `runner`; the globals are used.
 *
 * Shapes are told apart by their hooks: a runner with `after` (node:test) is called as
 * `it(title, { timeout }, fn)`; one with only `afterAll` (vitest, jest) as `it(title, fn, timeout)`.
 */
export interface TestRunner {
  /** Opens a group of tests. */
  describe: (title: string, body: () => void) => unknown;
  /** Registers a test; `it.skip` registers a skipped one. */
  it: ((...args: never[]) => unknown) & { skip: (...args: never[]) => unknown };
  /** Runs after every test of the current group. */
  afterEach: (...args: never[]) => unknown;
  /** Runs once after the current group (node:test, mocha). */
  after?: (...args: never[]) => unknown;
  /** Runs once after the current group (vitest, jest). */
  afterAll?: (...args: never[]) => unknown;
}

/** The suites' view of a runner: one calling convention whatever the framework. */
export interface ContractRunner {
  /** Opens a group; `timeout` (ms) bounds each test and hook in it where the runner needs told. */
  group(title: string, timeout: number, body: () => void): void;
  /** Registers a test the runner abandons after `timeout` ms. */
  test(title: string, timeout: number, fn: ContractTestFn): void;
  /** Registers a test that is reported as skipped. */
  skip(title: string): void;
  /** Runs `fn` after each test of the current group. */
  afterEach(timeout: number, fn: () => Promise<void>): void;
  /** Runs `fn` once after every test of the current group. */
  afterAll(timeout: number, fn: () => Promise<void>): void;
}

type Loose = (...args: unknown[]) => unknown;

/** `this` inside a mocha test, hook or describe body; undefined under other runners. */
interface MaybeMochaContext {
  timeout?: (ms: number) => unknown;
}

function setMochaTimeout(context: unknown, ms: number): void {
  const timeout = (context as MaybeMochaContext | undefined)?.timeout;
  if (typeof timeout === 'function') timeout.call(context, ms);
}

function required(source: Record<string, unknown>, name: string, where: string): Loose {
  const fn = source[name];
  if (typeof fn !== 'function') {
    throw new TypeError(
      `contract suite: ${where} has no ${name}() function: pass options.runner (the node:test or vitest module), or run under mocha, jest or vitest with globals`,
    );
  }
  return fn as Loose;
}

/**
 * Resolves the runner a suite registers its tests with: the given framework module, or the
 * global `describe`/`it`/`afterEach` of mocha, jest or vitest-with-globals.
 *
 * @throws {TypeError} when neither is usable, saying what to pass.
 */
export function resolveRunner(runner?: TestRunner): ContractRunner {
  const source = (runner ?? globalThis) as unknown as Record<string, unknown>;
  const where = runner === undefined ? 'the global scope' : 'options.runner';
  const describe = required(source, 'describe', where);
  const it = required(source, 'it', where);
  const skip = required(it as unknown as Record<string, unknown>, 'skip', `${where}.it`);
  const afterEach = required(source, 'afterEach', where);
  const after =
    typeof source.after === 'function'
      ? 'after'
      : typeof source.afterAll === 'function'
        ? 'afterAll'
        : undefined;
  if (after === undefined) return explicitMissingAfter(where);
  const afterFn = source[after] as Loose;
  // node:test takes options objects; vitest and jest a trailing number; mocha reads `this.timeout`.
  const optionsStyle = runner !== undefined && after === 'after';

  return {
    group(title, timeout, body) {
      describe(title, function (this: unknown) {
        setMochaTimeout(this, timeout);
        body();
      });
    },
    test(title, timeout, fn) {
      if (optionsStyle) {
        it(title, { timeout }, () => fn());
        return;
      }
      it(
        title,
        function (this: unknown) {
          setMochaTimeout(this, timeout);
          return fn();
        },
        timeout,
      );
    },
    skip(title) {
      skip(title, () => undefined);
    },
    afterEach(timeout, fn) {
      if (optionsStyle) afterEach(() => fn(), { timeout });
      else
        afterEach(function (this: unknown) {
          setMochaTimeout(this, timeout);
          return fn();
        }, timeout);
    },
    afterAll(timeout, fn) {
      if (optionsStyle) afterFn(() => fn(), { timeout });
      else
        afterFn(function (this: unknown) {
          setMochaTimeout(this, timeout);
          return fn();
        }, timeout);
    },
  };
}

function explicitMissingAfter(where: string): never {
  throw new TypeError(
    `contract suite: ${where} has neither after() nor afterAll(): pass options.runner (the node:test or vitest module)`,
  );
}
