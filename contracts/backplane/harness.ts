import type {
  Backplane,
  BackplaneNode,
  BackplanePacket,
  BackplaneState,
  RemovedClient,
} from '../../src/index.js';
import type { ContractAudit, ContractTestSpec } from '../audit.js';
import { delay, waitFor, withTimeout } from '../helpers.js';
import type {
  BackplaneContractCluster,
  BackplaneFaultHook,
  ResolvedBackplaneOptions,
  ResolvedBackplaneTimeouts,
} from './options.js';

/** A hook a test may need: `options.crash`, or `options.cut` with `options.restore`. */
export type BackplaneGate = 'crash' | 'cut';

/** A backplane test as the suite declares it: it may need one hook, or several. */
export interface BackplaneTestSpec extends Omit<ContractTestSpec, 'requires'> {
  readonly requires?: BackplaneGate | readonly BackplaneGate[];
}

/** One `receive` call. */
export interface Received {
  readonly packet: BackplanePacket;
  readonly from: string;
}

/** One `nodeGone` call. */
export interface Gone {
  readonly node: string;
  readonly removed: readonly RemovedClient[] | undefined;
}

/**
 * The {@link BackplaneNode} the suite opens each backplane with: it records every call, in order,
 * and lets a test run code inside `receive` (to make it throw, for one).
 */
export class NodeLog implements BackplaneNode {
  readonly id: string;
  readonly received: Received[] = [];
  readonly states: { readonly state: BackplaneState; readonly error?: Error }[] = [];
  readonly gone: Gone[] = [];
  /** Runs inside `receive`, after the call is recorded. */
  onReceive: ((packet: BackplanePacket, from: string) => void) | undefined;

  constructor(id: string) {
    this.id = id;
  }

  receive(packet: BackplanePacket, from: string): void {
    this.received.push({ packet, from });
    this.onReceive?.(packet, from);
  }

  state(state: BackplaneState, error?: Error): void {
    this.states.push(error === undefined ? { state } : { state, error });
  }

  nodeGone(node: string, removed: readonly RemovedClient[] | undefined): void {
    this.gone.push({ node, removed });
  }

  /** The packets received from `sender`, in arrival order. */
  from(sender: string): BackplanePacket[] {
    return this.received.filter((r) => r.from === sender).map((r) => r.packet);
  }

  /** Whether a packet of `kind` arrived (from anyone). */
  has(kind: string): boolean {
    return this.received.some((r) => r.packet.kind === kind);
  }

  /** The `nodeGone` calls about `node`. */
  goneOf(node: string): Gone[] {
    return this.gone.filter((g) => g.node === node);
  }
}

/** An open node of the test's cluster: its port, the id it was opened with and its log. */
export interface ClusterNode {
  readonly id: string;
  readonly backplane: Backplane;
  readonly log: NodeLog;
}

const PORT_METHODS = [
  'open',
  'close',
  'publish',
  'publishTo',
  'nodes',
  'addClient',
  'removeClient',
  'joinTopic',
  'leaveTopic',
  'getClient',
  'getClients',
  'topicSizes',
] as const;

/**
 * Per-suite helper: makes each test's cluster through the author's factory, opens its nodes with
 * recording {@link NodeLog}s under fresh ids, and closes every node and tears the cluster down
 * after each test, within a bound, whatever state a broken backplane left them in.
 */
export class BackplaneHarness {
  readonly options: ResolvedBackplaneOptions;
  readonly #audit: ContractAudit;
  /** Distinguishes this suite's ids from those of another run sharing a broker. */
  readonly #run = Math.random().toString(36).slice(2, 8);
  #serial = 0;
  #cluster: Promise<BackplaneContractCluster> | undefined;
  readonly #backplanes = new Set<Backplane>();
  #cleanupBound: number;

  /**
   * @param options the validated options of the suite this harness serves.
   * @param audit registers the suite's tests with ids and levels.
   */
  constructor(options: ResolvedBackplaneOptions, audit: ContractAudit) {
    this.options = options;
    this.#audit = audit;
    this.#cleanupBound = Math.max(1000, options.timeouts.delivery);
  }

  /** The suite's waits, in milliseconds. */
  get timeouts(): ResolvedBackplaneTimeouts {
    return this.options.timeouts;
  }

  /** Opens a group of tests. */
  group(title: string, body: () => void): void {
    this.#audit.group(title, body);
  }

  /**
   * Registers one test with its id and level; gated tests are skipped without their hook. A test
   * that needs both hooks is gated on the first one missing (on the first named when both are
   * given), and names the other in its title too.
   */
  test(spec: BackplaneTestSpec, body: () => Promise<void>): void {
    const { requires, ...rest } = spec;
    if (requires === undefined || typeof requires === 'string') {
      this.#audit.test({ ...rest, ...(requires === undefined ? {} : { requires }) }, body);
      return;
    }
    const gate = requires.find((g) => !this.options.supports[g]) ?? requires[0];
    const others = requires.filter((g) => g !== gate).map((g) => ` [supports.${g}]`);
    this.#audit.test({ ...rest, title: `${rest.title}${others.join('')}`, requires: gate }, body);
  }

  /** A fresh id for a node, a client, a topic, a user or a session, unique to this run. */
  id(label: string): string {
    return `${label}-${this.#run}-${++this.#serial}`;
  }

  /** A new, unopened backplane of the test's cluster (made on first use), closed after the test. */
  async make(): Promise<Backplane> {
    this.#cluster ??= Promise.resolve(this.options.cluster());
    const cluster = await this.#cluster;
    if (typeof cluster?.node !== 'function') {
      throw new TypeError('options.cluster() must return an object with a node() function');
    }
    const backplane = await cluster.node();
    for (const method of PORT_METHODS) {
      if (typeof (backplane as unknown as Record<string, unknown>)?.[method] !== 'function') {
        throw new TypeError(`cluster.node() returned no Backplane: it has no ${method}() method`);
      }
    }
    const sessions = (backplane as unknown as { sessions?: Record<string, unknown> }).sessions;
    if (typeof sessions?.save !== 'function' || typeof sessions.take !== 'function') {
      throw new TypeError('cluster.node() returned no Backplane: it has no sessions store');
    }
    this.#backplanes.add(backplane);
    return backplane;
  }

  /** Opens `backplane` (a new one when omitted) as a node with a fresh id and a fresh log. */
  async openNode(backplane?: Backplane): Promise<ClusterNode> {
    const port = backplane ?? (await this.make());
    const log = new NodeLog(this.id('node'));
    await withTimeout(port.open(log), this.timeouts.delivery, `open() of node ${log.id}`);
    return { id: log.id, backplane: port, log };
  }

  /** Opens `count` nodes of the test's cluster, one after the other. */
  async open(count: number): Promise<ClusterNode[]> {
    const nodes: ClusterNode[] = [];
    for (let i = 0; i < count; i++) nodes.push(await this.openNode());
    return nodes;
  }

  /** Crashes `node` through the author's hook (only in tests gated on `crash`). */
  crash(node: ClusterNode): Promise<void> {
    return this.#fault(this.options.crash, 'crash', node);
  }

  /** Cuts `node`'s link through the author's hook (only in tests gated on `cut`). */
  cut(node: ClusterNode): Promise<void> {
    return this.#fault(this.options.cut, 'cut', node);
  }

  /** Restores `node`'s link through the author's hook (only in tests gated on `cut`). */
  restore(node: ClusterNode): Promise<void> {
    return this.#fault(this.options.restore, 'restore', node);
  }

  async #fault(hook: BackplaneFaultHook | undefined, name: string, node: ClusterNode) {
    if (hook === undefined) throw new Error(`options.${name} was not given`);
    await withTimeout(
      Promise.resolve(hook(node.backplane, node.id)),
      this.timeouts.delivery,
      `options.${name}(${node.id})`,
    );
  }

  /** Resolves once `predicate()` holds, or fails naming `what` after `ms` (default: delivery). */
  until(predicate: () => boolean, what: string, ms = this.timeouts.delivery): Promise<void> {
    return waitFor(predicate, ms, what);
  }

  /**
   * Reads with `read` until `difference` finds nothing wrong with what it returned, and resolves
   * with that; fails after `ms` (default: delivery) with the last difference. For directory
   * reads, which may lag a write by the time a packet takes.
   */
  async eventually<T>(
    what: string,
    read: () => Promise<T>,
    difference: (value: T) => string | undefined,
    ms = this.timeouts.delivery,
  ): Promise<T> {
    const deadline = Date.now() + ms;
    let last: string;
    for (;;) {
      try {
        const value = await withTimeout(read(), Math.max(1, deadline - Date.now()), what);
        const problem = difference(value);
        if (problem === undefined) return value;
        last = problem;
      } catch (error) {
        last = `the read failed: ${error instanceof Error ? error.message : String(error)}`;
      }
      if (Date.now() >= deadline) throw new Error(`${what}, after ${ms} ms: ${last}`);
      await delay(10);
    }
  }

  /** Waits the quiet period: what must not happen has had its chance. */
  quiet(): Promise<void> {
    return delay(this.timeouts.quiet);
  }

  /**
   * Closes every backplane made during the test, then tears the cluster down. Never throws and
   * never waits much longer than its bound: a broken backplane fails its own test, not the ones
   * after it. Once a cleanup has timed out, later ones wait only the quiet period.
   */
  async cleanup(): Promise<void> {
    const backplanes = [...this.#backplanes];
    const cluster = this.#cluster;
    this.#backplanes.clear();
    this.#cluster = undefined;
    try {
      await withTimeout(
        Promise.all(backplanes.map((b) => settle(() => b.close()))),
        this.#cleanupBound,
        'cleanup',
      );
      if (cluster !== undefined) {
        await withTimeout(
          settle(async () => (await cluster).teardown?.()),
          this.#cleanupBound,
          'teardown',
        );
      }
    } catch {
      // A hanging close is reported by the tests that check closing; here it is only abandoned.
      this.#cleanupBound = this.timeouts.quiet;
    }
  }
}

/** Runs `fn` and resolves when it settles, whether it throws, rejects or resolves. */
async function settle(fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch {
    // Cleanup is best effort.
  }
}
