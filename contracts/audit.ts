// The audit layer shared by every contract suite: each test has a stable id and a level, its
// outcome is recorded whatever runner runs it, and a run can end in a compliance report.
import { resolveRunner, type ContractRunner, type TestRunner } from './runner.js';
import { renderMarkdownReport, writeReport, type ReportTarget } from './report.js';

/** How binding a promise is: a MUST failure means non-conformance, a SHOULD failure a weakness. */
export type ContractLevel = 'MUST' | 'SHOULD';

/** What a test checks, as the suite declares it. */
export interface ContractTestSpec {
  /** Stable id, e.g. `T-CLOSE-03`: never reused for another promise, kept when a title changes. */
  readonly id: string;
  /** How binding the promise is. */
  readonly level: ContractLevel;
  /** The promise, in words. */
  readonly title: string;
  /** A capability flag the test needs; it is skipped when the manifest lacks it. */
  readonly requires?: string;
}

/**
 * What happened to one test in a run. `'not run'`: registered but never finished, because the run
 * was filtered (`--grep`, `.only`, `--test-name-pattern`) or stopped early (`--bail`).
 */
export type ContractOutcome = 'passed' | 'failed' | 'skipped' | 'not run';

/** One test's line in a {@link ContractReport}. */
export interface ContractTestResult extends ContractTestSpec {
  /** Its outcome; a test that never finished (filtered out, or the runner stopped first) is `'not run'`. */
  readonly outcome: ContractOutcome;
  /** How long it took, in milliseconds (0 when skipped or not run). */
  readonly durationMs: number;
  /** The first line of the failure, when it failed. */
  readonly error?: string;
  /** Why it was skipped, when it was. */
  readonly skipReason?: string;
}

/** Counts per outcome. */
export interface ContractTally {
  passed: number;
  failed: number;
  skipped: number;
  /** Registered but never finished: the run was filtered or stopped early. */
  notRun: number;
}

/** The compliance report of one suite run against one implementation. */
export interface ContractReport {
  /** Which suite: `transport`, `layer`, `protocol` or `fault`. */
  readonly suite: string;
  /** The implementation's name, as given to the suite. */
  readonly name: string;
  /** When the run ended (ISO 8601). */
  readonly finishedAt: string;
  /**
   * The gates the run tested against, when the suite has them: the capability manifest, plus the
   * options that turn optional tests on (`faults`, `createServerAt`; the protocol suite's options).
   */
  readonly supports?: Readonly<Record<string, boolean>>;
  /** Tallies per level. */
  readonly summary: { readonly MUST: ContractTally; readonly SHOULD: ContractTally };
  /**
   * True when the whole suite ran (no test is `'not run'`), no MUST test failed and at least one
   * passed. A filtered or interrupted run never conforms.
   */
  readonly conforms: boolean;
  /** Every test in registration order. */
  readonly tests: readonly ContractTestResult[];
}

/**
 * Where and how a run reports. A string is a directory: `<suite>-<name>.json` and `.md` are written
 * there. Either way `onReport` (when given) receives the report object.
 */
export type ContractReportOption = string | ReportTarget;

/** Options every suite shares. */
export interface AuditOptions {
  /** The test framework to register with; see {@link TestRunner}. @default the globals */
  runner?: TestRunner;
  /**
   * Write a compliance report when the suite finishes; see {@link ContractReportOption}. When
   * omitted, the environment variable `PLUGSOCKET_CONTRACT_REPORTS` (a directory), if set, is used,
   * so a CI job can collect reports without changing test files.
   */
  report?: ContractReportOption;
  /**
   * What a failed SHOULD test does: `'fail'` fails it in the runner like a MUST; `'report'` lets it
   * pass in the runner and records the failure only in the report.
   * @default 'fail'
   */
  shouldFailures?: 'fail' | 'report';
}

/**
 * Throws a `TypeError` naming the first key of `options` that is not in `known`: a misspelled gate
 * (`fault: true`, `createServerAT`) would otherwise skip its tests silently.
 */
export function rejectUnknownOptions(
  options: Record<string, unknown>,
  known: readonly string[],
  where: string,
): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(`${where}: options.${key} is not an option (known: ${known.join(', ')})`);
    }
  }
}

const ID_PATTERN = /^[A-Z]+(-[A-Z0-9]+)+$/;

/** The environment's report directory, where there is a `process` (Node, Deno, Bun). */
function reportDirFromEnvironment(): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env;
  const dir = env?.PLUGSOCKET_CONTRACT_REPORTS;
  return dir === undefined || dir === '' ? undefined : dir;
}

/** Rejects with a message naming the test when `promise` outlives `ms`. */
function bounded(promise: Promise<void>, ms: number, id: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${id} did not finish within its ${ms} ms timeout`)),
      ms,
    );
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0].slice(0, 500);
}

/**
 * One registered suite: the runner seam, the ids seen so far and the outcomes recorded. The
 * suites call {@link group}, {@link test} and {@link afterEach}; {@link finish} registers the hook
 * that writes the report.
 */
export class ContractAudit {
  /** The per-test timeout, in milliseconds. */
  readonly timeout: number;
  readonly #runner: ContractRunner;
  readonly #suite: string;
  readonly #name: string;
  readonly #supports: Readonly<Record<string, boolean>> | undefined;
  readonly #options: AuditOptions;
  readonly #specs = new Map<string, ContractTestSpec>();
  readonly #results = new Map<string, ContractTestResult>();

  /**
   * @param suite which suite this is (`transport`, `layer`, `protocol`, `fault`).
   * @param name the implementation under test.
   * @param timeout per-test timeout in ms.
   * @param options runner and report options.
   * @param supports the manifest, for gating and for the report.
   */
  constructor(
    suite: string,
    name: string,
    timeout: number,
    options: AuditOptions,
    supports?: Readonly<Record<string, boolean>>,
  ) {
    if (
      options.shouldFailures !== undefined &&
      !['fail', 'report'].includes(options.shouldFailures)
    ) {
      throw new TypeError(`${suite} contract: options.shouldFailures must be 'fail' or 'report'`);
    }
    if (
      options.report !== undefined &&
      typeof options.report !== 'string' &&
      (typeof options.report !== 'object' || options.report === null)
    ) {
      throw new TypeError(`${suite} contract: options.report must be a directory or an object`);
    }
    this.#runner = resolveRunner(options.runner);
    this.#suite = suite;
    this.#name = name;
    this.timeout = timeout;
    this.#options = options;
    this.#supports = supports;
  }

  /** Opens the top-level group of the suite and registers the report hook inside it. */
  root(body: () => void): void {
    this.#runner.group(`${this.#name} ${this.#suite} contract`, this.timeout, () => {
      body();
      this.#runner.afterAll(this.timeout, () => this.#report());
    });
  }

  /** Opens a nested group. */
  group(title: string, body: () => void): void {
    this.#runner.group(title, this.timeout, body);
  }

  /** Runs `fn` after each test of the current group, bounded by the per-test timeout. */
  afterEach(fn: () => Promise<void>): void {
    this.#runner.afterEach(this.timeout + 1000, fn);
  }

  /**
   * Registers one test. Its title carries the id, the level and, when gated, the capability:
   * `T-FRAME-07 (MUST) binary frames arrive intact [supports.binary]`.
   *
   * @throws {Error} when the id is malformed or already used: a defect of the suite itself.
   */
  test(spec: ContractTestSpec, body: () => Promise<void>): void {
    if (!ID_PATTERN.test(spec.id)) throw new Error(`contract test id ${spec.id} is malformed`);
    if (this.#specs.has(spec.id)) throw new Error(`contract test id ${spec.id} is used twice`);
    this.#specs.set(spec.id, spec);
    const gate = spec.requires === undefined ? '' : ` [supports.${spec.requires}]`;
    const title = `${spec.id} (${spec.level}) ${spec.title}${gate}`;
    if (spec.requires !== undefined && this.#supports?.[spec.requires] !== true) {
      this.#record(spec, 'skipped', 0, undefined, `the manifest does not declare ${spec.requires}`);
      this.#runner.skip(title);
      return;
    }
    // The suite bounds each test itself, so a hang is recorded as a failure under any runner; the
    // runner is told a little more so that this bound always fires first.
    this.#runner.test(title, this.timeout + 2000, async () => {
      const started = performance.now();
      try {
        await bounded(body(), this.timeout, spec.id);
      } catch (error) {
        this.#record(spec, 'failed', performance.now() - started, firstLine(error));
        if (spec.level === 'SHOULD' && this.#options.shouldFailures === 'report') return;
        throw error;
      }
      this.#record(spec, 'passed', performance.now() - started);
    });
  }

  /** The report of what has run so far. */
  snapshot(): ContractReport {
    const tests = [...this.#specs.values()].map(
      (spec): ContractTestResult =>
        this.#results.get(spec.id) ?? { ...spec, outcome: 'not run', durationMs: 0 },
    );
    const tally = (level: ContractLevel): ContractTally => {
      const of = tests.filter((t) => t.level === level);
      return {
        passed: of.filter((t) => t.outcome === 'passed').length,
        failed: of.filter((t) => t.outcome === 'failed').length,
        skipped: of.filter((t) => t.outcome === 'skipped').length,
        notRun: of.filter((t) => t.outcome === 'not run').length,
      };
    };
    const summary = { MUST: tally('MUST'), SHOULD: tally('SHOULD') };
    return {
      suite: this.#suite,
      name: this.#name,
      finishedAt: new Date().toISOString(),
      ...(this.#supports === undefined ? {} : { supports: this.#supports }),
      summary,
      conforms:
        summary.MUST.failed === 0 &&
        summary.MUST.notRun === 0 &&
        summary.SHOULD.notRun === 0 &&
        summary.MUST.passed > 0,
      tests,
    };
  }

  #record(
    spec: ContractTestSpec,
    outcome: ContractOutcome,
    durationMs: number,
    error?: string,
    skipReason?: string,
  ): void {
    this.#results.set(spec.id, {
      ...spec,
      outcome,
      durationMs: Math.round(durationMs),
      ...(error === undefined ? {} : { error }),
      ...(skipReason === undefined ? {} : { skipReason }),
    });
  }

  async #report(): Promise<void> {
    const target = this.#options.report ?? reportDirFromEnvironment();
    if (target === undefined) return;
    const report = this.snapshot();
    await writeReport(report, target, renderMarkdownReport(report));
  }
}
