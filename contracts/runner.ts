// The contract suites register their tests through this small seam instead of one framework's
// globals, so they run under mocha, node:test, vitest, jest or anything with the same functions.

/** A test body as the suites write it: no arguments, no `this`. */
export type ContractTestFn = () => Promise<void>;

/**
 * The functions of a test framework the suites need, as the framework exports them. Pass the
 * module itself:
 *
 * - `node:test`: `import * as nodeTest from 'node:test'` → `runner: nodeTest`
 * - vitest: `import * as vitest from 'vitest'` → `runner: vitest`
 * - mocha: `import * as mocha from 'mocha'` → `runner: mocha`, or omit `runner`
 * - jest, or vitest with `globals: true`: omit `runner`; the globals are used.
 *
 * Shapes are told apart positively: node:test (it exports `mock` and `run`) is called as
 * `it(title, { timeout }, fn)`; any other runner with `after` (mocha) as `it(title, fn)` with
 * `this.timeout(ms)` inside; one with only `afterAll` (vitest, jest) as `it(title, fn, timeout)`.
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
  /** node:test's mock tracker: with `run`, what tells node:test from mocha. */
  mock?: unknown;
  /** node:test's programmatic entry point. */
  run?: unknown;
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
  const style = runnerStyle(source, runner !== undefined);
  if (style === undefined) return explicitMissingAfter(where);
  const afterFn = source[style === 'trailing' ? 'afterAll' : 'after'] as Loose;
  // Wraps a body so that mocha, which reads `this.timeout()`, is told the bound too.
  const withMochaTimeout = (timeout: number, fn: () => Promise<void>) =>
    function (this: unknown): Promise<void> {
      setMochaTimeout(this, timeout);
      return fn();
    };

  return {
    group(title, timeout, body) {
      describe(title, function (this: unknown) {
        setMochaTimeout(this, timeout);
        body();
      });
    },
    test(title, timeout, fn) {
      if (style === 'options') it(title, { timeout }, () => fn());
      else if (style === 'mocha') it(title, withMochaTimeout(timeout, fn));
      else it(title, withMochaTimeout(timeout, fn), timeout);
    },
    skip(title) {
      skip(title, () => undefined);
    },
    afterEach(timeout, fn) {
      if (style === 'options') afterEach(() => fn(), { timeout });
      else if (style === 'mocha') afterEach(withMochaTimeout(timeout, fn));
      else afterEach(withMochaTimeout(timeout, fn), timeout);
    },
    afterAll(timeout, fn) {
      if (style === 'options') afterFn(() => fn(), { timeout });
      else if (style === 'mocha') afterFn(withMochaTimeout(timeout, fn));
      else afterFn(withMochaTimeout(timeout, fn), timeout);
    },
  };
}

/**
 * How a runner takes a timeout: `options` (node:test: `it(title, { timeout }, fn)`), `mocha`
 * (`it(title, fn)`, the body calls `this.timeout(ms)`) or `trailing` (vitest, jest:
 * `it(title, fn, timeout)`); undefined when it has neither `after` nor `afterAll`.
 */
function runnerStyle(
  source: Record<string, unknown>,
  given: boolean,
): 'options' | 'mocha' | 'trailing' | undefined {
  const hasAfter = typeof source.after === 'function';
  // node:test is recognised by what only it exports: a `mock` tracker and `run()`. Mocha's module
  // also exports `after`, so `after` alone says nothing about the calling convention.
  if (given && hasAfter && isNodeTest(source)) return 'options';
  if (hasAfter) return 'mocha';
  if (typeof source.afterAll === 'function') return 'trailing';
  return undefined;
}

function isNodeTest(source: Record<string, unknown>): boolean {
  const { mock } = source;
  return (
    (typeof mock === 'object' || typeof mock === 'function') &&
    mock !== null &&
    typeof source.run === 'function'
  );
}

function explicitMissingAfter(where: string): never {
  throw new TypeError(
    `contract suite: ${where} has neither after() nor afterAll(): pass options.runner (the node:test or vitest module)`,
  );
}
