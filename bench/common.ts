// Shared helpers of the plugsocket benchmarks (see docs/performance.md).
//
// Every scenario script runs its server in the parent process and its clients in a forked child
// (started with the same Node flags, so `plugsocket` resolves to the TypeScript sources), prints
// exactly one line `RESULT {json}` on stdout and stops by itself well within 60 s.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.dirname(BENCH_DIR);

// ---------------------------------------------------------------- arguments

export type Args = Record<string, string>;

/** `--key value` pairs; a flag without a value is `'true'`. */
export function parseArgs(argv: readonly string[] = process.argv.slice(2)): Args {
  const out: Args = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) continue;
    const next = argv[i + 1];
    out[arg.slice(2)] = next !== undefined && !next.startsWith('--') ? argv[++i] : 'true';
  }
  return out;
}

export function numberArg(args: Args, key: string, fallback: number): number {
  const value = args[key];
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new RangeError(`--${key} must be a positive number, got ${value}`);
  return n;
}

/**
 * The implementations one run compares, from `--impls a,b` (or `--impl a`). They share the run's
 * two processes and take turns in short segments, so that what changes between processes (the
 * machine's state, where the kernel and the hypervisor put them) affects them alike.
 */
export function implsArg<T extends string>(args: Args, known: readonly T[]): T[] {
  const list = (args.impls ?? args.impl ?? known[0]).split(',').map((s) => s.trim()) as T[];
  for (const impl of list)
    if (!known.includes(impl))
      throw new Error(`unknown implementation ${impl}; known: ${known.join(', ')}`);
  if (new Set(list).size !== list.length) throw new Error('an implementation is listed twice');
  return list;
}

/** `list` rotated left by `by` places: segment k of a run starts with a different implementation. */
export function rotate<T>(list: readonly T[], by: number): T[] {
  return list.map((_, i) => list[(i + by) % list.length]);
}

/** Turns a list of `--key value` pairs back into argv, for the forked client. */
export function toArgv(values: Record<string, string | number>): string[] {
  return Object.entries(values).flatMap(([key, value]) => [`--${key}`, String(value)]);
}

// ---------------------------------------------------------------- the message

/**
 * The application data every scenario sends: about 80 bytes of JSON. Each implementation wraps it
 * in its own envelope, so the frame on the wire is about 100 bytes (raw ws: `{"type":"chat",
 * "payload":…}`, 106 bytes; plugsocket: the same plus `"k":"msg",`; Socket.IO:
 * `42["chat",…]`).
 */
export interface ChatPayload {
  room: string;
  user: string;
  seq: number;
  ts: number;
  text: string;
}

export const MESSAGE_TYPE = 'chat';

export function makePayload(seq = 12345): ChatPayload {
  return { room: 'lobby-42', user: 'u1234', seq, ts: 1_700_000_000_000, text: 'hello, world!' };
}

// ---------------------------------------------------------------- process control

/** Pins this process (every thread) to one CPU with `taskset`; returns the CPU or null. */
export function pinSelf(cpu: string | undefined): string | null {
  if (cpu === undefined || cpu === '' || cpu === 'none') return null;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpu, String(process.pid)], { stdio: 'ignore' });
    return cpu;
  } catch {
    return null;
  }
}

/** Splits `--pin S:C` into the server's and the client's CPU. */
export function pinSpec(args: Args): { server: string | undefined; client: string | undefined } {
  const [server, client] = (args.pin ?? '').split(':');
  return { server: server || undefined, client: client || undefined };
}

/** Exits the process (code 3) if it is still running after `ms`. */
export function hardTimeout(label: string, ms: number, onTimeout?: () => void): void {
  setTimeout(() => {
    console.error(`[${label}] hard timeout after ${ms} ms`);
    try {
      onTimeout?.();
    } finally {
      process.exit(3);
    }
  }, ms).unref();
}

/**
 * Forks `script` as the client process with this process's Node flags (`--conditions`,
 * `--import tsx`, `--expose-gc` …). A client that exits with an error takes the server down.
 */
export function forkClient(script: string, argv: string[]): ChildProcess {
  const child = fork(script, ['--role', 'client', ...argv], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.on('exit', (code) => {
    if (code !== 0 && code !== null) {
      console.error(`client exited with code ${code}`);
      process.exit(1);
    }
  });
  return child;
}

/**
 * IPC messages from a peer process, taken in order by type: `await mailbox.next('ready')`.
 * Messages of a type nobody waits for yet are kept until someone does.
 */
export class Mailbox<M extends { type: string }> {
  readonly #queue: M[] = [];
  readonly #waiters: { type: string; resolve: (m: M) => void }[] = [];

  constructor(source: { on(event: 'message', listener: (message: M) => void): unknown }) {
    source.on('message', (message: M) => {
      const index = this.#waiters.findIndex((w) => w.type === message.type);
      if (index === -1) this.#queue.push(message);
      else this.#waiters.splice(index, 1)[0].resolve(message);
    });
  }

  next<T extends M['type']>(type: T): Promise<Extract<M, { type: T }>> {
    const index = this.#queue.findIndex((m) => m.type === type);
    if (index !== -1)
      return Promise.resolve(this.#queue.splice(index, 1)[0] as Extract<M, { type: T }>);
    return new Promise((resolve) =>
      this.#waiters.push({ type, resolve: resolve as (m: M) => void }),
    );
  }
}

/** Sends an IPC message to the parent (client side). */
export function toParent(message: object, then?: () => void): void {
  if (process.send === undefined) throw new Error('not started as a forked client');
  process.send(message, undefined, {}, () => then?.());
}

/** Prints the result line (one per implementation) and exits shortly after. */
export function finish(results: object | object[], cleanup: () => void): void {
  for (const result of Array.isArray(results) ? results : [results]) {
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  }
  try {
    cleanup();
  } finally {
    setTimeout(() => process.exit(0), 50).unref();
  }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
export const now = (): bigint => process.hrtime.bigint();

export interface CpuMs {
  user: number;
  system: number;
}

export function cpuSince(start: NodeJS.CpuUsage): CpuMs {
  const d = process.cpuUsage(start);
  return { user: d.user / 1e3, system: d.system / 1e3 };
}

/** Opens `count` connections with at most `concurrency` handshakes in flight. */
export async function openMany<T>(
  count: number,
  concurrency: number,
  openOne: (index: number) => Promise<T>,
): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      out[index] = await openOne(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return out;
}

export async function waitUntil(
  label: string,
  condition: () => boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await sleep(10);
  }
}

// ---------------------------------------------------------------- memory

export interface MemorySample {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export function memorySample(): MemorySample {
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heapTotal: m.heapTotal,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  };
}

/** Full GCs (the process must run with `--expose-gc`). */
export async function fullGc(rounds = 5): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  for (let i = 0; i < rounds; i++) {
    gc();
    await sleep(40);
  }
}

// ---------------------------------------------------------------- statistics

/** Nearest-rank percentile of a sorted array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export function median(values: readonly number[]): number {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

// ---------------------------------------------------------------- environment

function versionOf(dir: string): string | null {
  try {
    return (
      (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version?: string })
        .version ?? null
    );
  } catch {
    return null;
  }
}

/** Versions of Node, plugsocket and the transport libraries this run used. */
export function environment(): Record<string, unknown> {
  const modules = path.join(ROOT, 'node_modules');
  const v: Record<string, unknown> = { node: process.version, plugsocket: versionOf(ROOT) };
  for (const name of [
    'ws',
    'socket.io',
    'socket.io-client',
    'engine.io',
    'engine.io-client',
    'socket.io-parser',
    'bufferutil',
  ]) {
    v[name] = versionOf(path.join(modules, name));
  }
  v.loadavg1 = Number(loadavg()[0].toFixed(2));
  return v;
}

// ---------------------------------------------------------------- sequential round trips

/** One connection of a sequential round-trip run (echo.ts, resume.ts's echo). */
export interface RoundTripDriver {
  send(): void;
  close(): void;
}

/**
 * The client side of a sequential round-trip run: `onReply` (every reply goes to it, and it sends
 * the next request) and `run`, which runs the implementations' warm-up and then `segments`
 * measured segments of `n / segments` round trips, taking turns (segment k starts with
 * implementation k + `rotateBy`), telling the server whose segment it is (`{ type: 'switch' }`,
 * answered `{ type: 'switched' }` through `mailbox`).
 */
export function roundTrips<I extends string>(
  payload: ChatPayload,
): {
  onReply: () => void;
  run: (options: {
    impls: readonly I[];
    drivers: Map<I, RoundTripDriver>;
    n: number;
    warmup: number;
    segments: number;
    rotateBy: number;
    mailbox: { next(type: 'switched'): Promise<unknown> };
  }) => Promise<{
    perSegment: number;
    latency: Map<I, Float64Array>;
    segmentNs: Map<I, number[]>;
    clientCpu: Map<I, CpuMs>;
  }>;
} {
  // The segment being run.
  let remaining = 0;
  let record: Float64Array | null = null;
  let recordAt = 0;
  let t0 = 0n;
  let current: RoundTripDriver | undefined;
  let segmentDone: () => void = () => undefined;
  const onReply = (): void => {
    const dt = now() - t0;
    if (record !== null) record[recordAt++] = Number(dt) / 1e3;
    if (--remaining === 0) {
      segmentDone();
      return;
    }
    payload.seq++;
    t0 = now();
    current!.send();
  };
  const runSegment = (
    driver: RoundTripDriver,
    count: number,
    into: Float64Array | null,
    at: number,
  ): Promise<void> =>
    new Promise((resolve) => {
      current = driver;
      remaining = count;
      record = into;
      recordAt = at;
      segmentDone = resolve;
      t0 = now();
      current.send();
    });
  return {
    onReply,
    run: async ({ impls, drivers, n, warmup, segments, rotateBy, mailbox }) => {
      const switchTo = async (impl: I | null): Promise<void> => {
        toParent({ type: 'switch', impl });
        await mailbox.next('switched');
      };
      for (const impl of impls) await runSegment(drivers.get(impl)!, warmup, null, 0);
      const perSegment = Math.floor(n / segments);
      const latency = new Map<I, Float64Array>(
        impls.map((impl) => [impl, new Float64Array(perSegment * segments)]),
      );
      const segmentNs = new Map<I, number[]>(impls.map((impl) => [impl, []]));
      const clientCpu = new Map<I, CpuMs>(impls.map((impl) => [impl, { user: 0, system: 0 }]));
      for (let segment = 0; segment < segments; segment++) {
        for (const impl of rotate(impls, segment + rotateBy)) {
          await switchTo(impl);
          const cpu0 = process.cpuUsage();
          const t = now();
          await runSegment(
            drivers.get(impl)!,
            perSegment,
            latency.get(impl)!,
            segment * perSegment,
          );
          segmentNs.get(impl)!.push(Number(now() - t));
          const d = cpuSince(cpu0);
          const acc = clientCpu.get(impl)!;
          acc.user += d.user;
          acc.system += d.system;
        }
      }
      await switchTo(null);
      return { perSegment, latency, segmentNs, clientCpu };
    },
  };
}

/** The latency figures of one implementation's round trips (µs). */
export interface RoundTripStats {
  p50us: number;
  p90us: number;
  p99us: number;
  maxUs: number;
  meanUs: number;
  rtPerSec: number;
  segmentP50us: number[];
}

/** The latency figures of one implementation's round trips, recorded in `segments` segments. */
export function roundTripStats(
  all: Float64Array,
  perSegment: number,
  segments: number,
  elapsedNs: number,
): RoundTripStats {
  const sorted = Float64Array.from(all).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    p50us: percentile(sorted, 50),
    p90us: percentile(sorted, 90),
    p99us: percentile(sorted, 99),
    maxUs: sorted[sorted.length - 1],
    meanUs: sum / sorted.length,
    rtPerSec: sorted.length / (elapsedNs / 1e9),
    segmentP50us: Array.from({ length: segments }, (_, k) =>
      Number(percentile(all.slice(k * perSegment, (k + 1) * perSegment).sort(), 50).toFixed(1)),
    ),
  };
}

/**
 * The server side of a round-trip run's bookkeeping: attributes the server's CPU time to the
 * implementation whose segment is running (the client says so before each segment, `null`: none)
 * and hands the client's figures, with the server CPU of each implementation, to `onResult`.
 */
export function serveRoundTrips<I extends string, S>(
  child: ChildProcess,
  impls: readonly I[],
  onResult: (stats: Record<string, S>, serverCpu: Map<I, CpuMs>) => void,
): void {
  const serverCpu = new Map<I, CpuMs>(impls.map((impl) => [impl, { user: 0, system: 0 }]));
  let active: I | null = null;
  let cpu0 = process.cpuUsage();
  const switchTo = (impl: I | null): void => {
    if (active !== null) {
      const d = cpuSince(cpu0);
      const acc = serverCpu.get(active)!;
      acc.user += d.user;
      acc.system += d.system;
    }
    active = impl;
    cpu0 = process.cpuUsage();
  };
  child.on(
    'message',
    (m: { type: 'switch'; impl: I | null } | { type: 'result'; stats: Record<string, S> }) => {
      if (m.type === 'switch') {
        switchTo(m.impl);
        child.send({ type: 'switched' });
        return;
      }
      switchTo(null);
      onResult(m.stats, serverCpu);
    },
  );
}

// ---------------------------------------------------------------- broadcast blocks (fan-out)

// Shared, as a careful application would write it: ws copies these options on every send.
const TEXT = Object.freeze({ binary: false });

/**
 * Raw ws's "serialise once" broadcast (fanout.ts's ws-raw-prebuilt): one Buffer per broadcast
 * (JSON.stringify once), sent to every client with the shared options object.
 */
export function prebuiltBroadcast(
  clients: Iterable<{ send(data: Buffer, options: { binary: boolean }): void }>,
  message: object,
): () => void {
  return () => {
    const data = Buffer.from(JSON.stringify(message));
    for (const ws of clients) ws.send(data, TEXT);
  };
}

/**
 * The servers of a fan-out run, one per implementation, and the message they broadcast (its
 * `payload.seq` set per broadcast): `add` records a server, with how it broadcasts and how many
 * connections it holds; `ports` go to the client, `closers` end the run.
 */
export function fanoutServers<I extends string>(): {
  payload: ChatPayload;
  message: { type: string; payload: ChatPayload };
  ports: Record<string, number>;
  closers: (() => void)[];
  broadcastOf: Map<I, () => void>;
  connectedOf: Map<I, () => number>;
  add: (
    impl: I,
    server: { port: number; close: () => void },
    broadcast: () => void,
    connected: () => number,
  ) => void;
} {
  const payload = makePayload(0);
  const ports: Record<string, number> = {};
  const closers: (() => void)[] = [];
  const broadcastOf = new Map<I, () => void>();
  const connectedOf = new Map<I, () => number>();
  return {
    payload,
    message: { type: MESSAGE_TYPE, payload },
    ports,
    closers,
    broadcastOf,
    connectedOf,
    add: (impl, server, broadcast, connected) => {
      broadcastOf.set(impl, broadcast);
      connectedOf.set(impl, connected);
      ports[impl] = server.port;
      closers.push(server.close);
    },
  };
}

/** A broadcast implementation's measured blocks, summed. */
export interface BlockTotals {
  ns: number[];
  cpu: CpuMs;
  syncNs: number;
  clientCpu: CpuMs;
}

type BlockDone = { type: 'block-done'; t: string; clientCpuMs: CpuMs };

/**
 * The server side of a fan-out run's blocks: `runBlock` asks the client to count `msgs`
 * broadcasts of `impl`, waits until it is armed, broadcasts them one per event-loop turn and
 * waits until every client has them all; with `measure`, adds the block to `totals`.
 */
export function broadcastBlocks<I extends string>(
  child: ChildProcess,
  mailbox: { next(type: 'armed' | 'block-done'): Promise<unknown> },
  impls: readonly I[],
  broadcastOf: Map<I, () => void>,
  payload: ChatPayload,
): {
  totals: Map<I, BlockTotals>;
  runBlock: (impl: I, msgs: number, measure: boolean) => Promise<void>;
} {
  const totals = new Map<I, BlockTotals>(
    impls.map((impl) => [
      impl,
      { ns: [], cpu: { user: 0, system: 0 }, syncNs: 0, clientCpu: { user: 0, system: 0 } },
    ]),
  );
  const runBlock = async (impl: I, msgs: number, measure: boolean): Promise<void> => {
    child.send({ type: 'block', impl, msgs });
    await mailbox.next('armed');
    const broadcast = broadcastOf.get(impl)!;
    const done = mailbox.next('block-done') as Promise<BlockDone>;
    let syncNs = 0n;
    const cpu0 = process.cpuUsage();
    const t0 = now();
    await new Promise<void>((resolve) => {
      let i = 0;
      const step = (): void => {
        payload.seq = i;
        const a = now();
        broadcast();
        syncNs += now() - a;
        if (++i < msgs) setImmediate(step);
        else resolve();
      };
      setImmediate(step);
    });
    const m = await done;
    const cpu = cpuSince(cpu0);
    if (!measure) return;
    const t = totals.get(impl)!;
    t.ns.push(Number(BigInt(m.t) - t0));
    t.cpu.user += cpu.user;
    t.cpu.system += cpu.system;
    t.syncNs += Number(syncNs);
    t.clientCpu.user += m.clientCpuMs.user;
    t.clientCpu.system += m.clientCpuMs.system;
  };
  return { totals, runBlock };
}

/**
 * The figures of a broadcast implementation's measured blocks: `blocks` blocks of `perBlock`
 * broadcasts to `clients` clients.
 */
export function blockFigures(
  t: BlockTotals,
  clients: number,
  perBlock: number,
  blocks: number,
): {
  deliveriesPerSec: number;
  allDeliveredMs: number;
  serverCpuMs: CpuMs;
  serverSyncNsPerDelivery: number;
  clientCpuMs: CpuMs;
  segmentDeliveriesPerSec: number[];
} {
  const deliveries = clients * perBlock * blocks;
  const totalNs = t.ns.reduce((a, b) => a + b, 0);
  return {
    deliveriesPerSec: deliveries / (totalNs / 1e9),
    allDeliveredMs: totalNs / 1e6,
    serverCpuMs: t.cpu,
    serverSyncNsPerDelivery: t.syncNs / deliveries,
    clientCpuMs: t.clientCpu,
    segmentDeliveriesPerSec: t.ns.map((ns) => Math.round((clients * perBlock) / (ns / 1e9))),
  };
}

/**
 * The client side of a fan-out run's blocks, for `clients` clients per implementation:
 * `onMessage` counts a broadcast one client took, `receive` arms a block of `msgs` broadcasts of
 * `impl` and tells the server when every client has them all (and the client CPU it took).
 */
export function blockCounter<I extends string>(
  impls: readonly I[],
  clients: number,
): {
  onMessage: (impl: I, index: number) => void;
  receive: (impl: I, msgs: number) => Promise<void>;
} {
  // The block being received: counts per client of the active implementation.
  const counts = new Map<I, Uint32Array>(impls.map((impl) => [impl, new Uint32Array(clients)]));
  let target = 0;
  let done = 0;
  let tDone = 0n;
  let blockDone: (() => void) | undefined;
  return {
    onMessage: (impl, index) => {
      if (++counts.get(impl)![index] !== target) return;
      if (++done === clients) {
        tDone = now();
        blockDone?.();
      }
    },
    receive: async (impl, msgs) => {
      counts.get(impl)!.fill(0);
      target = msgs;
      done = 0;
      const finished = new Promise<void>((resolve) => (blockDone = resolve));
      const cpu0 = process.cpuUsage();
      toParent({ type: 'armed' });
      await finished;
      toParent({ type: 'block-done', t: tDone.toString(), clientCpuMs: cpuSince(cpu0) });
    },
  };
}
