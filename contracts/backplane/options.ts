// The options of the backplane contract suite, and their validation at registration time.
import type { Backplane } from '../../src/index.js';
import { rejectUnknownOptions, type AuditOptions } from '../audit.js';

/**
 * One fresh, empty cluster for one test. The suite opens every node {@link node} makes (choosing
 * its id), closes them all after the test, then calls {@link teardown}.
 */
export interface BackplaneContractCluster {
  /**
   * A new, unopened backplane: one more node of this cluster. The nodes of one cluster share a
   * directory, liveness and a session store, and share nothing with the nodes of another cluster
   * (with Redis, give each cluster its own key prefix or database).
   */
  node(): Backplane | Promise<Backplane>;
  /**
   * Releases what the cluster holds (a broker connection, its keys) once the suite has closed
   * every node of the test. Bounded like the rest of the cleanup; a failure is ignored.
   */
  teardown?(): void | Promise<void>;
}

/**
 * Acts on one open node of the test's cluster: `backplane` is the port its cluster's `node()` made
 * and `nodeId` the id the suite opened it with.
 */
export type BackplaneFaultHook = (backplane: Backplane, nodeId: string) => void | Promise<void>;

/** How long the suite waits for what a backplane does asynchronously, in milliseconds. */
export interface BackplaneContractTimeouts {
  /**
   * The longest a packet takes from `publish()` to `receive()`, a directory write to be read on
   * another node, and `cut()`/`restore()` to be reported through `state()`; a wait for any of
   * them fails after this.
   * @default 2000
   */
  delivery?: number;
  /**
   * The longest the survivors take to notice a crashed node (its liveness lapsing) and report
   * `nodeGone`. Configure the backplane under test with a short liveness for the suite; this must
   * stay below the per-test `timeout`.
   * @default 5000
   */
  nodeTimeout?: number;
  /**
   * After `restore()`, the longest until the node is told `connected` and its directory entries
   * are back (written again, if the outage lost them).
   * @default 5000
   */
  restore?: number;
  /**
   * How long the suite watches for something that must not happen (a packet echoed to its
   * sender, a second `nodeGone`) once everything expected has arrived. Raise it for a broker far
   * away.
   * @default 100
   */
  quiet?: number;
}

/** What {@link describeBackplaneContract} needs to test one backplane. */
export interface BackplaneContractOptions extends AuditOptions {
  /** The backplane's name, for the suite's title and its report. */
  name: string;
  /**
   * Makes one fresh, empty cluster; called once per test, when the test asks for its first node.
   * See {@link BackplaneContractCluster}.
   */
  cluster: () => BackplaneContractCluster | Promise<BackplaneContractCluster>;
  /**
   * Kills a node without closing it: it stops renewing its liveness, receiving and writing, as if
   * its process died (with Redis, for example: stop its liveness timer and disconnect its
   * connections without removing anything). The survivors must then notice within
   * {@link BackplaneContractTimeouts.nodeTimeout}. Omitted: the crash tests are skipped, with
   * `[supports.crash]` in their titles (one of them, with a node cut off too, needs {@link cut}
   * as well).
   * @default undefined (the crash tests are skipped)
   */
  crash?: BackplaneFaultHook;
  /**
   * Cuts a node's link to the broker while its process lives on (with Redis, for example: through
   * a `FaultProxy`, or by dropping its connections); the node must be told `state('disconnected')`.
   * Given with {@link restore} or not at all; omitted: the outage tests are skipped, with
   * `[supports.cut]` in their titles.
   * @default undefined (the outage tests are skipped)
   */
  cut?: BackplaneFaultHook;
  /** Gives back the link {@link cut} took; the node must be told `state('connected')`. */
  restore?: BackplaneFaultHook;
  /** How long to wait for deliveries, crashes and outages; see {@link BackplaneContractTimeouts}. */
  timeouts?: BackplaneContractTimeouts;
  /**
   * Per-test timeout in milliseconds, cleanup not included.
   * @default 10000
   */
  timeout?: number;
}

/** {@link BackplaneContractTimeouts} with defaults applied. */
export interface ResolvedBackplaneTimeouts {
  readonly delivery: number;
  readonly nodeTimeout: number;
  readonly restore: number;
  readonly quiet: number;
}

/** {@link BackplaneContractOptions} after validation, with defaults applied. */
export interface ResolvedBackplaneOptions {
  /** Shown in the suite title: `<name> backplane contract`. */
  readonly name: string;
  readonly cluster: () => BackplaneContractCluster | Promise<BackplaneContractCluster>;
  readonly timeouts: ResolvedBackplaneTimeouts;
  readonly timeout: number;
  readonly crash: BackplaneFaultHook | undefined;
  readonly cut: BackplaneFaultHook | undefined;
  readonly restore: BackplaneFaultHook | undefined;
  /** The gates, for the audit and its report: which optional hooks were given. */
  readonly supports: Readonly<{ crash: boolean; cut: boolean }>;
  readonly audit: AuditOptions;
}

const OPTION_NAMES = [
  'name',
  'cluster',
  'timeouts',
  'timeout',
  'crash',
  'cut',
  'restore',
  'runner',
  'report',
  'shouldFailures',
] as const;
const TIMEOUT_NAMES = ['delivery', 'nodeTimeout', 'restore', 'quiet'] as const;

/** The defaults of {@link BackplaneContractTimeouts} and of the per-test timeout. */
export const BACKPLANE_DEFAULTS = {
  timeout: 10_000,
  delivery: 2000,
  nodeTimeout: 5000,
  restore: 5000,
  quiet: 100,
} as const;

function positive(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`backplane contract: ${field} must be a positive number of milliseconds`);
  }
  return value;
}

/**
 * Checks the options of the backplane suite and fills in defaults. Throws a `TypeError` naming the
 * first bad field (an unknown key too), so a misconfigured suite fails at load time rather than as
 * odd test failures.
 */
export function resolveBackplaneOptions(options: unknown): ResolvedBackplaneOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('backplane contract: options must be an object');
  }
  const o = options as Record<string, unknown>;
  const name = o.name;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new TypeError('backplane contract: options.name must be a non-empty string');
  }
  rejectUnknownOptions(o, OPTION_NAMES, 'backplane contract');
  if (typeof o.cluster !== 'function') {
    throw new TypeError('backplane contract: options.cluster must be a function');
  }
  const timeout =
    o.timeout === undefined ? BACKPLANE_DEFAULTS.timeout : positive(o.timeout, 'options.timeout');
  const timeouts = resolveTimeouts(o.timeouts, timeout);
  for (const field of ['crash', 'cut', 'restore'] as const) {
    if (o[field] !== undefined && typeof o[field] !== 'function') {
      throw new TypeError(`backplane contract: options.${field} must be a function`);
    }
  }
  if ((o.cut === undefined) !== (o.restore === undefined)) {
    throw new TypeError(
      'backplane contract: options.cut and options.restore are given together or not at all',
    );
  }
  const crash = o.crash as BackplaneFaultHook | undefined;
  const cut = o.cut as BackplaneFaultHook | undefined;
  const restore = o.restore as BackplaneFaultHook | undefined;
  return {
    name,
    cluster: o.cluster as ResolvedBackplaneOptions['cluster'],
    timeouts,
    timeout,
    crash,
    cut,
    restore,
    supports: Object.freeze({ crash: crash !== undefined, cut: cut !== undefined }),
    audit: {
      runner: o.runner as AuditOptions['runner'],
      report: o.report as AuditOptions['report'],
      shouldFailures: o.shouldFailures as AuditOptions['shouldFailures'],
    },
  };
}

function resolveTimeouts(value: unknown, timeout: number): ResolvedBackplaneTimeouts {
  if (value === undefined) value = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('backplane contract: options.timeouts must be an object');
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(TIMEOUT_NAMES as readonly string[]).includes(key)) {
      throw new TypeError(
        `backplane contract: options.timeouts.${key} is not an option (known: ${TIMEOUT_NAMES.join(', ')})`,
      );
    }
  }
  const out: Record<string, number> = {};
  for (const key of TIMEOUT_NAMES) {
    const given = record[key];
    out[key] =
      given === undefined ? BACKPLANE_DEFAULTS[key] : positive(given, `options.timeouts.${key}`);
  }
  // A crash test waits nodeTimeout for nodeGone and then reads the directory; an outage test
  // waits delivery for the cut and restore for the way back. Either must fit in one test.
  for (const [field, need] of [
    ['nodeTimeout', out.nodeTimeout + out.delivery],
    ['restore', out.restore + 2 * out.delivery],
  ] as const) {
    if (need >= timeout) {
      throw new TypeError(
        `backplane contract: options.timeouts.${field} (${out[field]} ms) with delivery (${out.delivery} ms) does not fit in the per-test options.timeout (${timeout} ms): raise options.timeout`,
      );
    }
  }
  return out as unknown as ResolvedBackplaneTimeouts;
}
