// `npm run bench`: plugsocket against the raw libraries, in the same run.
//
//   npm run bench [-- --quick] [-- --only echo,request,throughput,fanout,memory,security,resume] [-- --rounds N]
//   npm run bench -- --only scale      (10,000 connections with heartbeats, then broadcasts: about
//                                       5 minutes, so not part of the default run; --quick: 2,000)
//   npm run bench -- --only multinode  (3 nodes over Redis against 1, and against Socket.IO's
//                                       redis-adapter: about 2 minutes, needs Redis on
//                                       127.0.0.1:6379, so not part of the default run)
//   npm run bench -- --wait-idle 120   (before each run, wait up to 120 s for the other processes
//                                       on the machine to go quiet; see machineBusy())
//   npm run bench -- --summarize .bench-results/<file>.jsonl      (tables of a finished run)
//
// Every scenario runs each implementation once per round, in an order rotated every round, so
// slow drift of the machine hits all implementations alike; ratios are computed within a round
// and reported as median [min–max] with the per-round values. Each run is a fresh pair of
// processes (server and client) pinned with taskset, killed if it outlives 60 s. Raw results are
// appended to .bench-results/<timestamp>.jsonl; the markdown tables go to stdout, progress to
// stderr.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { BENCH_DIR, median, parseArgs, ROOT } from './common.js';

interface Scenario {
  script: string;
  /**
   * Each group is one run: a fresh server process and client process in which the group's
   * implementations take turns segment by segment. Implementations whose ratio is a target share
   * a group when the run fits the time limit.
   */
  groups: string[][];
  rounds: number;
  /** taskset CPUs "server:client", or 'none'. */
  pin: string;
  args: Record<string, number | string>;
  quick: { rounds: number; args: Record<string, number | string> };
  nodeFlags?: string[];
  /** The runner kills a run's processes after this long (default {@link RUN_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** Runs only when named in `--only` (too long for the default run). */
  optIn?: boolean;
}

const PLAN: Record<string, Scenario> = {
  echo: {
    script: 'echo.ts',
    groups: [
      ['ws-raw', 'ps-ws'],
      ['sio-raw', 'ps-sio'],
    ],
    rounds: 4,
    pin: '0:0',
    args: { n: 20_000, warmup: 2_000, segments: 10 },
    quick: { rounds: 2, args: { n: 5_000, warmup: 1_000, segments: 5 } },
  },
  // The heartbeat's per-frame cost: plugsocket on ws with heartbeats on (the default) and off.
  'echo-hb': {
    script: 'echo.ts',
    groups: [['ws-raw', 'ps-ws', 'ps-ws-nohb']],
    rounds: 4,
    pin: '0:0',
    args: { n: 20_000, warmup: 2_000, segments: 10 },
    quick: { rounds: 2, args: { n: 5_000, warmup: 1_000, segments: 5 } },
  },
  request: {
    script: 'echo.ts',
    // Both targets of plugsocket on ws (against the hand-rolled RPC on raw ws and against
    // emitWithAck) are measured in one run, side by side.
    groups: [
      ['ws-raw', 'ps-ws', 'sio-raw'],
      ['sio-raw', 'ps-sio'],
    ],
    rounds: 4,
    pin: '0:0',
    args: { mode: 'request', n: 20_000, warmup: 2_000, segments: 10 },
    quick: { rounds: 2, args: { mode: 'request', n: 5_000, warmup: 1_000, segments: 5 } },
  },
  throughput: {
    script: 'throughput.ts',
    // The third group is for the headline (plugsocket on ws against raw Socket.IO).
    groups: [
      ['ws-raw', 'ps-ws'],
      ['sio-raw', 'ps-sio'],
      ['ps-ws', 'sio-raw'],
    ],
    rounds: 4,
    pin: '0:1',
    args: { n: 200_000, batches: 10 },
    quick: { rounds: 2, args: { n: 50_000, batches: 5 } },
  },
  fanout: {
    script: 'fanout.ts',
    // A Socket.IO pair would not fit in one 60 s run on a 2-core machine: those run alone.
    groups: [['ws-raw-prebuilt', 'ps-ws'], ['ws-raw-per-client'], ['sio-raw'], ['ps-sio']],
    rounds: 3,
    pin: '0:1',
    args: { clients: 1_000, msgs: 1_000, blocks: 10 },
    quick: { rounds: 1, args: { clients: 300, msgs: 300, blocks: 5 } },
  },
  memory: {
    script: 'memory.ts',
    // Memory is measured one implementation per process.
    groups: [['ws-raw'], ['ps-ws'], ['sio-raw'], ['ps-sio']],
    rounds: 3,
    pin: 'none',
    args: { conns: 5_000, warm: 20 },
    quick: { rounds: 1, args: { conns: 1_000, warm: 20 } },
    nodeFlags: ['--expose-gc'],
  },
  scale: {
    script: 'scale.ts',
    // 10,000 connections from two client processes, heartbeats every 5 s over a 20 s idle
    // window, then broadcasts. (Every second was too often for 10,000: on a loaded machine raw
    // ws's sweep saturated the server, 10,000 handshakes took 3 minutes instead of 15 s, and the
    // README sweep ended the clients whose pong came late.) One implementation per server process (memory), each run twice:
    // heartbeats on and off (the heartbeat's CPU is the difference), the two one after the other.
    groups: [
      ['ws-raw@on'],
      ['ws-raw@off'],
      ['ps-ws@on'],
      ['ps-ws@off'],
      ['sio-raw@on'],
      ['sio-raw@off'],
      ['ps-sio@on'],
      ['ps-sio@off'],
    ],
    rounds: 1,
    pin: '0:1',
    args: {
      conns: 10_000,
      procs: 2,
      warm: 20,
      'hb-ms': 5_000,
      'settle-ms': 11_000,
      'window-ms': 20_000,
      reps: 7,
      timeout: 290_000,
    },
    quick: {
      rounds: 1,
      args: {
        conns: 2_000,
        procs: 2,
        warm: 20,
        'hb-ms': 2_000,
        'settle-ms': 4_500,
        'window-ms': 8_000,
        reps: 5,
        timeout: 100_000,
      },
    },
    nodeFlags: ['--expose-gc'],
    // About 40 s a run on a quiet machine; 10,000 handshakes take minutes on a loaded one.
    timeoutMs: 300_000,
    optIn: true,
  },
  // What session resume (issue 11) costs: plugsocket on ws with resume on (ps-ws, its default)
  // and off (ps-ws-noresume: server resumeWindow 0, client resume: false), taking turns in one
  // run, raw ws alongside. Each group is one part of bench/resume.ts — echo round trips, broadcast
  // fan-out, heap per idle session — and pins itself (pin 'auto': echo 0:0, the others 0:1).
  resume: {
    script: 'resume.ts',
    groups: [
      ['echo:ws-raw', 'echo:ps-ws', 'echo:ps-ws-noresume'],
      ['fanout:ws-raw-prebuilt', 'fanout:ps-ws', 'fanout:ps-ws-noresume'],
      ['heap:ws-raw', 'heap:ps-ws', 'heap:ps-ws-noresume'],
    ],
    rounds: 3,
    pin: 'auto',
    args: {
      n: 20_000,
      warmup: 2_000,
      segments: 10,
      clients: 1_000,
      msgs: 800,
      blocks: 16,
      conns: 1_000,
      steps: 4,
    },
    quick: {
      rounds: 1,
      args: {
        n: 5_000,
        warmup: 1_000,
        segments: 5,
        clients: 300,
        msgs: 300,
        blocks: 6,
        conns: 600,
        steps: 2,
      },
    },
    nodeFlags: ['--expose-gc'],
  },
  security: {
    script: 'security.ts',
    // Inbound with the rate limiter off and on (interleaved batches in one run), then echo
    // latency unloaded and under a flood (interleaved segments; server and echo client share
    // CPU 0, the flooder runs on CPU 1).
    groups: [['ws-off', 'ws-on'], ['sio-off', 'sio-on'], ['ws-echo'], ['sio-echo']],
    rounds: 3,
    pin: '0:1',
    args: { n: 200_000, batches: 10, rt: 2_000, segments: 8 },
    quick: { rounds: 2, args: { n: 50_000, batches: 5, rt: 800, segments: 4 } },
  },
  // Three nodes over Redis (RedisBackplane) against one node, and against raw Socket.IO with
  // @socket.io/redis-adapter: broadcast fan-out, cross-node requests. One run of its own 13
  // processes, interleaved rounds inside, about 2 minutes; it prints its own tables. Needs the
  // Redis on 127.0.0.1:6379.
  multinode: {
    script: 'multinode.ts',
    groups: [['multinode']],
    rounds: 1,
    pin: 'auto',
    args: {},
    quick: {
      rounds: 1,
      args: {
        clients: 100,
        msgs: 50,
        rounds: 3,
        rt: 100,
        'rt-segments': 4,
        'full-clients': 100,
        'full-rounds': 1,
      },
    },
    timeoutMs: 200_000,
    optIn: true,
  },
};

const RUN_TIMEOUT_MS = 60_000;

// ---------------------------------------------------------------- a quiet machine

function cpuTimes(): { busy: number; total: number } {
  // First line of /proc/stat: user nice system idle iowait irq softirq steal …
  const fields = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3] + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** Share of all CPUs that other processes kept busy over `ms` (we are idle meanwhile). */
async function machineBusy(ms = 500): Promise<number> {
  try {
    const a = cpuTimes();
    await new Promise((resolve) => setTimeout(resolve, ms));
    const b = cpuTimes();
    return b.total === a.total ? 0 : (b.busy - a.busy) / (b.total - a.total);
  } catch {
    return NaN; // not Linux
  }
}

/** Waits until the machine is quiet (< 10 % busy), at most `maxSeconds`; returns the last reading. */
async function waitIdle(maxSeconds: number): Promise<number> {
  const deadline = Date.now() + maxSeconds * 1000;
  let busy = await machineBusy();
  let said = false;
  while (busy > 0.1 && Date.now() < deadline) {
    if (!said)
      process.stderr.write(
        `  machine ${(busy * 100).toFixed(0)} % busy; waiting (at most ${maxSeconds} s)…\n`,
      );
    said = true;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    busy = await machineBusy();
  }
  return busy;
}

// ---------------------------------------------------------------- records

interface CpuMs {
  user: number;
  system: number;
}
interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}
interface Rec {
  runId: string;
  scenario: string;
  impl: string;
  round: number;
  error?: string;
  n?: number;
  // echo
  p50us?: number;
  p99us?: number;
  rtPerSec?: number;
  // throughput
  msgsPerSec?: number;
  serverCpuMs?: CpuMs;
  clientCpuMs?: CpuMs;
  // fanout
  clients?: number;
  msgs?: number;
  deliveriesPerSec?: number;
  allDeliveredMs?: number;
  serverSyncNsPerDelivery?: number;
  // security (echo under flood)
  p50FloodUs?: number;
  p99FloodUs?: number;
  segmentP50FloodUs?: number[];
  floodSent?: number;
  floodConnects?: number;
  cutoffs?: number;
  floodProcessedPerCutoffMedian?: number;
  floodProcessedPerCutoffMax?: number;
  floodProcessedTotal?: number;
  // scale (also conns, serverPerConnBytes)
  hb?: 'on' | 'off';
  procs?: number;
  hbIntervalMs?: number | null;
  connectMs?: number;
  windowMs?: number;
  windowCpuMs?: CpuMs;
  pingsPerConn?: number;
  connectedAfterWindow?: number;
  lost?: number;
  loopDelayMs?: { max: number; p99: number; mean: number };
  broadcastMs?: number[];
  broadcastMedianMs?: number;
  broadcastCallMs?: number[];
  code?: { commit: string | null; dirty: string[] };
  // memory
  conns?: number;
  serverPerConnBytes?: MemorySample;
  clientPerConnBytes?: MemorySample;
  env?: Record<string, unknown>;
  pinned?: string | null;
  busyBefore?: number;
  group?: string;
  segmentP50us?: number[];
  segmentServerCpuUsPerMsg?: number[];
  segmentMsgsPerSec?: number[];
  segmentDeliveriesPerSec?: number[];
  blocks?: number;
  // resume (also the echo, fanout and memory fields)
  part?: string;
  segmentRtPerSec?: number[];
  segmentHeapPerConn?: number[];
  gotsSent?: number;
  steps?: number;
  // multinode: its own tables (markdown) and verdicts
  report?: string;
  verdicts?: Verdict[];
}

/** One run of a group; resolves with one result per implementation (or one error). */
function runOne(
  scenario: Scenario,
  group: string[],
  round: number,
  quick: boolean,
): Promise<Record<string, unknown>[]> {
  const values = quick ? scenario.quick.args : scenario.args;
  const argv = [
    ...process.execArgv,
    ...(scenario.nodeFlags ?? []),
    path.join(BENCH_DIR, scenario.script),
    '--impls',
    group.join(','),
    '--rotate',
    String(round),
    '--pin',
    scenario.pin,
    ...Object.entries(values).flatMap(([k, v]) => [`--${k}`, String(v)]),
  ];
  return new Promise((resolve) => {
    // Its own process group, so that a run that hangs is killed with its client.
    const child = spawn(process.execPath, argv, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    let err = '';
    const timeoutMs = scenario.timeoutMs ?? RUN_TIMEOUT_MS;
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const killer = setTimeout(() => {
      err += `\n[run-all] killed after ${timeoutMs / 1000} s`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(killer);
      const lines = out.split('\n').filter((l) => l.startsWith('RESULT '));
      if (lines.length > 0)
        resolve(lines.map((l) => JSON.parse(l.slice(7)) as Record<string, unknown>));
      else
        resolve(group.map((impl) => ({ impl, error: `exit ${code}: ${err.trim().slice(-600)}` })));
    });
  });
}

function headline(rec: Record<string, unknown>): string {
  const r = rec as unknown as Rec;
  if (r.error !== undefined) return `ERROR ${r.error}`;
  switch (r.scenario) {
    case 'echo':
    case 'echo-hb':
    case 'request':
      return `p50 ${fmt(r.p50us, 1)} µs, ${fmt(r.rtPerSec)} RT/s`;
    case 'throughput':
      return `${fmt(cpuPer(r.serverCpuMs, r.n) * 1e3, 2)} µs server CPU/msg, ${fmt(r.msgsPerSec)} msgs/s`;
    case 'fanout':
      return `${fmt(r.deliveriesPerSec)} deliveries/s`;
    case 'memory':
      return `${fmt((r.serverPerConnBytes?.heapUsed ?? NaN) / 1024, 2)} KB heap/conn`;
    case 'resume':
      return r.part === 'echo'
        ? `p50 ${fmt(r.p50us, 1)} µs, ${fmt(r.rtPerSec)} RT/s`
        : r.part === 'fanout'
          ? `${fmt(r.deliveriesPerSec)} deliveries/s`
          : `${fmt(r.serverPerConnBytes?.heapUsed)} B heap/conn`;
    case 'scale':
      return `heartbeats ${r.hb}: ${fmt(r.conns)} conns in ${fmt((r.connectMs ?? NaN) / 1000, 1)} s, ${fmt((r.serverPerConnBytes?.heapUsed ?? NaN) / 1024, 2)} KB heap/conn, ${fmt(cpuPer(r.windowCpuMs, 1), 0)} ms CPU in the ${fmt((r.windowMs ?? NaN) / 1000, 0)} s window (${fmt(r.pingsPerConn, 1)} pings/conn), broadcast median ${fmt(r.broadcastMedianMs, 1)} ms${r.lost ? `; ${fmt(r.lost)} connections ended by the server` : ''}`;
    case 'security':
      return r.p50FloodUs !== undefined
        ? `echo p50 ${fmt(r.p50us, 1)} µs unloaded, ${fmt(r.p50FloodUs, 1)} µs under flood; ${fmt(r.cutoffs)} cut-offs, median ${fmt(r.floodProcessedPerCutoffMedian)} flood frames processed before each`
        : `${fmt(cpuPer(r.serverCpuMs, r.n) * 1e3, 2)} µs server CPU/msg, ${fmt(r.msgsPerSec)} msgs/s`;
    case 'multinode':
      return `${r.verdicts?.filter((v) => v.ok).length ?? 0} of ${r.verdicts?.length ?? 0} targets met`;
    default:
      return 'ok';
  }
}

async function main(args: Record<string, string>): Promise<void> {
  const quick = args.quick === 'true';
  const waitSeconds = args['wait-idle'] === undefined ? 0 : Number(args['wait-idle']);
  const only =
    args.only === undefined
      ? Object.keys(PLAN).filter((name) => PLAN[name].optIn !== true)
      : args.only.split(',').map((s) => s.trim());
  for (const name of only)
    if (PLAN[name] === undefined)
      throw new Error(`unknown scenario ${name}; known: ${Object.keys(PLAN).join(', ')}`);
  const runId = new Date().toISOString();
  const dir = path.join(ROOT, '.bench-results');
  mkdirSync(dir, { recursive: true });
  const outFile =
    args.out ?? path.join(dir, `${runId.replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.jsonl`);
  const load = loadavg()[0];
  if (load > 1.5)
    console.error(
      `warning: load average ${load.toFixed(2)}: other processes compete for the CPUs; figures will be noisy`,
    );
  const started = Date.now();
  for (const name of only) {
    const scenario = PLAN[name];
    const rounds =
      args.rounds !== undefined
        ? Number(args.rounds)
        : quick
          ? scenario.quick.rounds
          : scenario.rounds;
    for (let round = 0; round < rounds; round++) {
      for (const group of rotateList(scenario.groups, round)) {
        const busyBefore = waitSeconds > 0 ? await waitIdle(waitSeconds) : await machineBusy(300);
        const t = Date.now();
        const results = await runOne(scenario, group, round, quick);
        const wallMs = Date.now() - t;
        const busy = Number.isFinite(busyBefore)
          ? `${(busyBefore * 100).toFixed(0).padStart(3)} % busy before`
          : '';
        for (const result of results) {
          const rec = { runId, round, quick, ...result, scenario: name, busyBefore, wallMs };
          appendFileSync(outFile, JSON.stringify(rec) + '\n');
          console.error(
            `${name} r${round + 1}/${rounds} ${String(result.impl).padEnd(17)} ${(wallMs / 1000).toFixed(1).padStart(5)} s  ${busy}  ${headline(rec)}`,
          );
        }
      }
    }
  }
  console.error(
    `done in ${((Date.now() - started) / 1000).toFixed(0)} s; raw results: ${path.relative(ROOT, outFile)}`,
  );
  console.log(
    summarize(readFileSync(outFile, 'utf8'), runId, {
      loadStart: load,
      loadEnd: loadavg()[0],
      quick,
    }),
  );
}

function rotateList<T>(list: readonly T[], by: number): T[] {
  return list.map((_, i) => list[(i + by) % list.length]);
}

// ---------------------------------------------------------------- summary

function fmt(x: number | undefined, digits = 0): string {
  if (x === undefined || !Number.isFinite(x)) return 'n/a';
  return x.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

function stat(values: (number | undefined)[], digits = 0): string {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x));
  if (v.length === 0) return 'n/a';
  if (v.length === 1) return fmt(v[0], digits);
  return `${fmt(median(v), digits)} [${fmt(Math.min(...v), digits)}–${fmt(Math.max(...v), digits)}]`;
}

function busyNote(recs: Rec[]): string {
  const busy = recs
    .map((r) => r.busyBefore)
    .filter((b): b is number => b !== undefined && Number.isFinite(b));
  if (busy.length === 0) return '';
  const high = busy.filter((b) => b > 0.1).length;
  return `; other processes kept the machine ${fmt(median(busy) * 100)} % busy (median; max ${fmt(Math.max(...busy) * 100)} %) just before each run, above 10 % before ${high} of ${busy.length} runs`;
}

function cpuPer(cpu: CpuMs | undefined, n: number | undefined): number {
  return cpu === undefined || n === undefined ? NaN : (cpu.user + cpu.system) / n;
}

interface Verdict {
  what: string;
  target: string;
  measured: string;
  ok: boolean | undefined;
}

function summarize(
  text: string,
  runId: string | undefined,
  meta: { loadStart?: number; loadEnd?: number; quick?: boolean } = {},
): string {
  let recs = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Rec);
  runId ??= recs.at(-1)?.runId;
  recs = recs.filter((r) => r.runId === runId);
  const failed = recs.filter((r) => r.error !== undefined);
  recs = recs.filter((r) => r.error === undefined);
  const lines: string[] = [];
  const verdicts: Verdict[] = [];
  const of = (scenario: string): Rec[] => recs.filter((r) => r.scenario === scenario);
  const implsOf = (scenario: string): string[] => {
    const present = new Set(of(scenario).map((r) => r.impl));
    return [...new Set(PLAN[scenario]?.groups.flat() ?? present)].filter((impl) =>
      present.has(impl),
    );
  };
  const table = (title: string, header: string[], rows: string[][]): void => {
    lines.push(
      '',
      `### ${title}`,
      '',
      `| ${header.join(' | ')} |`,
      `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    );
    for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  };
  /**
   * Per-round a ÷ b (or a − b), in round order. When a and b shared a run and `segments` gives
   * their per-segment figures, the round's value is the median of the per-segment ratios: the
   * segments of a and b ran side by side, so a disturbance of the machine hits both.
   */
  const perRound = (
    scenario: string,
    a: string,
    b: string,
    f: (r: Rec) => number,
    op: 'ratio' | 'diff' = 'ratio',
    segments?: (r: Rec) => number[] | undefined,
  ): number[] => {
    const rs = of(scenario);
    const out: number[] = [];
    for (const round of [...new Set(rs.map((r) => r.round))].sort((x, y) => x - y)) {
      // Prefer a run that had both (an implementation may appear in several groups).
      const shared = rs.find(
        (r) =>
          r.round === round &&
          r.impl === a &&
          rs.some((o) => o.round === round && o.impl === b && o.group === r.group),
      );
      const ra = shared ?? rs.find((r) => r.round === round && r.impl === a);
      const rb =
        (shared && rs.find((r) => r.round === round && r.impl === b && r.group === shared.group)) ??
        rs.find((r) => r.round === round && r.impl === b);
      if (ra === undefined || rb === undefined) continue;
      const sa = segments?.(ra);
      const sb = segments?.(rb);
      if (
        op === 'ratio' &&
        ra.group !== undefined &&
        ra.group === rb.group &&
        sa !== undefined &&
        sb !== undefined &&
        sa.length === sb.length &&
        sa.length > 0
      ) {
        out.push(median(sa.map((x, i) => x / sb[i])));
      } else out.push(op === 'ratio' ? f(ra) / f(rb) : f(ra) - f(rb));
    }
    return out;
  };
  /** A table of ratios: label, median [min–max] of the rounds, the value of each round. */
  const ratioTable = (title: string, rows: string[][]): void =>
    table(title, ['ratio', 'median [min–max]', 'per round'], rows);
  const ratioRow = (label: string, values: number[], digits = 2): string[] => [
    label,
    stat(values, digits),
    values.map((v) => fmt(v, digits)).join(', '),
  ];
  const verdict = (
    what: string,
    target: string,
    values: number[],
    pass: (m: number) => boolean,
    digits = 2,
    unit = '×',
  ): void => {
    const m = median(values);
    verdicts.push({
      what,
      target,
      measured: values.length === 0 ? 'n/a' : `${stat(values, digits)}${unit}`,
      ok: values.length === 0 ? undefined : pass(m),
    });
  };

  const env = recs.find((r) => r.env !== undefined)?.env ?? {};
  lines.push(
    `Machine: ${cpus().length} vCPU (${cpus()[0]?.model ?? '?'}), Node ${String(env.node)}, ws ${String(env.ws)}, ` +
      `socket.io ${String(env['socket.io'])}, socket.io-client ${String(env['socket.io-client'])}, engine.io ${String(env['engine.io'])}, ` +
      `plugsocket ${String(env.plugsocket)}${typeof env.bufferutil === 'string' ? `, bufferutil ${env.bufferutil}` : ', no bufferutil'}. ` +
      `Run ${runId}${meta.quick ? ' (--quick: fewer rounds, smaller sizes)' : ''}` +
      (meta.loadStart !== undefined
        ? `; load average ${meta.loadStart.toFixed(2)} at start, ${meta.loadEnd?.toFixed(2)} at end`
        : '') +
      busyNote(recs) +
      '.',
  );

  /**
   * A latency table of sequential round trips (echo, request, resume's echo): `caption` is the
   * title, `impls` the rows and `runsOf` an implementation's runs.
   */
  const roundTripRows = (
    caption: string,
    impls: string[],
    runsOf: (impl: string) => Rec[],
  ): void => {
    table(
      caption,
      ['impl', 'runs', 'p50 µs', 'p99 µs', 'round trips/s', 'server CPU µs/RT', 'client CPU µs/RT'],
      impls.map((impl) => {
        const rs = runsOf(impl);
        return [
          impl,
          String(rs.length),
          stat(
            rs.map((r) => r.p50us),
            1,
          ),
          stat(
            rs.map((r) => r.p99us),
            1,
          ),
          stat(rs.map((r) => r.rtPerSec)),
          stat(
            rs.map((r) => cpuPer(r.serverCpuMs, r.n) * 1e3),
            1,
          ),
          stat(
            rs.map((r) => cpuPer(r.clientCpuMs, r.n) * 1e3),
            1,
          ),
        ];
      }),
    );
  };
  /** The latency table of a sequential round-trip scenario (echo, request). */
  const roundTripTable = (scenario: string, title: string): void =>
    roundTripRows(
      `${title} (1 client per implementation, sequential, ${fmt(of(scenario)[0].n)} round trips each after warm-up; server and client on CPU 0)`,
      implsOf(scenario),
      (impl) => of(scenario).filter((r) => r.impl === impl),
    );
  const p50 = (r: Rec): number => r.p50us ?? NaN;
  const rt = (r: Rec): number => r.rtPerSec ?? NaN;
  const p50Segments = (r: Rec): number[] | undefined => r.segmentP50us;

  // echo
  if (of('echo').length > 0) {
    roundTripTable('echo', 'Echo round trip');
    const psWs = perRound('echo', 'ps-ws', 'ws-raw', p50, 'ratio', p50Segments);
    const psSio = perRound('echo', 'ps-sio', 'sio-raw', p50, 'ratio', p50Segments);
    ratioTable(
      'Echo ratios (same round; implementations that shared a run: median of the per-segment ratios)',
      [
        ratioRow('p50 ps-ws ÷ ws-raw', psWs),
        ratioRow('p50 ps-sio ÷ sio-raw', psSio),
        ratioRow(
          'p50 sio-raw ÷ ws-raw (separate runs)',
          perRound('echo', 'sio-raw', 'ws-raw', p50),
        ),
        ratioRow(
          'round trips/s ps-ws ÷ sio-raw (separate runs)',
          perRound('echo', 'ps-ws', 'sio-raw', rt),
        ),
      ],
    );
    verdict('echo p50, ps-ws ÷ ws-raw', '≤ 1.10×', psWs, (m) => m <= 1.1);
    verdict('echo p50, ps-sio ÷ sio-raw', '≤ 1.10×', psSio, (m) => m <= 1.1);
  }

  // echo with heartbeats on and off
  if (of('echo-hb').length > 0) {
    roundTripTable('echo-hb', 'Echo round trip, heartbeats on (ps-ws) and off (ps-ws-nohb)');
    const on = perRound('echo-hb', 'ps-ws', 'ws-raw', p50, 'ratio', p50Segments);
    const off = perRound('echo-hb', 'ps-ws-nohb', 'ws-raw', p50, 'ratio', p50Segments);
    const onOff = perRound('echo-hb', 'ps-ws', 'ps-ws-nohb', p50, 'ratio', p50Segments);
    ratioTable('Heartbeat cost per message (same run, median of the per-segment ratios)', [
      ratioRow('p50 ps-ws (heartbeats on) ÷ ws-raw', on),
      ratioRow('p50 ps-ws-nohb (heartbeats off) ÷ ws-raw', off),
      ratioRow('p50 heartbeats on ÷ off', onOff),
    ]);
  }

  // request
  if (of('request').length > 0) {
    roundTripTable(
      'request',
      'Request round trip (ws-raw: hand-rolled id-matching RPC; sio-raw: emitWithAck)',
    );
    const psWs = perRound('request', 'ps-ws', 'ws-raw', p50, 'ratio', p50Segments);
    const psWsSio = perRound('request', 'ps-ws', 'sio-raw', p50, 'ratio', p50Segments);
    const psSio = perRound('request', 'ps-sio', 'sio-raw', p50, 'ratio', p50Segments);
    ratioTable(
      'Request ratios (same round; implementations that shared a run: median of the per-segment ratios)',
      [
        ratioRow('p50 ps-ws ÷ ws-raw (hand-rolled RPC)', psWs),
        ratioRow('p50 ps-ws ÷ sio-raw (emitWithAck)', psWsSio),
        ratioRow('p50 ps-sio ÷ sio-raw (emitWithAck)', psSio),
        ratioRow(
          'p50 sio-raw ÷ ws-raw',
          perRound('request', 'sio-raw', 'ws-raw', p50, 'ratio', p50Segments),
        ),
        ratioRow('round trips/s ps-ws ÷ sio-raw', perRound('request', 'ps-ws', 'sio-raw', rt)),
      ],
    );
    verdict('request p50, ps-ws ÷ ws-raw hand-rolled RPC', '≤ 1.10×', psWs, (m) => m <= 1.1);
    verdict('request p50, ps-ws ÷ sio-raw emitWithAck', '< 1.00×', psWsSio, (m) => m < 1);
  }

  // throughput
  if (of('throughput').length > 0) {
    const n = of('throughput')[0].n;
    table(
      `Inbound throughput (1 client per implementation pipelining ${fmt(n)} messages in 10 batches, corked bursts of 64, backpressure at 1 MiB; server CPU 0, client CPU 1)`,
      ['impl', 'runs', 'server CPU µs/msg', 'msgs/s', 'client CPU µs/msg'],
      implsOf('throughput').map((impl) => {
        const rs = of('throughput').filter((r) => r.impl === impl);
        return [
          impl,
          String(rs.length),
          stat(
            rs.map((r) => cpuPer(r.serverCpuMs, r.n) * 1e3),
            2,
          ),
          stat(rs.map((r) => r.msgsPerSec)),
          stat(
            rs.map((r) => cpuPer(r.clientCpuMs, r.n) * 1e3),
            2,
          ),
        ];
      }),
    );
    const cpu = (r: Rec): number => cpuPer(r.serverCpuMs, r.n);
    const rate = (r: Rec): number => r.msgsPerSec ?? NaN;
    const seg = (r: Rec): number[] | undefined => r.segmentServerCpuUsPerMsg;
    const psWs = perRound('throughput', 'ps-ws', 'ws-raw', cpu, 'ratio', seg);
    const psSio = perRound('throughput', 'ps-sio', 'sio-raw', cpu, 'ratio', seg);
    const capacity = perRound('throughput', 'sio-raw', 'ps-ws', cpu, 'ratio', seg);
    ratioTable(
      'Throughput ratios (same round; implementations that shared a run: median of the per-batch ratios)',
      [
        ratioRow('server CPU/msg ps-ws ÷ ws-raw', psWs),
        ratioRow('server CPU/msg ps-sio ÷ sio-raw', psSio),
        ratioRow(
          'server CPU/msg sio-raw ÷ ws-raw (separate runs)',
          perRound('throughput', 'sio-raw', 'ws-raw', cpu),
        ),
        ratioRow('server capacity ps-ws ÷ sio-raw (sio-raw CPU/msg ÷ ps-ws CPU/msg)', capacity),
        ratioRow(
          'msgs/s ps-ws ÷ sio-raw',
          perRound('throughput', 'ps-ws', 'sio-raw', rate, 'ratio', (r) => r.segmentMsgsPerSec),
        ),
      ],
    );
    verdict('inbound server CPU/msg, ps-ws ÷ ws-raw', '≤ 1.25×', psWs, (m) => m <= 1.25);
    verdict('inbound server CPU/msg, ps-sio ÷ sio-raw', '≤ 1.10×', psSio, (m) => m <= 1.1);
    verdict(
      'headline: ps-ws inbound capacity ÷ raw socket.io',
      '≥ 1.5×',
      capacity,
      (m) => m >= 1.5,
    );
  }

  // fan-out
  if (of('fanout').length > 0) {
    const r0 = of('fanout')[0];
    table(
      `Broadcast fan-out (${fmt(r0.clients)} light clients × ${fmt(r0.msgs)} broadcasts per implementation, one per event-loop turn, in blocks of ${fmt((r0.msgs ?? NaN) / (r0.blocks ?? 1))}; server CPU 0, clients CPU 1)`,
      [
        'impl',
        'runs',
        'deliveries/s',
        'all delivered ms',
        'server CPU ns/delivery',
        'in broadcast() ns/delivery',
        'client CPU ns/delivery',
      ],
      implsOf('fanout').map((impl) => {
        const rs = of('fanout').filter((r) => r.impl === impl);
        const d = (r: Rec): number => (r.clients ?? NaN) * (r.msgs ?? NaN);
        return [
          impl,
          String(rs.length),
          stat(rs.map((r) => r.deliveriesPerSec)),
          stat(rs.map((r) => r.allDeliveredMs)),
          stat(rs.map((r) => cpuPer(r.serverCpuMs, d(r)) * 1e6)),
          stat(rs.map((r) => r.serverSyncNsPerDelivery)),
          stat(rs.map((r) => cpuPer(r.clientCpuMs, d(r)) * 1e6)),
        ];
      }),
    );
    const dps = (r: Rec): number => r.deliveriesPerSec ?? NaN;
    const seg = (r: Rec): number[] | undefined => r.segmentDeliveriesPerSec;
    const psWs = perRound('fanout', 'ps-ws', 'ws-raw-prebuilt', dps, 'ratio', seg);
    const psSio = perRound('fanout', 'ps-sio', 'sio-raw', dps);
    ratioTable(
      'Fan-out ratios (deliveries/s, same round; implementations that shared a run: median of the per-block ratios)',
      [
        ratioRow('ps-ws ÷ ws-raw-prebuilt', psWs),
        ratioRow(
          'ps-ws ÷ ws-raw-per-client (separate runs)',
          perRound('fanout', 'ps-ws', 'ws-raw-per-client', dps),
        ),
        ratioRow('ps-sio ÷ sio-raw (separate runs)', psSio),
        ratioRow('ps-ws ÷ sio-raw (separate runs)', perRound('fanout', 'ps-ws', 'sio-raw', dps)),
      ],
    );
    verdict('fan-out deliveries/s, ps-ws ÷ ws-raw-prebuilt', '≥ 0.95×', psWs, (m) => m >= 0.95);
    verdict(
      'fan-out deliveries/s, ps-sio ÷ sio-raw',
      '≥ 0.91× (cost ≤ 1.10×)',
      psSio,
      (m) => m >= 1 / 1.1,
    );
  }

  // memory
  if (of('memory').length > 0) {
    const r0 = of('memory')[0];
    const kb = (b: number | undefined): number => (b ?? NaN) / 1024;
    table(
      `Memory per idle connection (server process, ${fmt(r0.conns)} connections, after full GC; KB = 1,024 bytes)`,
      [
        'impl',
        'runs',
        'heapUsed KB',
        'RSS KB',
        'heapTotal KB',
        'external KB',
        'client process RSS KB',
      ],
      implsOf('memory').map((impl) => {
        const rs = of('memory').filter((r) => r.impl === impl);
        return [
          impl,
          String(rs.length),
          stat(
            rs.map((r) => kb(r.serverPerConnBytes?.heapUsed)),
            2,
          ),
          stat(
            rs.map((r) => kb(r.serverPerConnBytes?.rss)),
            2,
          ),
          stat(
            rs.map((r) => kb(r.serverPerConnBytes?.heapTotal)),
            2,
          ),
          stat(
            rs.map((r) => kb(r.serverPerConnBytes?.external)),
            2,
          ),
          stat(
            rs.map((r) => kb(r.clientPerConnBytes?.rss)),
            2,
          ),
        ];
      }),
    );
    const heap = (r: Rec): number => kb(r.serverPerConnBytes?.heapUsed);
    const rss = (r: Rec): number => kb(r.serverPerConnBytes?.rss);
    const wsAdded = perRound('memory', 'ps-ws', 'ws-raw', heap, 'diff');
    const sioAdded = perRound('memory', 'ps-sio', 'sio-raw', heap, 'diff');
    const vsSio = perRound('memory', 'ps-ws', 'sio-raw', heap);
    table(
      'Memory comparisons (same round)',
      ['comparison', 'median [min–max]', 'per round'],
      [
        ratioRow('heap KB added: ps-ws − ws-raw', wsAdded),
        ratioRow('heap KB added: ps-sio − sio-raw', sioAdded),
        ratioRow('heap ps-ws ÷ sio-raw', vsSio),
        ratioRow('RSS ps-ws ÷ sio-raw', perRound('memory', 'ps-ws', 'sio-raw', rss)),
        ratioRow('RSS ps-ws ÷ ws-raw', perRound('memory', 'ps-ws', 'ws-raw', rss)),
      ],
    );
    verdict(
      'heap per connection added by plugsocket on ws',
      '≤ 1.5 KB',
      wsAdded,
      (m) => m <= 1.5,
      2,
      ' KB',
    );
    verdict(
      'heap per connection added by plugsocket on Socket.IO',
      '≤ 1.5 KB',
      sioAdded,
      (m) => m <= 1.5,
      2,
      ' KB',
    );
    verdict(
      'headline: ps-ws heap per connection ÷ raw socket.io',
      '≤ 0.5×',
      vsSio,
      (m) => m <= 0.5,
    );
  }

  // security
  if (of('security').length > 0) {
    const inbound = of('security').filter((r) => r.p50FloodUs === undefined);
    const echo = of('security').filter((r) => r.p50FloodUs !== undefined);
    const onOff = (t: 'ws' | 'sio'): { rate: number[]; cpu: number[] } => ({
      rate: perRound(
        'security',
        `${t}-on`,
        `${t}-off`,
        (r) => r.msgsPerSec ?? NaN,
        'ratio',
        (r) => r.segmentMsgsPerSec,
      ),
      cpu: perRound(
        'security',
        `${t}-on`,
        `${t}-off`,
        (r) => cpuPer(r.serverCpuMs, r.n),
        'ratio',
        (r) => r.segmentServerCpuUsPerMsg,
      ),
    });
    if (inbound.length > 0) {
      table(
        `Inbound with the rate limiter off (rateLimit: false) and on (defaults, allowances never reached) (1 light client pipelining ${fmt(inbound[0].n)} messages in batches, interleaved; server CPU 0, client CPU 1)`,
        ['impl', 'runs', 'msgs/s', 'server CPU µs/msg'],
        ['ws-off', 'ws-on', 'sio-off', 'sio-on']
          .filter((impl) => inbound.some((r) => r.impl === impl))
          .map((impl) => {
            const rs = inbound.filter((r) => r.impl === impl);
            return [
              impl,
              String(rs.length),
              stat(rs.map((r) => r.msgsPerSec)),
              stat(
                rs.map((r) => cpuPer(r.serverCpuMs, r.n) * 1e3),
                2,
              ),
            ];
          }),
      );
      const ws = onOff('ws');
      const sio = onOff('sio');
      ratioTable('Rate limiter cost (same run: median of the per-batch ratios)', [
        ratioRow('msgs/s ws on ÷ off', ws.rate),
        ratioRow('server CPU/msg ws on ÷ off', ws.cpu),
        ratioRow('msgs/s sio on ÷ off', sio.rate),
        ratioRow('server CPU/msg sio on ÷ off', sio.cpu),
      ]);
      verdict('inbound msgs/s with the limiter, ws on ÷ off', '≥ 0.95×', ws.rate, (m) => m >= 0.95);
      verdict(
        'inbound msgs/s with the limiter, sio on ÷ off',
        '≥ 0.95×',
        sio.rate,
        (m) => m >= 0.95,
      );
    }
    if (echo.length > 0) {
      table(
        `Echo round trip unloaded and while one client floods (default rate limit; ${fmt(echo[0].n)} round trips of each kind in interleaved segments; server and echo client CPU 0, flooder CPU 1; the flooder reconnects each time it is cut off)`,
        [
          'impl',
          'runs',
          'p50 µs unloaded',
          'p50 µs flooded',
          'p99 µs unloaded',
          'p99 µs flooded',
          'cut-offs (4429)',
          'flood frames processed before a cut-off (median, max)',
          'flood frames sent',
        ],
        ['ws-echo', 'sio-echo']
          .filter((impl) => echo.some((r) => r.impl === impl))
          .map((impl) => {
            const rs = echo.filter((r) => r.impl === impl);
            return [
              impl,
              String(rs.length),
              stat(
                rs.map((r) => r.p50us),
                1,
              ),
              stat(
                rs.map((r) => r.p50FloodUs),
                1,
              ),
              stat(
                rs.map((r) => r.p99us),
                1,
              ),
              stat(
                rs.map((r) => r.p99FloodUs),
                1,
              ),
              stat(rs.map((r) => r.cutoffs)),
              `${stat(rs.map((r) => r.floodProcessedPerCutoffMedian))}, ${stat(rs.map((r) => r.floodProcessedPerCutoffMax))}`,
              stat(rs.map((r) => r.floodSent)),
            ];
          }),
      );
      const flooded = (impl: string): number[] =>
        echo
          .filter((r) => r.impl === impl)
          .sort((a, b) => a.round - b.round)
          .map((r) => {
            const u = r.segmentP50us ?? [];
            const f = r.segmentP50FloodUs ?? [];
            return u.length > 0 && u.length === f.length
              ? median(f.map((x, i) => x / u[i]))
              : (r.p50FloodUs ?? NaN) / (r.p50us ?? NaN);
          });
      const wsFlood = flooded('ws-echo');
      const sioFlood = flooded('sio-echo');
      ratioTable('Echo under flood (same run: median of the per-segment-pair ratios)', [
        ratioRow('p50 flooded ÷ unloaded, ws', wsFlood),
        ratioRow('p50 flooded ÷ unloaded, sio', sioFlood),
      ]);
      verdict('echo p50 under flood ÷ unloaded, ws', '≤ 2×', wsFlood, (m) => m <= 2);
      verdict('echo p50 under flood ÷ unloaded, sio', '≤ 2×', sioFlood, (m) => m <= 2);
    }
  }

  // resume
  if (of('resume').length > 0) {
    const part = (p: string): Rec[] => of('resume').filter((r) => r.impl.startsWith(`${p}:`));
    const implsIn = (p: string): string[] =>
      implsOf('resume').filter((impl) => impl.startsWith(`${p}:`));
    const runsOf = (impl: string): Rec[] => of('resume').filter((r) => r.impl === impl);
    const cost = (ratios: number[]): number[] => ratios.map((x) => (1 - x) * 100);
    const echo = part('echo');
    if (echo.length > 0) {
      roundTripRows(
        `Resume on (ps-ws) and off (ps-ws-noresume): echo round trip (1 real client per implementation, sequential, ${fmt(echo[0].n)} round trips each after warm-up, in interleaved segments; server and client on CPU 0)`,
        implsIn('echo'),
        runsOf,
      );
    }
    const fan = part('fanout');
    if (fan.length > 0) {
      const r0 = fan[0];
      const d = (r: Rec): number => (r.clients ?? NaN) * (r.msgs ?? NaN);
      table(
        `Resume on and off: broadcast fan-out (${fmt(r0.clients)} light clients × ${fmt(r0.msgs)} broadcasts per implementation in ${fmt(r0.blocks)} interleaved blocks; ps-ws's clients acknowledge with \`got\` every 32 frames, as a real client does; server CPU 0, clients CPU 1)`,
        [
          'impl',
          'runs',
          'deliveries/s',
          'server CPU ns/delivery',
          'in broadcast() ns/delivery',
          'client CPU ns/delivery',
          '`got` frames/run',
        ],
        implsIn('fanout').map((impl) => {
          const rs = runsOf(impl);
          return [
            impl,
            String(rs.length),
            stat(rs.map((r) => r.deliveriesPerSec)),
            stat(rs.map((r) => cpuPer(r.serverCpuMs, d(r)) * 1e6)),
            stat(rs.map((r) => r.serverSyncNsPerDelivery)),
            stat(rs.map((r) => cpuPer(r.clientCpuMs, d(r)) * 1e6)),
            stat(rs.map((r) => r.gotsSent)),
          ];
        }),
      );
    }
    const heap = part('heap');
    if (heap.length > 0) {
      table(
        `Resume on and off: server memory per idle connection (${fmt(heap[0].conns)} connections per implementation, opened in ${fmt(heap[0].steps)} interleaved steps, full GC before and after each; bytes)`,
        ['impl', 'runs', 'heapUsed B', 'per step B', 'RSS B'],
        implsIn('heap').map((impl) => {
          const rs = runsOf(impl);
          return [
            impl,
            String(rs.length),
            stat(rs.map((r) => r.serverPerConnBytes?.heapUsed)),
            rs.map((r) => (r.segmentHeapPerConn ?? []).join(' ')).join('; '),
            stat(rs.map((r) => r.serverPerConnBytes?.rss)),
          ];
        }),
      );
    }
    const rtSeg = (r: Rec): number[] | undefined => r.segmentRtPerSec;
    const dps = (r: Rec): number => r.deliveriesPerSec ?? NaN;
    const dpsSeg = (r: Rec): number[] | undefined => r.segmentDeliveriesPerSec;
    const fanCpu = (r: Rec): number => cpuPer(r.serverCpuMs, (r.clients ?? NaN) * (r.msgs ?? NaN));
    const heapB = (r: Rec): number => r.serverPerConnBytes?.heapUsed ?? NaN;
    const echoRt = perRound('resume', 'echo:ps-ws', 'echo:ps-ws-noresume', rt, 'ratio', rtSeg);
    const fanOnOff = perRound(
      'resume',
      'fanout:ps-ws',
      'fanout:ps-ws-noresume',
      dps,
      'ratio',
      dpsSeg,
    );
    const heapOnOff = perRound('resume', 'heap:ps-ws', 'heap:ps-ws-noresume', heapB, 'diff');
    ratioTable(
      'Resume cost (same run; median of the per-segment, per-block ratios; cost % = (1 − on ÷ off) × 100)',
      [
        ratioRow('echo round trips/s, on ÷ off', echoRt),
        ratioRow('echo cost %, on vs off', cost(echoRt), 1),
        ratioRow(
          'echo p50, on ÷ off',
          perRound('resume', 'echo:ps-ws', 'echo:ps-ws-noresume', p50, 'ratio', p50Segments),
        ),
        ratioRow(
          'echo p50, on ÷ ws-raw',
          perRound('resume', 'echo:ps-ws', 'echo:ws-raw', p50, 'ratio', p50Segments),
        ),
        ratioRow(
          'echo p50, off ÷ ws-raw',
          perRound('resume', 'echo:ps-ws-noresume', 'echo:ws-raw', p50, 'ratio', p50Segments),
        ),
        ratioRow('fan-out deliveries/s, on ÷ off', fanOnOff),
        ratioRow('fan-out cost %, on vs off (target ≤ 10 %)', cost(fanOnOff), 1),
        ratioRow(
          'fan-out server CPU/delivery, on ÷ off (whole run)',
          perRound('resume', 'fanout:ps-ws', 'fanout:ps-ws-noresume', fanCpu),
        ),
        ratioRow(
          'fan-out deliveries/s, on ÷ ws-raw-prebuilt',
          perRound('resume', 'fanout:ps-ws', 'fanout:ws-raw-prebuilt', dps, 'ratio', dpsSeg),
        ),
        ratioRow(
          'fan-out deliveries/s, off ÷ ws-raw-prebuilt',
          perRound(
            'resume',
            'fanout:ps-ws-noresume',
            'fanout:ws-raw-prebuilt',
            dps,
            'ratio',
            dpsSeg,
          ),
        ),
        ratioRow('heap B per idle session, on − off (target ≤ 1,024 B)', heapOnOff, 0),
        ratioRow(
          'heap B per idle connection, on − ws-raw',
          perRound('resume', 'heap:ps-ws', 'heap:ws-raw', heapB, 'diff'),
          0,
        ),
        ratioRow(
          'heap B per idle connection, off − ws-raw',
          perRound('resume', 'heap:ps-ws-noresume', 'heap:ws-raw', heapB, 'diff'),
          0,
        ),
      ],
    );
    verdict(
      'resume: fan-out deliveries/s, on ÷ off',
      '≥ 0.90× (cost ≤ 10 %)',
      fanOnOff,
      (m) => m >= 0.9,
    );
    verdict(
      'resume: heap per idle session, on − off',
      '≤ 1,024 B',
      heapOnOff,
      (m) => m <= 1024,
      0,
      ' B',
    );
  }

  // scale
  if (of('scale').length > 0) {
    const sc = of('scale');
    const conns = sc[0].conns ?? NaN;
    const kb = (b: number | undefined): number => (b ?? NaN) / 1024;
    const runsOf = (impl: string, hb: 'on' | 'off'): Rec[] =>
      sc.filter((r) => r.impl === impl && r.hb === hb);
    const rounds = [...new Set(sc.map((r) => r.round))].sort((x, y) => x - y);
    const find = (round: number, impl: string, hb: 'on' | 'off'): Rec | undefined =>
      sc.find((r) => r.round === round && r.impl === impl && r.hb === hb);
    const cpuMsOf = (r: Rec): number => cpuPer(r.windowCpuMs, 1);
    /**
     * Per round, the heartbeat's CPU for one ping of every connection, in ms: the server's CPU
     * over the window with heartbeats on minus the same with them off (per ms of window), times
     * the window, divided by the pings each connection answered in it.
     */
    const sweepMs = (impl: string): number[] =>
      rounds.flatMap((round) => {
        const on = find(round, impl, 'on');
        const off = find(round, impl, 'off');
        if (on?.windowMs === undefined || off?.windowMs === undefined) return [];
        const extra = (cpuMsOf(on) / on.windowMs - cpuMsOf(off) / off.windowMs) * on.windowMs;
        return [extra / (on.pingsPerConn ?? NaN)];
      });
    const per10k = (impl: string): number[] => sweepMs(impl).map((ms) => (ms * 10_000) / conns);
    const DEFAULT_INTERVAL_MS = 25_000;
    const impls = ['ws-raw', 'ps-ws', 'sio-raw', 'ps-sio'].filter((impl) =>
      sc.some((r) => r.impl === impl),
    );
    const on0 = sc.find((r) => r.hb === 'on');
    table(
      `Scale on one node (${fmt(conns)} connections from ${fmt(sc[0].procs)} client processes, heartbeats every ${fmt(on0?.hbIntervalMs ?? NaN)} ms over a ${fmt((on0?.windowMs ?? NaN) / 1000, 0)} s idle window, then broadcasts to all, each the median of its repetitions; server CPU 0, clients CPU 1; KB = 1,024 bytes)`,
      [
        'impl',
        'runs (on/off)',
        'heap KB/conn, hb on',
        'RSS KB/conn, hb on',
        'heap KB/conn, hb off',
        'connect s',
        'pings/conn in window',
        'idle server CPU ms/s, hb on',
        'idle server CPU ms/s, hb off',
        'heartbeat CPU ms per ping of every conn',
        'same, per 10k conns',
        '% of one core at 25 s (extrapolated)',
        'event-loop delay max ms, hb on',
        'broadcast to all ms, hb on',
        'broadcast to all ms, hb off',
        'in the broadcast call ms, hb on',
        'conns ended by the server, hb on',
      ],
      impls.map((impl) => {
        const on = runsOf(impl, 'on');
        const off = runsOf(impl, 'off');
        const perSec = (r: Rec): number => (cpuMsOf(r) / (r.windowMs ?? NaN)) * 1000;
        return [
          impl,
          `${on.length}/${off.length}`,
          stat(
            on.map((r) => kb(r.serverPerConnBytes?.heapUsed)),
            2,
          ),
          stat(
            on.map((r) => kb(r.serverPerConnBytes?.rss)),
            2,
          ),
          stat(
            off.map((r) => kb(r.serverPerConnBytes?.heapUsed)),
            2,
          ),
          stat(
            [...on, ...off].map((r) => (r.connectMs ?? NaN) / 1000),
            1,
          ),
          stat(
            on.map((r) => r.pingsPerConn),
            1,
          ),
          stat(on.map(perSec), 1),
          stat(off.map(perSec), 1),
          stat(sweepMs(impl), 1),
          stat(per10k(impl), 1),
          stat(
            per10k(impl).map((ms) => (ms / DEFAULT_INTERVAL_MS) * 100),
            3,
          ),
          stat(
            on.map((r) => r.loopDelayMs?.max),
            0,
          ),
          stat(
            on.map((r) => r.broadcastMedianMs),
            1,
          ),
          stat(
            off.map((r) => r.broadcastMedianMs),
            1,
          ),
          stat(
            on.map((r) => median(r.broadcastCallMs ?? [])),
            1,
          ),
          stat(on.map((r) => r.lost ?? 0)),
        ];
      }),
    );
    /** Per round, a's figure against b's, both from the runs with heartbeats `hb`. */
    const versus = (
      a: string,
      b: string,
      hb: 'on' | 'off',
      f: (r: Rec) => number,
      op: 'ratio' | 'diff',
    ): number[] =>
      rounds.flatMap((round) => {
        const ra = find(round, a, hb);
        const rb = find(round, b, hb);
        if (ra === undefined || rb === undefined) return [];
        return [op === 'ratio' ? f(ra) / f(rb) : f(ra) - f(rb)];
      });
    const heap = (r: Rec): number => kb(r.serverPerConnBytes?.heapUsed);
    const bcast = (r: Rec): number => r.broadcastMedianMs ?? NaN;
    const psWsHeap = versus('ps-ws', 'ws-raw', 'on', heap, 'diff');
    const psSioHeap = versus('ps-sio', 'sio-raw', 'on', heap, 'diff');
    const psWsBcast = versus('ps-ws', 'sio-raw', 'on', bcast, 'ratio');
    const psSioBcast = versus('ps-sio', 'sio-raw', 'on', bcast, 'ratio');
    table(
      'Scale comparisons (same round, separate server processes)',
      ['comparison', 'median [min–max]', 'per round'],
      [
        ratioRow('heap KB/conn, hb on: ps-ws − ws-raw', psWsHeap),
        ratioRow(
          'heap KB/conn, hb on: sio-raw − ws-raw',
          versus('sio-raw', 'ws-raw', 'on', heap, 'diff'),
        ),
        ratioRow(
          'heap KB/conn, hb on: ps-sio − ws-raw',
          versus('ps-sio', 'ws-raw', 'on', heap, 'diff'),
        ),
        ratioRow('heap KB/conn, hb on: ps-sio − sio-raw (its bare transport)', psSioHeap),
        ratioRow(
          'heap KB/conn, hb off: ps-ws − ws-raw',
          versus('ps-ws', 'ws-raw', 'off', heap, 'diff'),
        ),
        ratioRow(
          'heap KB/conn, hb off: ps-sio − sio-raw',
          versus('ps-sio', 'sio-raw', 'off', heap, 'diff'),
        ),
        ratioRow(
          'broadcast to all, hb on: ws-raw ÷ sio-raw',
          versus('ws-raw', 'sio-raw', 'on', bcast, 'ratio'),
        ),
        ratioRow('broadcast to all, hb on: ps-ws ÷ sio-raw', psWsBcast),
        ratioRow('broadcast to all, hb on: ps-sio ÷ sio-raw', psSioBcast),
        ratioRow(
          'broadcast to all, hb off: ps-ws ÷ sio-raw',
          versus('ps-ws', 'sio-raw', 'off', bcast, 'ratio'),
        ),
        ratioRow(
          'broadcast to all, hb off: ps-sio ÷ sio-raw',
          versus('ps-sio', 'sio-raw', 'off', bcast, 'ratio'),
        ),
      ],
    );
    const codes = [...new Set(sc.map((r) => r.code?.commit ?? '?'))].join(', ');
    const dirty = [...new Set(sc.flatMap((r) => r.code?.dirty ?? []))];
    lines.push(
      '',
      `Targets: plugsocket's heap per connection ≤ raw ws + 1.5 KB with heartbeats on (ps-ws; ps-sio against raw Socket.IO, its bare transport, since Socket.IO alone holds several KB more than raw ws); a broadcast to every connection completes faster than raw Socket.IO's (\`io.emit\`). The heartbeat's share of a core at the default 25 s interval is extrapolated from the ${fmt(on0?.hbIntervalMs ?? NaN)} ms sweeps (CPU per ping of every connection ÷ 25 s), not measured. Code: ${codes}${dirty.length > 0 ? `, with uncommitted changes to ${dirty.join(', ')}` : ''}.`,
    );
    verdict(
      'scale: heap/conn with heartbeats, ps-ws − ws-raw',
      '≤ 1.5 KB',
      psWsHeap,
      (m) => m <= 1.5,
      2,
      ' KB',
    );
    verdict(
      'scale: heap/conn with heartbeats, ps-sio − sio-raw',
      '≤ 1.5 KB',
      psSioHeap,
      (m) => m <= 1.5,
      2,
      ' KB',
    );
    verdict(
      `scale: broadcast to ${fmt(conns)}, ps-ws ÷ sio-raw`,
      '< 1.00×',
      psWsBcast,
      (m) => m < 1,
    );
    verdict(
      `scale: broadcast to ${fmt(conns)}, ps-sio ÷ sio-raw`,
      '< 1.00×',
      psSioBcast,
      (m) => m < 1,
    );
  }

  for (const r of of('multinode')) {
    lines.push('', r.report ?? '');
    verdicts.push(...(r.verdicts ?? []));
  }

  if (verdicts.length > 0) {
    lines.push(
      '',
      '### Verdicts (median of the per-round figures)',
      '',
      '| target | goal | measured | |',
      '|---|---|---|---|',
    );
    for (const v of verdicts)
      lines.push(
        `| ${v.what} | ${v.target} | ${v.measured} | ${v.ok === undefined ? '–' : v.ok ? '✓' : '✗'} |`,
      );
    lines.push('');
    for (const v of verdicts)
      lines.push(
        `VERDICT ${v.ok === undefined ? 'n/a' : v.ok ? 'PASS' : 'FAIL'}: ${v.what}: ${v.measured} (goal ${v.target})`,
      );
  }
  if (failed.length > 0) {
    lines.push('', `Failed runs (${failed.length}):`);
    for (const r of failed)
      lines.push(
        `- ${r.scenario} round ${r.round + 1} ${r.impl}: ${r.error?.split('\n').at(-1) ?? ''}`,
      );
  }
  return lines.join('\n');
}

const args = parseArgs();
if (args.summarize !== undefined)
  console.log(summarize(readFileSync(args.summarize, 'utf8'), args.run));
else await main(args);
