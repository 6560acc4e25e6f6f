// Scenario: several nodes over Redis. plugsocket's SocketServer (ws adapter) with RedisBackplane
// against raw Socket.IO with @socket.io/redis-adapter, on the same Redis, in one run of about two
// minutes (bounded by --budget, 170 s: rounds stop early rather than overrun):
//
//   1. Broadcast fan-out (light clients: raw ws connections that only count frames). Per kind
//      (ps, sio) and round, one block of M broadcasts (one per event-loop turn) of each of:
//        -1               one node, N clients, no backplane: the brief's single node
//        -3-local         three independent nodes (no backplane), N clients each, each
//                         broadcasting M at the same time: the same processes on the same core as
//                         -3, without Redis — the like-for-like baseline on this machine
//        -3               three nodes over Redis, N clients each, the M broadcasts issued on one
//        -3-spread        the same, a third of them issued on each node
//        -3-solo-issuing  as -3, the issuing node alone on CPU 0 for the block (the other two
//        -3-solo-receiving  move to CPU 1); a receiving node alone on CPU 0: what a node with a
//                         core to itself does per CPU-second ("capacity")
//      A block ends when every client of every node has all M. Per node: deliveries/s (wall
//      clock), CPU per delivery (user, system), write calls, preemptions; per block: the client
//      process's CPU, Redis's CPU, what was published.
//   2. The backplane alone: M' broadcasts issued on node a with no client anywhere, until nodes b
//      and c took them all: CPU per broadcast of the issuing and a receiving node, from which the
//      per-node ratio with a core each is projected.
//   3. Request round trips, sequential: server.request to a client on the same node and on
//      another node (through Redis), client-to-client (requestClient) on the same node and across
//      nodes; Socket.IO's equivalents: a socket's emitWithAck on its node, io.to(id).timeout()
//      .emitWithAck() across nodes through the adapter, and a hand-written relay for
//      client-to-client; a Redis PING and a directory lookup for scale.
//   4. The broadcast again (-1, -3) with full clients: SocketClient over WsSocket;
//      socket.io-client, websocket transport only (--full-rounds 0: skipped).
//
//   node --conditions=plugsocket-source --import tsx bench/multinode.ts [--clients 300] [--msgs 40]
//     [--rounds 7] [--bare 2000] [--bare-rounds 3] [--rt 300] [--rt-segments 6]
//     [--full-clients 300] [--full-msgs 30] [--full-rounds 5] [--redis redis://127.0.0.1:6379]
//     [--pin auto|none] [--rotate 0] [--budget 170000] [--profile <dir> [--profile-nodes ps-a,…]]
//   npm run bench -- --only multinode
//
// Processes: the orchestrator (this one), 12 server nodes (ps-1, ps-1b, ps-1c, ps-a/b/c and the
// same for sio: multinode-node.ts) and one client process (multinode-clients.ts), each forked
// with this process's Node flags. With --pin auto (the default): every server node on CPU 0, the
// client process and this one on CPU 1; for the round trips the client process moves to CPU 0 too
// (/work/shared/design/PERFORMANCE.md: latency on one CPU). Redis is the machine's own, not
// pinned. Each run uses its own key prefix and deletes its keys at the end; every child is killed
// on exit, on error and on a signal, and exits by itself when this process goes away. Prints the
// markdown tables and one `RESULT {json}` line (for bench/run-all.ts).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import {
  BENCH_DIR,
  environment,
  median,
  numberArg,
  parseArgs,
  percentile,
  pinSelf,
  rotate,
  sleep,
  type CpuMs,
} from './common.js';
import { forkPeer, killAll, type Peer } from './multinode-ipc.js';

const args = parseArgs();
const N = numberArg(args, 'clients', 300);
const M = numberArg(args, 'msgs', 40);
const ROUNDS = numberArg(args, 'rounds', 7);
const RT_N = numberArg(args, 'rt', 300);
const RT_SEGMENTS = numberArg(args, 'rt-segments', 6);
const BARE_N = numberArg(args, 'bare', 2_000);
const BARE_ROUNDS = numberArg(args, 'bare-rounds', 3);
const FULL_N = numberArg(args, 'full-clients', 300);
const FULL_M = numberArg(args, 'full-msgs', 30);
const FULL_ROUNDS = args['full-rounds'] === '0' ? 0 : numberArg(args, 'full-rounds', 5);
const ROTATE = Number(args.rotate ?? 0);
const REDIS_URL = args.redis ?? 'redis://127.0.0.1:6379';
const PIN = (args.pin ?? 'auto') === 'none' ? 'none' : 'auto';
const BUDGET_MS = numberArg(args, 'budget', 170_000);
/**
 * A folder: CPU profiles of the nodes in --profile-nodes (default ps-1, ps-a, ps-b, sio-1, sio-a,
 * sio-b) over the light broadcast rounds.
 */
const PROFILE_DIR = args.profile;
const SERVER_CPU = PIN === 'auto' ? '0' : 'none';
const CLIENT_CPU = PIN === 'auto' ? '1' : 'none';

const PREFIX = `plugsocket-bench-mn-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
const SIO_KEY = `${PREFIX}-sio`;

// ---------------------------------------------------------------- processes and clean-up

const redis = new Redis(REDIS_URL, {
  lazyConnect: true,
  maxRetriesPerRequest: 1,
  retryStrategy: () => null,
});
redis.on('error', () => undefined); // a failed command says what went wrong
let cleaned: Promise<number> | undefined;

/** Deletes every key of this run's prefixes; @returns how many there were. */
function deleteKeys(): Promise<number> {
  cleaned ??= (async () => {
    let deleted = 0;
    for (const match of [`${PREFIX}:*`, `${SIO_KEY}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) deleted += await redis.unlink(...keys);
      } while (cursor !== '0');
    }
    return deleted;
  })();
  return cleaned;
}

let failing = false;
async function fail(why: unknown): Promise<never> {
  if (!failing) {
    failing = true;
    console.error(`[multinode] ${why instanceof Error ? (why.stack ?? why.message) : String(why)}`);
    killAll();
    try {
      await Promise.race([deleteKeys(), sleep(3_000)]);
    } catch {
      // Redis is down: nothing to delete.
    }
    redis.disconnect();
  }
  process.exit(1);
}
process.on('exit', killAll);
process.on('uncaughtException', (error) => void fail(error));
process.on('unhandledRejection', (error) => void fail(error));
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.on(signal, () => void fail(`stopped by ${signal}`));
setTimeout(
  () => void fail(`hard timeout: the run took more than ${BUDGET_MS} ms`),
  BUDGET_MS,
).unref();

const NODE_SCRIPT = path.join(BENCH_DIR, 'multinode-node.ts');
const CLIENT_SCRIPT = path.join(BENCH_DIR, 'multinode-clients.ts');
const CHILD_TIMEOUT = String(BUDGET_MS + 10_000);

type Kind = 'ps' | 'sio';
const NODES = {
  'ps-1': { kind: 'ps', clustered: false },
  'ps-1b': { kind: 'ps', clustered: false },
  'ps-1c': { kind: 'ps', clustered: false },
  'ps-a': { kind: 'ps', clustered: true },
  'ps-b': { kind: 'ps', clustered: true },
  'ps-c': { kind: 'ps', clustered: true },
  'sio-1': { kind: 'sio', clustered: false },
  'sio-1b': { kind: 'sio', clustered: false },
  'sio-1c': { kind: 'sio', clustered: false },
  'sio-a': { kind: 'sio', clustered: true },
  'sio-b': { kind: 'sio', clustered: true },
  'sio-c': { kind: 'sio', clustered: true },
} as const satisfies Record<string, { kind: Kind; clustered: boolean }>;
type NodeName = keyof typeof NODES;
const NODE_NAMES = Object.keys(NODES) as NodeName[];

interface Scenario {
  name: string;
  kind: Kind;
  nodes: NodeName[];
  /** The nodes that issue the broadcasts: M split evenly between them, or M each (`each`). */
  senders: NodeName[];
  each?: boolean;
  /**
   * The node whose figures count: it has CPU 0 to itself for the block, the other nodes of its
   * cluster move to CPU 1 (with the clients). Its capacity is then a node's with a core of its
   * own, as in production; the other figures of such a block are not comparable.
   */
  solo?: NodeName;
}
function scenarios(kind: Kind): Scenario[] {
  const n = (suffix: string): NodeName => `${kind}-${suffix}` as NodeName;
  const cluster = [n('a'), n('b'), n('c')];
  const alone = [n('1'), n('1b'), n('1c')];
  return [
    // The single node of the brief: one server, its clients, nothing else running.
    { name: `${kind}-1`, kind, nodes: [n('1')], senders: [n('1')] },
    // The like-for-like control on this machine: three independent nodes (no backplane), each
    // broadcasting M to its own clients at the same time, sharing CPU 0 as the cluster does.
    { name: `${kind}-3-local`, kind, nodes: alone, senders: alone, each: true },
    { name: `${kind}-3`, kind, nodes: cluster, senders: [n('a')] },
    { name: `${kind}-3-spread`, kind, nodes: cluster, senders: cluster },
    // Only with the processes pinned: the issuing node, then a receiving node, alone on CPU 0.
    ...(PIN === 'auto'
      ? [
          { name: `${kind}-3-solo-issuing`, kind, nodes: cluster, senders: [n('a')], solo: n('a') },
          {
            name: `${kind}-3-solo-receiving`,
            kind,
            nodes: cluster,
            senders: [n('a')],
            solo: n('b'),
          },
        ]
      : []),
  ];
}
const SCENARIOS: Scenario[] = [...scenarios('ps'), ...scenarios('sio')];
const FULL_SCENARIOS = SCENARIOS.filter((s) => ['ps-3', 'sio-3', 'ps-1', 'sio-1'].includes(s.name));

// ---------------------------------------------------------------- one broadcast block

interface NodeBlock {
  node: NodeName;
  origin: boolean;
  /** Its figures are the block's (see {@link Scenario.solo}). */
  counted: boolean;
  deliveriesPerSec: number;
  cpuNsPerDelivery: number;
  userNsPerDelivery: number;
  sysNsPerDelivery: number;
  /** write/writev system calls per delivery (below 1: frames to a socket went out together). */
  writesPerDelivery: number;
  /** Times the node was preempted (involuntary context switches) per broadcast it delivered. */
  preemptionsPerBroadcast: number;
  /** Deliveries per second of this node's own CPU time. */
  capacity: number;
}
interface Block {
  round: number;
  scenario: string;
  clients: number;
  msgs: number;
  nodes: NodeBlock[];
  /** Every node's deliveries / (last delivery on any node − first broadcast). */
  clusterDeliveriesPerSec: number;
  clientCpuNsPerDelivery: number;
  /** Share of the machine's CPU time other processes used during the block. */
  otherBusy: number;
  redisCpuUsPerBroadcast: number;
  /** Packets the nodes handed to Redis per broadcast, and their bytes (plugsocket only). */
  publishedPerBroadcast: number;
  bytesPerPacket: number;
  inBroadcastNsPerDelivery: number;
}

interface CpuReport {
  user: number;
  system: number;
  syscr: number;
  syscw: number;
  vcsw: number;
  nvcsw: number;
  counters: Record<string, number>;
}

/** CPU ticks of the whole machine (first line of /proc/stat): busy and total. */
function machineTicks(): { busy: number; total: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - fields[3] - (fields[4] ?? 0), total };
  } catch {
    return { busy: NaN, total: NaN };
  }
}
const TICK_US = 1e6 / 100; // USER_HZ

/** Redis's CPU time so far (µs, INFO cpu), and when it was read (ms). */
interface RedisCpu {
  us: number;
  at: number;
}
async function redisCpuUs(): Promise<RedisCpu> {
  const info = await redis.info('cpu');
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return { us: (field('used_cpu_user') + field('used_cpu_sys')) * 1e6, at: performance.now() };
}
/** Redis's CPU per ms when this run sends it nothing (its timers, other users), measured at start. */
let redisIdleUsPerMs = 0;
/** Redis's CPU between two readings beyond its idle rate (µs). */
function redisSpent(a: RedisCpu, b: RedisCpu): number {
  return Math.max(0, b.us - a.us - redisIdleUsPerMs * (b.at - a.at));
}

/** `total` split into `parts` nearly equal whole numbers. */
function split(total: number, parts: number): number[] {
  return Array.from(
    { length: parts },
    (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0),
  );
}

async function runBlock(
  peers: Record<NodeName, Peer>,
  clients: Peer,
  scenario: Scenario,
  group: (node: NodeName) => string,
  perClient: number,
  msgs: number,
  round: number,
): Promise<Block> {
  const names = scenario.nodes.map(group);
  const others = scenario.nodes.filter((n) => scenario.solo !== undefined && n !== scenario.solo);
  await Promise.all(others.map((n) => peers[n].call('pin', { cpu: CLIENT_CPU })));
  await clients.call('arm', { names, expect: msgs });
  const cpu0 = await Promise.all(scenario.nodes.map((n) => peers[n].call<CpuReport>('cpu')));
  const redis0 = await redisCpuUs();
  const ticks0 = machineTicks();
  const counts = scenario.each
    ? scenario.senders.map(() => msgs)
    : split(msgs, scenario.senders.length);
  let seq0 = 0;
  const sent = await Promise.all(
    scenario.senders.map((n, i) => {
      const call = peers[n].call<{ t0: string; t1: string; syncNs: number }>('broadcast', {
        count: counts[i],
        seq0,
      });
      if (scenario.each !== true) seq0 += counts[i];
      return call;
    }),
  );
  const { done, cpuMs } = await clients.call<{ done: Record<string, string>; cpuMs: CpuMs }>(
    'wait',
    { timeoutMs: 30_000 },
    35_000,
  );
  const ticks1 = machineTicks();
  const redis1 = await redisCpuUs();
  const cpu1 = await Promise.all(scenario.nodes.map((n) => peers[n].call<CpuReport>('cpu')));
  // What the machine did besides this run's processes and Redis.
  const oursUs =
    scenario.nodes.reduce(
      (sum, _, i) => sum + cpu1[i].user - cpu0[i].user + cpu1[i].system - cpu0[i].system,
      0,
    ) +
    (cpuMs.user + cpuMs.system) * 1e3 +
    (redis1.us - redis0.us);
  const otherBusy = Math.max(
    0,
    ((ticks1.busy - ticks0.busy) * TICK_US - oursUs) / ((ticks1.total - ticks0.total) * TICK_US),
  );
  await Promise.all(others.map((n) => peers[n].call('pin', { cpu: SERVER_CPU })));
  const t0 = sent.map((s) => BigInt(s.t0)).reduce((a, b) => (a < b ? a : b));
  const perNode = perClient * msgs;
  let last = t0;
  const nodes = scenario.nodes.map((node, i): NodeBlock => {
    const t = BigInt(done[group(node)]);
    if (t > last) last = t;
    const cpuUs = cpu1[i].user - cpu0[i].user + (cpu1[i].system - cpu0[i].system);
    return {
      node,
      origin: scenario.senders.includes(node),
      counted: scenario.solo === undefined || scenario.solo === node,
      deliveriesPerSec: perNode / (Number(t - t0) / 1e9),
      cpuNsPerDelivery: (cpuUs * 1e3) / perNode,
      userNsPerDelivery: ((cpu1[i].user - cpu0[i].user) * 1e3) / perNode,
      sysNsPerDelivery: ((cpu1[i].system - cpu0[i].system) * 1e3) / perNode,
      writesPerDelivery: (cpu1[i].syscw - cpu0[i].syscw) / perNode,
      preemptionsPerBroadcast: (cpu1[i].nvcsw - cpu0[i].nvcsw) / msgs,
      capacity: perNode / (cpuUs / 1e6),
    };
  });
  const all = perNode * scenario.nodes.length;
  const published = scenario.nodes.reduce(
    (sum, _, i) => sum + (cpu1[i].counters.packetsOut ?? 0) - (cpu0[i].counters.packetsOut ?? 0),
    0,
  );
  const bytes = scenario.nodes.reduce(
    (sum, _, i) => sum + (cpu1[i].counters.bytesOut ?? 0) - (cpu0[i].counters.bytesOut ?? 0),
    0,
  );
  return {
    round,
    scenario: scenario.name,
    clients: perClient,
    msgs,
    nodes,
    clusterDeliveriesPerSec: all / (Number(last - t0) / 1e9),
    otherBusy,
    clientCpuNsPerDelivery: ((cpuMs.user + cpuMs.system) * 1e6) / all,
    redisCpuUsPerBroadcast: redisSpent(redis0, redis1) / msgs,
    publishedPerBroadcast: published / msgs,
    bytesPerPacket: published > 0 ? bytes / published : NaN,
    // Time inside the broadcast calls per delivery to the calling node's own clients.
    inBroadcastNsPerDelivery:
      sent.reduce((sum, s) => sum + s.syncNs, 0) / (perClient * counts.reduce((a, b) => a + b, 0)),
  };
}

// ---------------------------------------------------------------- the backplane alone

/** CPU per broadcast when no node has a client: what carrying a broadcast costs each node. */
interface Bare {
  kind: Kind;
  round: number;
  broadcasts: number;
  /** CPU µs per broadcast: the issuing node, the receiving nodes (mean), a lone node. */
  originUs: number;
  receiverUs: number;
  aloneUs: number;
  redisUs: number;
}

async function bareBlock(
  peers: Record<NodeName, Peer>,
  kind: Kind,
  count: number,
  round: number,
): Promise<Bare> {
  const n = (suffix: string): NodeName => `${kind}-${suffix}` as NodeName;
  const alone = n('1');
  const origin = n('a');
  const receivers = [n('b'), n('c')];
  const cpuUs = (a: CpuReport, b: CpuReport): number => b.user - a.user + b.system - a.system;
  // A lone node with no client: the broadcast call and nothing else (no frame is even encoded).
  const a0 = await peers[alone].call<CpuReport>('cpu');
  await peers[alone].call('broadcast', { count, seq0: 0 });
  const a1 = await peers[alone].call<CpuReport>('cpu');
  const nodes = [origin, ...receivers];
  const c0 = await Promise.all(nodes.map((x) => peers[x].call<CpuReport>('cpu')));
  const r0 = await redisCpuUs();
  await peers[origin].call('broadcast', { count, seq0: 0 }, 60_000);
  // Until every receiver took every packet.
  let c1: CpuReport[];
  for (let i = 0; ; i++) {
    c1 = await Promise.all(nodes.map((x) => peers[x].call<CpuReport>('cpu')));
    const got = c1.slice(1).map((c, j) => c.counters.packetsIn - c0[j + 1].counters.packetsIn);
    if (got.every((g) => g >= count)) break;
    if (i > 1000) throw new Error(`${kind}: the receivers got ${got.join(', ')} of ${count}`);
    await sleep(20);
  }
  const r1 = await redisCpuUs();
  return {
    kind,
    round,
    broadcasts: count,
    originUs: cpuUs(c0[0], c1[0]) / count,
    receiverUs: mean(receivers.map((_, j) => cpuUs(c0[j + 1], c1[j + 1]))) / count,
    aloneUs: cpuUs(a0, a1) / count,
    redisUs: redisSpent(r0, r1) / count,
  };
}

// ---------------------------------------------------------------- round trips

const RT_MODES = [
  'ps server→client, same node',
  'ps server→client, other node',
  'ps client→client, same node',
  'ps client→client, other node',
  'sio server→client, same node',
  'sio server→client, other node',
  'sio client→client relay, same node',
  'sio client→client relay, other node',
  'Redis PING from a node (one round trip through Redis)',
  'ps directory lookup of a client on another node (server.cluster.getClient)',
] as const;
type RtMode = (typeof RT_MODES)[number];

async function roundTrips(
  peers: Record<NodeName, Peer>,
  clients: Peer,
): Promise<{ samples: Map<RtMode, number[]>; segmentP50: Map<RtMode, number[]> }> {
  const ids = await clients.call<{ ps: { a: string; b: string }; sio: { a: string; b: string } }>(
    'rt-open',
    {
      ps: { a: ports['ps-a'], b: ports['ps-b'] },
      sio: { a: ports['sio-a'], b: ports['sio-b'] },
    },
  );
  const run = (mode: RtMode, n: number): Promise<number[]> => {
    switch (mode) {
      case 'ps server→client, same node':
        return peers['ps-a'].call('rt', { target: ids.ps.a, n, local: true }, 60_000);
      case 'ps server→client, other node':
        return peers['ps-a'].call('rt', { target: ids.ps.b, n, local: false }, 60_000);
      case 'ps client→client, same node':
        return clients.call('c2c', { impl: 'ps', to: ids.ps.a, n }, 60_000);
      case 'ps client→client, other node':
        return clients.call('c2c', { impl: 'ps', to: ids.ps.b, n }, 60_000);
      case 'sio server→client, same node':
        return peers['sio-a'].call('rt', { target: ids.sio.a, n, local: true }, 60_000);
      case 'sio server→client, other node':
        return peers['sio-a'].call('rt', { target: ids.sio.b, n, local: false }, 60_000);
      case 'sio client→client relay, same node':
        return clients.call('c2c', { impl: 'sio', to: ids.sio.a, n }, 60_000);
      case 'sio client→client relay, other node':
        return clients.call('c2c', { impl: 'sio', to: ids.sio.b, n }, 60_000);
      case 'Redis PING from a node (one round trip through Redis)':
        return peers['ps-a'].call('rt-redis', { n }, 60_000);
      case 'ps directory lookup of a client on another node (server.cluster.getClient)':
        return peers['ps-a'].call(
          'rt',
          { target: ids.ps.b, n, local: false, lookup: true },
          60_000,
        );
    }
  };
  for (const mode of RT_MODES) await run(mode, Math.max(50, Math.floor(RT_N / 2)));
  const samples = new Map<RtMode, number[]>(RT_MODES.map((m) => [m, []]));
  const segmentP50 = new Map<RtMode, number[]>(RT_MODES.map((m) => [m, []]));
  for (let segment = 0; segment < RT_SEGMENTS; segment++) {
    for (const mode of rotate(RT_MODES, segment + ROTATE)) {
      const got = await run(mode, RT_N);
      samples.get(mode)!.push(...got);
      segmentP50.get(mode)!.push(percentile(Float64Array.from(got).sort(), 50));
    }
  }
  await clients.call('rt-close');
  return { samples, segmentP50 };
}

// ---------------------------------------------------------------- report

function fmt(x: number | undefined, digits = 0): string {
  if (x === undefined || !Number.isFinite(x)) return 'n/a';
  return x.toLocaleString('en-US', {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}
function stat(values: number[], digits = 0): string {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return 'n/a';
  if (v.length === 1) return fmt(v[0], digits);
  return `${fmt(median(v), digits)} [${fmt(Math.min(...v), digits)}–${fmt(Math.max(...v), digits)}]`;
}
function table(title: string, header: string[], rows: string[][]): string[] {
  return [
    '',
    `### ${title}`,
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

interface Verdict {
  what: string;
  target: string;
  measured: string;
  ok: boolean | undefined;
}

const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const counted = (b: Block): NodeBlock[] => b.nodes.filter((n) => n.counted);
const worst = (b: Block): number => Math.min(...counted(b).map((n) => n.capacity));
/** Deliveries per node over the block's makespan (first broadcast to the last node done). */
const perNodeWall = (b: Block): number =>
  counted(b).length < b.nodes.length
    ? mean(counted(b).map((n) => n.deliveriesPerSec))
    : b.clusterDeliveriesPerSec / b.nodes.length;
const originOf = (b: Block): NodeBlock[] => counted(b).filter((n) => n.origin);
const othersOf = (b: Block): NodeBlock[] => counted(b).filter((n) => !n.origin);

function broadcastTables(
  blocks: Block[],
  scenarios: Scenario[],
  caption: string,
  verdicts: Verdict[] | undefined,
  verdictSuffix = '',
): string[] {
  const of = (name: string): Block[] => blocks.filter((b) => b.scenario === name);
  const lines = table(
    caption,
    [
      'scenario',
      'blocks',
      'deliveries/s per node (wall: N×M ÷ time until every node had all)',
      'cluster total deliveries/s',
      'node CPU ns/delivery: origin / others',
      'capacity per node, deliveries per CPU-s (worst node)',
      'in broadcast() ns/delivery (origin)',
      'client CPU ns/delivery',
      'Redis CPU µs/broadcast (beyond its idle rate)',
      'published per broadcast × bytes',
    ],
    scenarios
      .filter((s) => of(s.name).length > 0)
      .map((s) => {
        const bs = of(s.name);
        const others = bs.flatMap((b) => othersOf(b).map((n) => n.cpuNsPerDelivery));
        const issuers = bs.some((b) => originOf(b).length > 0);
        return [
          s.name,
          String(bs.length),
          stat(bs.map(perNodeWall)),
          stat(bs.map((b) => b.clusterDeliveriesPerSec)),
          `${issuers ? stat(bs.map((b) => mean(originOf(b).map((n) => n.cpuNsPerDelivery)))) : '–'} / ${others.length > 0 ? stat(bs.map((b) => mean(othersOf(b).map((n) => n.cpuNsPerDelivery)))) : '–'}`,
          stat(bs.map(worst)),
          issuers ? stat(bs.map((b) => b.inBroadcastNsPerDelivery)) : '–',
          stat(bs.map((b) => b.clientCpuNsPerDelivery)),
          s.each !== true && s.nodes.length > 1
            ? stat(
                bs.map((b) => b.redisCpuUsPerBroadcast),
                1,
              )
            : '–',
          s.each !== true && s.nodes.length > 1
            ? `${stat(
                bs.map((b) => b.publishedPerBroadcast),
                2,
              )} × ${stat(bs.map((b) => b.bytesPerPacket))} B`
            : '–',
        ];
      }),
  );
  const side = (b: Block, origin: boolean, f: (n: NodeBlock) => number): number => {
    const nodes = counted(b).filter((n) => n.origin === origin);
    return nodes.length === 0 ? NaN : mean(nodes.map(f));
  };
  lines.push(
    ...table(
      "Where the nodes' CPU goes, per delivery (user and system CPU ns; write/writev system calls — below 1 when frames to a socket went out together)",
      [
        'scenario',
        'origin user ns',
        'origin system ns',
        'origin writes',
        'others user ns',
        'others system ns',
        'others writes',
        'preemptions per broadcast: origin / others',
      ],
      scenarios
        .filter((s) => of(s.name).length > 0)
        .map((s) => {
          const bs = of(s.name);
          const col = (origin: boolean, f: (n: NodeBlock) => number, digits = 0): string =>
            bs.some((b) => counted(b).some((n) => n.origin === origin))
              ? stat(
                  bs.map((b) => side(b, origin, f)),
                  digits,
                )
              : '–';
          return [
            s.name,
            col(true, (n) => n.userNsPerDelivery),
            col(true, (n) => n.sysNsPerDelivery),
            col(true, (n) => n.writesPerDelivery, 2),
            col(false, (n) => n.userNsPerDelivery),
            col(false, (n) => n.sysNsPerDelivery),
            col(false, (n) => n.writesPerDelivery, 2),
            `${col(true, (n) => n.preemptionsPerBroadcast, 2)} / ${col(false, (n) => n.preemptionsPerBroadcast, 2)}`,
          ];
        }),
    ),
  );
  /** Per round, f(a) ÷ f(b) of the blocks of scenarios a and b (same round). */
  const ratio = (a: string, b: string, f: (x: Block) => number): number[] => {
    const out: number[] = [];
    for (const ba of of(a)) {
      const bb = of(b).find((x) => x.round === ba.round);
      if (bb !== undefined) out.push(f(ba) / f(bb));
    }
    return out;
  };
  const row = (label: string, values: number[]): string[] => [
    label,
    stat(values, 2),
    values.map((v) => fmt(v, 2)).join(', '),
  ];
  const has = (name: string): boolean => of(name).length > 0;
  const rows: string[][] = [];
  const verdict = (what: string, target: string, values: number[], pass: (m: number) => boolean) =>
    verdicts?.push(verdictOf(`${what}${verdictSuffix}`, target, values, pass));
  for (const kind of ['ps', 'sio'] as const) {
    const one = `${kind}-1`;
    const local = `${kind}-3-local`;
    // Like for like on this machine: the same processes on the same core, with and without Redis.
    for (const three of [`${kind}-3`, `${kind}-3-spread`]) {
      if (!has(three) || !has(local)) continue;
      const wall = ratio(three, local, perNodeWall);
      rows.push(
        row(`${three} ÷ ${local}: deliveries/s per node (wall; same processes, same core)`, wall),
      );
      if (kind === 'ps')
        verdict(
          `${three} ÷ ${local}, deliveries/s per node (wall)`,
          '≥ 0.80×',
          wall,
          (m) => m >= 0.8,
        );
    }
    if (!has(one)) continue;
    // Per CPU-second against the brief's single node.
    const issuing = ratio(`${kind}-3-solo-issuing`, one, worst);
    const receiving = ratio(`${kind}-3-solo-receiving`, one, worst);
    if (issuing.length > 0)
      rows.push(
        row(
          `${kind}-3-solo-issuing ÷ ${one}: capacity of the issuing node, alone on its core`,
          issuing,
        ),
        row(
          `${kind}-3-solo-receiving ÷ ${one}: capacity of a receiving node, alone on its core`,
          receiving,
        ),
      );
    if (kind === 'ps' && issuing.length > 0)
      verdict(
        `ps-3 ÷ ps-1, capacity per node with a core to itself (worse of the issuing and a receiving node, per round)`,
        '≥ 0.80×',
        issuing.map((x, i) => Math.min(x, receiving[i] ?? x)),
        (m) => m >= 0.8,
      );
    for (const three of [`${kind}-3`, `${kind}-3-spread`, local])
      if (has(three))
        rows.push(
          row(
            `${three} ÷ ${one}: capacity per node (worst node; all nodes share CPU 0)`,
            ratio(three, one, worst),
          ),
        );
    if (has(`${kind}-3`))
      rows.push(
        row(
          `${kind}-3 ÷ ${one}: cluster total deliveries/s (wall; all nodes share CPU 0)`,
          ratio(`${kind}-3`, one, (b) => b.clusterDeliveriesPerSec),
        ),
      );
  }
  for (const [a, b] of [
    ['ps-3', 'sio-3'],
    ['ps-3-spread', 'sio-3-spread'],
    ['ps-3-local', 'sio-3-local'],
    ['ps-1', 'sio-1'],
  ] as const) {
    if (!has(a) || !has(b)) continue;
    const wall = ratio(a, b, perNodeWall);
    rows.push(
      row(`${a} ÷ ${b}: deliveries/s per node (wall)`, wall),
      row(`${a} ÷ ${b}: capacity per node (worst node)`, ratio(a, b, worst)),
    );
    if (a === 'ps-3' || a === 'ps-3-spread')
      verdict(
        `${a} ÷ ${b} (@socket.io/redis-adapter), deliveries/s per node`,
        '> 1.00×',
        wall,
        (m) => m > 1,
      );
  }
  for (const role of ['issuing', 'receiving'])
    if (has(`ps-3-solo-${role}`) && has(`sio-3-solo-${role}`))
      rows.push(
        row(
          `ps-3-solo-${role} ÷ sio-3-solo-${role}: capacity of the ${role} node, alone on its core`,
          ratio(`ps-3-solo-${role}`, `sio-3-solo-${role}`, worst),
        ),
      );
  lines.push(
    ...table(
      'Broadcast ratios (per round: blocks of the same round, run one after the other)',
      ['ratio', 'median [min–max]', 'per round'],
      rows,
    ),
  );
  return lines;
}

function roundsText(blocks: Block[], planned: number): string {
  const done = new Set(blocks.map((b) => b.round)).size;
  return `${fmt(done)} interleaved rounds${done < planned ? ` (of ${fmt(planned)} planned: the time budget ran out)` : ''}`;
}

function verdictOf(
  what: string,
  target: string,
  values: number[],
  pass: (m: number) => boolean,
): Verdict {
  const m = median(values);
  return {
    what,
    target,
    measured: values.length === 0 ? 'n/a' : `${stat(values, 2)}×`,
    ok: values.length === 0 ? undefined : pass(m),
  };
}

function bareTables(bare: Bare[], blocks: Block[], verdicts: Verdict[]): string[] {
  const of = (kind: Kind): Bare[] => bare.filter((b) => b.kind === kind);
  /** CPU µs of a lone node's broadcast to its N light clients (the -1 blocks' median). */
  const fanOutUs = (kind: Kind): number =>
    (median(
      blocks.filter((b) => b.scenario === `${kind}-1`).map((b) => b.nodes[0].cpuNsPerDelivery),
    ) *
      N) /
    1e3;
  // A node with a core of its own delivers in proportion to its CPU per broadcast: the fan-out
  // to its N clients plus what the backplane adds (for the issuing node, beyond what a lone
  // node's broadcast costs).
  const projected = (kind: Kind, f: (b: Bare) => number): number[] =>
    of(kind).map((b) => fanOutUs(kind) / (fanOutUs(kind) + f(b)));
  const originAdds = (b: Bare): number => Math.max(0, b.originUs - b.aloneUs);
  const receiverAdds = (b: Bare): number => b.receiverUs;
  const lines = table(
    `The backplane alone: CPU per broadcast with no client on any node (${fmt(BARE_N)} broadcasts issued on node a, one per event-loop turn, until nodes b and c took them all; ${fmt(new Set(bare.map((b) => b.round)).size)} interleaved rounds) — µs`,
    [
      'impl',
      'issuing node',
      'each receiving node',
      'lone node, no backplane',
      'Redis (beyond its idle rate)',
      `a lone node's broadcast to ${fmt(N)} clients (the -1 blocks)`,
      'projected per node, 3 nodes ÷ 1, a core each: issuing / receiving',
    ],
    (['ps', 'sio'] as const)
      .filter((k) => of(k).length > 0)
      .map((kind) => {
        const bs = of(kind);
        return [
          kind,
          stat(
            bs.map((b) => b.originUs),
            1,
          ),
          stat(
            bs.map((b) => b.receiverUs),
            1,
          ),
          stat(
            bs.map((b) => b.aloneUs),
            1,
          ),
          stat(
            bs.map((b) => b.redisUs),
            1,
          ),
          fmt(fanOutUs(kind), 0),
          `${stat(projected(kind, originAdds), 3)} / ${stat(projected(kind, receiverAdds), 3)}`,
        ];
      }),
  );
  const worstProjected = of('ps').map(
    (b) => fanOutUs('ps') / (fanOutUs('ps') + Math.max(originAdds(b), receiverAdds(b))),
  );
  verdicts.push(
    verdictOf(
      'ps-3 ÷ ps-1, deliveries/s per node with a core each, projected from the measured CPU per broadcast (worse of issuing and receiving node)',
      '≥ 0.80×',
      worstProjected,
      (m) => m >= 0.8,
    ),
  );
  const ratio = (f: (b: Bare) => number): number[] =>
    of('ps').flatMap((p) => {
      const q = of('sio').find((x) => x.round === p.round);
      return q === undefined ? [] : [f(p) / f(q)];
    });
  lines.push(
    ...table(
      'Backplane CPU per broadcast, ps ÷ sio (per round)',
      ['ratio', 'median [min–max]', 'per round'],
      [
        ['issuing node', ratio((b) => b.originUs)],
        ['each receiving node', ratio((b) => b.receiverUs)],
      ].map(([label, values]) => [
        label as string,
        stat(values as number[], 2),
        (values as number[]).map((v) => fmt(v, 2)).join(', '),
      ]),
    ),
  );
  return lines;
}

function rtTables(
  samples: Map<RtMode, number[]>,
  segmentP50: Map<RtMode, number[]>,
  verdicts: Verdict[],
): string[] {
  const lines = table(
    `Request round trips (1 request in flight; ${fmt(RT_SEGMENTS)} interleaved segments of ${fmt(RT_N)} per path after a warm-up; ${PIN === 'auto' ? 'every node and the client process on CPU 0, Redis unpinned' : 'unpinned'}) — µs`,
    ['path', 'n', 'p50', 'p90', 'p99', 'mean', 'segment p50s'],
    RT_MODES.map((mode) => {
      const s = Float64Array.from(samples.get(mode)!).sort();
      return [
        mode,
        fmt(s.length),
        fmt(percentile(s, 50), 1),
        fmt(percentile(s, 90), 1),
        fmt(percentile(s, 99), 1),
        fmt(mean([...s]), 1),
        segmentP50
          .get(mode)!
          .map((v) => fmt(v, 0))
          .join(' '),
      ];
    }),
  );
  const ratio = (a: RtMode, b: RtMode): number[] => {
    const sa = segmentP50.get(a)!;
    const sb = segmentP50.get(b)!;
    return sa.map((x, i) => x / sb[i]);
  };
  const row = (label: string, values: number[]): string[] => [
    label,
    stat(values, 2),
    values.map((v) => fmt(v, 2)).join(', '),
  ];
  const psCross = ratio('ps server→client, other node', 'sio server→client, other node');
  /** What crossing nodes adds, in Redis round trips. */
  const hops = (cross: RtMode, same: RtMode): number[] => {
    const c = segmentP50.get(cross)!;
    const s = segmentP50.get(same)!;
    const r = segmentP50.get('Redis PING from a node (one round trip through Redis)')!;
    return c.map((x, i) => (x - s[i]) / r[i]);
  };
  const psC2c = ratio('ps client→client, other node', 'sio client→client relay, other node');
  lines.push(
    ...table(
      'Round-trip ratios (p50, per segment: the paths of a segment ran one after the other)',
      ['ratio', 'median [min–max]', 'per segment'],
      [
        row(
          'ps server→client: other node ÷ same node',
          ratio('ps server→client, other node', 'ps server→client, same node'),
        ),
        row(
          'ps client→client: other node ÷ same node',
          ratio('ps client→client, other node', 'ps client→client, same node'),
        ),
        row(
          'sio server→client: other node ÷ same node',
          ratio('sio server→client, other node', 'sio server→client, same node'),
        ),
        row(
          'sio relay: other node ÷ same node',
          ratio('sio client→client relay, other node', 'sio client→client relay, same node'),
        ),
        row('other node, server→client: ps ÷ sio (io.to(id).emitWithAck)', psCross),
        row('other node, client→client: ps ÷ sio relay', psC2c),
        row(
          'ps server→client: (other node − same node) ÷ Redis PING',
          hops('ps server→client, other node', 'ps server→client, same node'),
        ),
        row(
          'sio server→client: (other node − same node) ÷ Redis PING',
          hops('sio server→client, other node', 'sio server→client, same node'),
        ),
        row(
          'same node, server→client: ps ÷ sio',
          ratio('ps server→client, same node', 'sio server→client, same node'),
        ),
      ],
    ),
  );
  verdicts.push(
    verdictOf('cross-node server→client request p50, ps ÷ sio', '< 1.00×', psCross, (m) => m < 1),
    verdictOf(
      'cross-node client→client request p50, ps ÷ sio relay',
      '< 1.00×',
      psC2c,
      (m) => m < 1,
    ),
  );
  return lines;
}

// ---------------------------------------------------------------- main

let ports: Record<NodeName, number>;

async function main(): Promise<void> {
  const started = Date.now();
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `no Redis at ${REDIS_URL} (${String(error)}): start one (redis-server --bind 127.0.0.1) or pass --redis`,
      { cause: error },
    );
  }
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?';
  const onDeath = (why: string): void => void fail(why);
  const peers = Object.fromEntries(
    NODE_NAMES.map((name) => {
      const { kind, clustered } = NODES[name];
      return [
        name,
        forkPeer(
          name,
          NODE_SCRIPT,
          [
            '--kind',
            kind,
            '--node',
            name,
            '--redis',
            clustered ? REDIS_URL : 'none',
            '--prefix',
            kind === 'ps' ? PREFIX : SIO_KEY,
            '--cpu',
            SERVER_CPU,
            '--timeout',
            CHILD_TIMEOUT,
          ],
          onDeath,
        ),
      ];
    }),
  ) as Record<NodeName, Peer>;
  const clients = forkPeer(
    'clients',
    CLIENT_SCRIPT,
    ['--cpu', CLIENT_CPU, '--timeout', CHILD_TIMEOUT],
    onDeath,
  );
  const infos = await Promise.all(
    NODE_NAMES.map((n) =>
      peers[n].call<{ port: number; pinned: string | null }>('info', {}, 60_000),
    ),
  );
  ports = Object.fromEntries(NODE_NAMES.map((n, i) => [n, infos[i].port])) as Record<
    NodeName,
    number
  >;
  const pinned = pinSelf(CLIENT_CPU);
  // The Socket.IO nodes have subscribed once all three are counted on the request channel.
  for (let i = 0; ; i++) {
    const [, count] = (await redis.pubsub('NUMSUB', `${SIO_KEY}-request#/#`)) as [string, number];
    if (Number(count) >= 3) break;
    if (i > 100) throw new Error('the Socket.IO nodes did not subscribe');
    await sleep(50);
  }
  const idle0 = await redisCpuUs();
  await sleep(1_000);
  redisIdleUsPerMs = Math.max(
    0,
    ((await redisCpuUs()).us - idle0.us) / (performance.now() - idle0.at),
  );
  const startupMs = Date.now() - started;

  // ---- light clients
  const light = (node: NodeName): string => node;
  const connectMs: Record<string, number> = {};
  let connectRetries = 0;
  const open = async (
    group: string,
    kind: string,
    port: number,
    count: number,
  ): Promise<number> => {
    const opened = await clients.call<{ ms: number; retries: number }>(
      'open',
      { group, kind, port, count },
      90_000,
    );
    connectRetries = opened.retries;
    return opened.ms;
  };
  for (const node of NODE_NAMES) {
    connectMs[node] = await open(
      light(node),
      NODES[node].kind === 'ps' ? 'ps-ws' : 'sio',
      ports[node],
      N,
    );
  }
  await Promise.all(
    NODE_NAMES.map(async (node) => {
      for (let i = 0; (await peers[node].call<number>('connected')) < N; i++) {
        if (i > 200) throw new Error(`${node}: fewer than ${N} clients after 10 s`);
        await sleep(50);
      }
    }),
  );
  await sleep(300);
  const blocks: Block[] = [];
  const lightStart = Date.now();
  for (const s of SCENARIOS) await runBlock(peers, clients, s, light, N, Math.min(M, 30), -1);
  const profiled = (args['profile-nodes'] ?? 'ps-1,ps-a,ps-b,sio-1,sio-a,sio-b')
    .split(',')
    .filter((n): n is NodeName => n in NODES);
  if (PROFILE_DIR !== undefined)
    await Promise.all(profiled.map((n) => peers[n].call('prof-start')));
  // Rounds stop early (fewer are reported) rather than overrun the run's budget.
  for (
    let round = 0;
    round < ROUNDS && (round < 3 || Date.now() - lightStart < BUDGET_MS * 0.42);
    round++
  )
    for (const s of rotate(SCENARIOS, round + ROTATE))
      blocks.push(await runBlock(peers, clients, s, light, N, M, round));
  if (PROFILE_DIR !== undefined)
    await Promise.all(
      profiled.map((n) =>
        peers[n].call('prof-stop', { file: path.join(PROFILE_DIR, `${n}.cpuprofile`) }, 60_000),
      ),
    );
  const lightMs = Date.now() - started - startupMs;

  // ---- round trips: every process on CPU 0 (PERFORMANCE.md: latency on one CPU)
  if (PIN === 'auto') await clients.call('pin', { cpu: SERVER_CPU });
  const rt = await roundTrips(peers, clients);
  if (PIN === 'auto') await clients.call('pin', { cpu: CLIENT_CPU });
  const rtMs = Date.now() - started - startupMs - lightMs;

  // ---- the backplane alone: no node has a client
  for (const node of NODE_NAMES) await clients.call('close', { group: light(node) });
  await Promise.all(
    NODE_NAMES.map(async (node) => {
      for (let i = 0; (await peers[node].call<number>('connected')) > 0; i++) {
        if (i > 200) throw new Error(`${node}: light clients still connected after 10 s`);
        await sleep(50);
      }
    }),
  );
  const bare: Bare[] = [];
  for (const kind of ['ps', 'sio'] as const) await bareBlock(peers, kind, 300, -1);
  for (let round = 0; round < BARE_ROUNDS; round++)
    for (const kind of rotate(['ps', 'sio'] as const, round + ROTATE))
      bare.push(await bareBlock(peers, kind, BARE_N, round));
  const bareMs = Date.now() - started - startupMs - lightMs - rtMs;

  // ---- full clients
  const fullBlocks: Block[] = [];
  if (FULL_ROUNDS > 0 && Date.now() - started < BUDGET_MS - 35_000) {
    const used = [...new Set(FULL_SCENARIOS.flatMap((s) => s.nodes))];
    const full = (node: NodeName): string => `${node}:full`;
    for (const node of used) {
      connectMs[full(node)] = await open(
        full(node),
        `${NODES[node].kind}-full`,
        ports[node],
        FULL_N,
      );
    }
    await sleep(300);
    for (const s of FULL_SCENARIOS)
      await runBlock(peers, clients, s, full, FULL_N, Math.min(FULL_M, 20), -1);
    for (
      let round = 0;
      round < FULL_ROUNDS && (round < 1 || Date.now() - started < BUDGET_MS - 20_000);
      round++
    )
      for (const s of rotate(FULL_SCENARIOS, round + ROTATE))
        fullBlocks.push(await runBlock(peers, clients, s, full, FULL_N, FULL_M, round));
  }
  const fullMs = Date.now() - started - startupMs - lightMs - rtMs - bareMs;

  killAll();
  const deleted = await deleteKeys();
  const left = (await redis.keys(`${PREFIX}*`)).length;
  redis.disconnect();

  // ---- report
  const env = environment();
  const verdicts: Verdict[] = [];
  const lines: string[] = [
    `Multi-node run: ${cpus().length} vCPU (${cpus()[0]?.model ?? '?'}), Node ${process.version}, Redis ${redisVersion} at ${REDIS_URL} (the machine's own, shared, not pinned), ws ${String(env.ws)}, socket.io ${String(env['socket.io'])}, @socket.io/redis-adapter 8.3.0 (ioredis pub/sub clients), load average at start ${String(env.loadavg1)}. ` +
      (PIN === 'auto'
        ? `Only ${cpus().length} vCPUs: all ${NODE_NAMES.length} server nodes are pinned to CPU 0, the client process and the orchestrator to CPU 1, so the three nodes of a cluster share one core and their wall-clock deliveries/s per node are about a third of a lone node's. Three ways to compare them, then: against \`-3-local\` (three independent nodes without a backplane, broadcasting at the same time on the same core: wall clock, like for like); against \`-1\` (the brief's single node alone on CPU 0) per CPU-second ("capacity": deliveries per second of the node's own CPU time), measured with the node alone on CPU 0 (\`-3-solo-*\`: the other two nodes move to CPU 1 for the block); and projected from the backplane's CPU per broadcast measured with no client at all. `
        : 'Nothing pinned. ') +
      `Other processes on the machine used ${stat(blocks.concat(fullBlocks).map((b) => b.otherBusy * 100))} % of its 2 CPUs during the blocks (median [min–max]); Redis used ${fmt(redisIdleUsPerMs, 1)} ms of CPU per second before the run sent it anything (subtracted from the Redis columns). Connection attempts made again (failed or not ready in 10 s): ${fmt(connectRetries)}. Key prefix ${PREFIX} (deleted at the end: ${deleted} keys, ${left} left). Phases: start ${fmt(startupMs / 1000, 1)} s, light broadcast ${fmt(lightMs / 1000, 1)} s, round trips ${fmt(rtMs / 1000, 1)} s, backplane alone ${fmt(bareMs / 1000, 1)} s, full clients ${fmt(fullMs / 1000, 1)} s.`,
    ...broadcastTables(
      blocks,
      SCENARIOS,
      `Broadcast fan-out over Redis, light clients (${fmt(N)} raw-ws clients per node that only count frames; ${fmt(M)} broadcasts per block, one per event-loop turn; ${roundsText(blocks, ROUNDS)}. \`-1\`: one node alone; \`-3-local\`: three nodes without backplane, each broadcasting ${fmt(M)} to its own clients; \`-3\`: three nodes over Redis, the ${fmt(M)} broadcasts issued on one; \`-3-spread\`: a third issued on each; \`-3-solo-issuing\` / \`-3-solo-receiving\`: as \`-3\`, with the issuing node / a receiving node alone on CPU 0 and only its figures shown — its wall-clock figure is then bounded by CPU 1, which holds the other two nodes and every client)`,
      verdicts,
    ),
    ...bareTables(bare, blocks, verdicts),
    ...rtTables(rt.samples, rt.segmentP50, verdicts),
  ];
  if (fullBlocks.length > 0)
    lines.push(
      ...broadcastTables(
        fullBlocks,
        FULL_SCENARIOS,
        `Broadcast fan-out over Redis, full clients (${fmt(FULL_N)} per node: plugsocket SocketClient over WsSocket; socket.io-client, websocket transport only; ${fmt(FULL_M)} broadcasts per block; ${roundsText(fullBlocks, FULL_ROUNDS)}; one client process on CPU 1 for all nodes)`,
        verdicts,
        ', full clients',
      ),
    );
  const report = lines.join('\n');
  console.log(
    [
      report,
      '',
      '### Verdicts (median of the per-round figures)',
      '',
      '| target | goal | measured | |',
      '|---|---|---|---|',
      ...verdicts.map(
        (v) =>
          `| ${v.what} | ${v.target} | ${v.measured} | ${v.ok === undefined ? '–' : v.ok ? '✓' : '✗'} |`,
      ),
    ].join('\n'),
  );
  const result = {
    scenario: 'multinode',
    impl: 'multinode',
    group: 'multinode',
    clients: N,
    msgs: M,
    rounds: ROUNDS,
    report,
    verdicts,
    blocks,
    fullBlocks,
    bare,
    rt: Object.fromEntries(
      RT_MODES.map((m) => {
        const s = Float64Array.from(rt.samples.get(m)!).sort();
        return [
          m,
          {
            p50us: percentile(s, 50),
            p99us: percentile(s, 99),
            segmentP50us: rt.segmentP50.get(m),
          },
        ];
      }),
    ),
    connectMs,
    connectRetries,
    pinned,
    wallMs: Date.now() - started,
    env,
  };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

await main().catch(fail);
process.exit(0);
