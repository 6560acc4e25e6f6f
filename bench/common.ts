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
