import { expect } from 'chai';
import * as mochaModule from 'mocha';
import { resolveRunner, type TestRunner } from '../../contracts/runner.js';

/** One call a fake runner received: the function's name and its arguments. */
interface Call {
  name: string;
  args: unknown[];
}

/**
 * A fake framework module that records every call. `extra` adds the exports that tell frameworks
 * apart (node:test's `mock` and `run`, vitest's `vi`, mocha's `after`).
 */
function fakeRunner(hooks: ('after' | 'afterAll')[], extra: Record<string, unknown> = {}) {
  const calls: Call[] = [];
  const record =
    (name: string) =>
    (...args: unknown[]): void => {
      calls.push({ name, args });
    };
  const it = Object.assign(record('it'), { skip: record('it.skip') });
  const runner: Record<string, unknown> = {
    describe: (title: string, body: () => void) => {
      calls.push({ name: 'describe', args: [title, body] });
      body.call({ timeout: record('describe this.timeout') });
    },
    it,
    afterEach: record('afterEach'),
    ...extra,
  };
  for (const hook of hooks) runner[hook] = record(hook);
  return { runner: runner as unknown as TestRunner, calls };
}

/** Registers one test, one afterEach and one afterAll through the seam. */
function registerThrough(runner: TestRunner): void {
  const seam = resolveRunner(runner);
  seam.group('group', 1234, () => {
    seam.test('a test', 1234, () => Promise.resolve());
    seam.afterEach(1234, () => Promise.resolve());
    seam.afterAll(1234, () => Promise.resolve());
  });
}

/** Calls a recorded body with a mocha-like `this` and returns the timeouts it set. */
function timeoutsSetBy(body: unknown): number[] {
  const set: number[] = [];
  void (body as (this: unknown) => unknown).call({ timeout: (ms: number) => set.push(ms) });
  return set;
}

describe('resolveRunner()', () => {
  it('calls node:test (it exports mock and run) with options objects', () => {
    const { runner, calls } = fakeRunner(['after'], { mock: {}, run: () => undefined });
    registerThrough(runner);
    const test = calls.find((c) => c.name === 'it')!;
    expect(test.args).to.have.length(3);
    expect(test.args[0]).to.equal('a test');
    expect(test.args[1]).to.deep.equal({ timeout: 1234 });
    expect(test.args[2]).to.be.a('function');
    for (const hook of ['afterEach', 'after']) {
      const call = calls.find((c) => c.name === hook)!;
      expect(call.args[0], hook).to.be.a('function');
      expect(call.args[1], hook).to.deep.equal({ timeout: 1234 });
    }
  });

  it("calls a module with after but no mock (mocha's) as it(title, fn) with this.timeout", () => {
    const { runner, calls } = fakeRunner(['after']);
    registerThrough(runner);
    const test = calls.find((c) => c.name === 'it')!;
    expect(test.args).to.have.length(2);
    expect(test.args[1]).to.be.a('function');
    expect(timeoutsSetBy(test.args[1])).to.deep.equal([1234]);
    for (const hook of ['afterEach', 'after']) {
      const call = calls.find((c) => c.name === hook)!;
      expect(call.args, hook).to.have.length(1);
      expect(timeoutsSetBy(call.args[0]), hook).to.deep.equal([1234]);
    }
  });

  it('treats a module with mock but no run() as mocha-style, not node:test', () => {
    const { runner, calls } = fakeRunner(['after'], { mock: {} });
    registerThrough(runner);
    expect(calls.find((c) => c.name === 'it')!.args[1]).to.be.a('function');
  });

  it('calls a runner with only afterAll (vitest, jest) with a trailing timeout', () => {
    const { runner, calls } = fakeRunner(['afterAll'], { vi: {} });
    registerThrough(runner);
    const test = calls.find((c) => c.name === 'it')!;
    expect(test.args).to.have.length(3);
    expect(test.args[1]).to.be.a('function');
    expect(test.args[2]).to.equal(1234);
    for (const hook of ['afterEach', 'afterAll']) {
      const call = calls.find((c) => c.name === hook)!;
      expect(call.args[0], hook).to.be.a('function');
      expect(call.args[1], hook).to.equal(1234);
    }
  });

  it('rejects a runner with neither after nor afterAll', () => {
    const { runner } = fakeRunner([]);
    expect(() => resolveRunner(runner))
      .to.throw(TypeError)
      .with.property('message')
      .that.includes('neither after() nor afterAll()');
  });
});

// The real mocha module passed as `runner`: registration must not throw, and the tests must run.
const seam = resolveRunner(mochaModule);
let ranAfterEach = 0;
seam.group('resolveRunner() with the mocha module passed explicitly', 3000, () => {
  seam.afterEach(3000, () => {
    ranAfterEach++;
    return Promise.resolve();
  });
  seam.test('runs a test registered through the seam', 3000, () => Promise.resolve());
  seam.test('runs afterEach after the previous test', 3000, () => {
    expect(ranAfterEach).to.equal(1);
    return Promise.resolve();
  });
});
