// Scenario: scale on one node. 10,000 concurrent connections to one server process with
// heartbeats running, then broadcasts to all of them.
//
//   node --conditions=plugsocket-source --import tsx --expose-gc bench/scale.ts \
//     --impl ws-raw|ps-ws|sio-raw|ps-sio --hb on|off [--conns 10000] [--procs 2] [--warm 20] \
//     [--hb-ms 5000] [--settle-ms 11000] [--window-ms 20000] [--reps 7] [--concurrency 100] \
//     [--pin 0:1] [--snapshot DIR]
//
// (`--impls ws-raw@on` is the same as `--impl ws-raw --hb on`: the form bench/run-all.ts passes.
// Without --expose-gc the script starts itself again with it.) One run is one server process and
// --procs client processes, each holding its share of the connections (2 × 5,000 keeps each
// process well under the fd limit of 20,000). The clients are light raw `ws` clients
// (light-clients.ts), the same for every server; they answer heartbeat pings and count them.
//
// Heartbeats, --hb on: every --hb-ms (5 s, so that a 20 s window holds four of them)
//   ws-raw   the ws README's sweep: one setInterval pings every client, and terminates one that
//            did not answer the previous ping (`isAlive` flag set by a per-connection `pong`
//            listener);
//   sio-raw  Engine.IO's own heartbeat, pingInterval = --hb-ms (a timer per socket);
//   ps-*     SocketServer's heartbeat, heartbeatInterval = --hb-ms (one sweep timer), default
//            heartbeatTimeout. On ps-sio Engine.IO's own ping is pushed out of reach
//            (pingInterval 2^31−1 ms, in both modes) so that the sweep measured is plugsocket's
//            alone; in production it runs too, and costs what sio-raw's does.
// --hb off: no sweep (ws-raw), pingInterval 2^31−1 ms (sio-raw), heartbeatInterval Infinity (ps-*).
//
// Procedure:
//   1. the server starts; the client processes open --warm connections between them; full GCs;
//      the server's memory baseline;
//   2. the clients open the rest, at most --concurrency handshakes in flight per process, up to
//      --conns in all;
//   3. --settle-ms for every connection to have been pinged (plugsocket's first sweep makes a
//      client's state, its second pings it: more than twice --hb-ms); then an idle window of --window-ms:
//      server CPU (process.cpuUsage), event-loop delay, and the pings the clients answered;
//   4. full GCs, the last in the same turn as the sample (a sweep's garbage would count
//      otherwise); memory per connection = (sample − baseline) / (--conns − --warm); with
//      --snapshot DIR, a heap snapshot DIR/scale-<impl>-<hb>.heapsnapshot (bench/heap-diff.ts
//      compares two);
//   5. one warm-up broadcast, then --reps broadcasts, one at a time: from just before the
//      server's broadcast call until every client has received it (each client process reports
//      the monotonic time of its last receipt; monotonic clocks are shared on one machine).
// A pair of runs, on and off, of one implementation gives the heartbeat's CPU: (CPU on − CPU
// off) over the window, per ping of every connection (bench/run-all.ts computes it).
import {
  execFileSync,
  spawn,
  type ExecFileSyncOptionsWithStringEncoding,
} from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { WebSocket } from 'ws';
import {
  cpuSince,
  environment,
  finish,
  forkClient,
  fullGc,
  hardTimeout,
  Mailbox,
  makePayload,
  median,
  memorySample,
  MESSAGE_TYPE,
  now,
  numberArg,
  openMany,
  parseArgs,
  pinSelf,
  pinSpec,
  ROOT,
  sleep,
  toArgv,
  toParent,
  waitUntil,
  type MemorySample,
} from './common.js';
import type { LightKind } from './light-clients.js';

const IMPLS = ['ws-raw', 'ps-ws', 'sio-raw', 'ps-sio'] as const;
type Impl = (typeof IMPLS)[number];
type Mode = 'on' | 'off';

/** The longest delay a Node timer takes (2^31 − 1 ms, about 24.8 days): "never" for Engine.IO. */
const NEVER_MS = 2 ** 31 - 1;

const LIGHT: Record<Impl, LightKind> = {
  'ws-raw': 'ws',
  'ps-ws': 'ps-ws',
  'sio-raw': 'sio',
  'ps-sio': 'ps-sio',
};

const SELF = fileURLToPath(import.meta.url);
const args = parseArgs();
const { impl, mode } = target(args);
const CONNS = numberArg(args, 'conns', 10_000);
const PROCS = numberArg(args, 'procs', 2);
const WARM = numberArg(args, 'warm', 20);
const HB_MS = numberArg(args, 'hb-ms', 5_000);
const SETTLE_MS = numberArg(args, 'settle-ms', 11_000);
const WINDOW_MS = numberArg(args, 'window-ms', 20_000);
const REPS = numberArg(args, 'reps', 7);
const CONCURRENCY = numberArg(args, 'concurrency', 100);
/** Every process of a run stops by itself after this long. */
const HARD_MS = numberArg(args, 'timeout', 170_000);
const pin = pinSpec(args);

if (WARM >= CONNS) throw new RangeError('--warm must be less than --conns');

function target(a: Record<string, string>): { impl: Impl; mode: Mode } {
  const [name, hb] = (a.impls ?? a.impl ?? 'ps-ws').split('@');
  const m = hb ?? a.hb ?? 'on';
  if (!(IMPLS as readonly string[]).includes(name))
    throw new Error(`unknown implementation ${name}; known: ${IMPLS.join(', ')}`);
  if (m !== 'on' && m !== 'off') throw new Error(`--hb must be on or off, got ${m}`);
  return { impl: name as Impl, mode: m };
}

/** The share of `total` that client process `i` of `PROCS` takes. */
function share(total: number, i: number): number {
  return Math.floor(total / PROCS) + (i < total % PROCS ? 1 : 0);
}

type ToServer =
  | { type: 'warm-ready' }
  | { type: 'ready'; connectMs: number; clientPerConnBytes: MemorySample }
  | { type: 'pings'; count: number }
  | { type: 'armed' }
  | { type: 'done'; t: string; lost: number };
type ToClient =
  | { type: 'port'; port: number }
  | { type: 'go' }
  | { type: 'pings-start' }
  | { type: 'pings-end' }
  | { type: 'arm' };

/**
 * Full GCs, then one more and the sample in the same turn of the event loop: with heartbeats
 * every second, what a sweep allocated between a GC and a later sample (pings, pongs, Socket.IO's
 * packets) would otherwise count as memory per connection.
 */
async function settledSample(): Promise<MemorySample> {
  await fullGc();
  (globalThis as unknown as { gc: () => void }).gc();
  return memorySample();
}

function perConnection(before: MemorySample, after: MemorySample, n: number): MemorySample {
  const out = { ...before };
  for (const key of Object.keys(out) as (keyof MemorySample)[])
    out[key] = (after[key] - before[key]) / n;
  return out;
}

/** The commit measured, and the source files that differed from it (others may be editing). */
function codeState(): { commit: string | null; dirty: string[] } {
  try {
    const quiet: ExecFileSyncOptionsWithStringEncoding = {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    };
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], quiet).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'adapters'], quiet)
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3));
    return { commit, dirty };
  } catch {
    return { commit: null, dirty: [] };
  }
}

if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
  const again = spawn(
    process.execPath,
    [...process.execArgv, '--expose-gc', SELF, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  again.on('exit', (code) => process.exit(code ?? 1));
} else if (args.role === 'client') await client();
else await server();

interface Running {
  port: number;
  connected: () => number;
  broadcast: () => void;
}

async function startServer(): Promise<Running> {
  const servers = await import('./servers.js');
  const payload = makePayload(0);
  const message = { type: MESSAGE_TYPE, payload };
  switch (impl) {
    case 'ws-raw': {
      const s = await servers.startRawWs();
      const clients = s.wss.clients;
      if (mode === 'on') {
        // As the ws README does it: a flag per connection, set by its pong, checked and cleared
        // by one sweep that pings everyone.
        type Alive = WebSocket & { isAlive: boolean };
        function heartbeat(this: WebSocket): void {
          (this as Alive).isAlive = true;
        }
        s.wss.on('connection', (ws: Alive) => {
          ws.isAlive = true;
          ws.on('pong', heartbeat);
        });
        setInterval(() => {
          for (const ws of clients as Set<Alive>) {
            if (!ws.isAlive) {
              ws.terminate();
              continue;
            }
            ws.isAlive = false;
            ws.ping();
          }
        }, HB_MS).unref();
      }
      const TEXT = Object.freeze({ binary: false });
      return {
        port: s.port,
        connected: () => clients.size,
        // Serialise once, one Buffer for every client (bench/fanout.ts's ws-raw-prebuilt).
        broadcast: () => {
          const data = Buffer.from(JSON.stringify(message));
          for (const ws of clients) ws.send(data, TEXT);
        },
      };
    }
    case 'sio-raw': {
      const s = await servers.startRawSio({ pingInterval: mode === 'on' ? HB_MS : NEVER_MS });
      const io = s.io;
      return {
        port: s.port,
        connected: () => io.of('/').sockets.size,
        broadcast: () => void io.emit(MESSAGE_TYPE, payload),
      };
    }
    case 'ps-ws':
    case 'ps-sio': {
      const s = await servers.startPs(impl === 'ps-ws' ? 'ws' : 'sio', {
        heartbeatInterval: mode === 'on' ? HB_MS : Infinity,
        ...(impl === 'ps-sio' && { sioServerOptions: { pingInterval: NEVER_MS } }),
      });
      const ps = s.server;
      return {
        port: s.port,
        connected: () => ps.clientCount,
        broadcast: () => void ps.broadcast(message),
      };
    }
  }
}

async function server(): Promise<void> {
  const children = Array.from({ length: PROCS }, (_, i) =>
    forkClient(
      SELF,
      toArgv({
        impls: `${impl}@${mode}`,
        count: share(CONNS, i),
        'warm-share': share(WARM, i),
        concurrency: CONCURRENCY,
        timeout: HARD_MS,
        pin: args.pin ?? 'none',
      }),
    ),
  );
  const killChildren = (): void => {
    for (const child of children) child.kill('SIGKILL');
  };
  hardTimeout(`scale server ${impl}@${mode}`, HARD_MS, killChildren);
  const boxes = children.map((child) => new Mailbox<ToServer>(child));
  const fromAll = <T extends ToServer['type']>(
    type: T,
  ): Promise<Extract<ToServer, { type: T }>[]> => Promise.all(boxes.map((box) => box.next(type)));
  const toAll = (m: ToClient): void => {
    for (const child of children) child.send(m);
  };
  const within = <T>(label: string, ms: number, p: Promise<T>): Promise<T> =>
    Promise.race([
      p,
      sleep(ms).then(() => {
        throw new Error(`timed out after ${ms} ms waiting for ${label}`);
      }),
    ]);

  const running = await startServer();
  const pinned = pinSelf(pin.server);
  toAll({ type: 'port', port: running.port });

  // 1. warm-up connections, baseline
  await within('the warm-up connections', 30_000, fromAll('warm-ready'));
  await waitUntil(
    'the warm-up connections on the server',
    () => running.connected() >= WARM,
    10_000,
  );
  await sleep(300);
  const baseline = await settledSample();

  // 2. the rest
  const tConnect = Date.now();
  toAll({ type: 'go' });
  const ready = await within('the clients to connect', HARD_MS, fromAll('ready'));
  await waitUntil(`${CONNS} connections on the server`, () => running.connected() >= CONNS, 30_000);
  const connectMs = Date.now() - tConnect;
  process.stderr.write(`  ${impl}@${mode}: ${CONNS} connections in ${connectMs} ms\n`);

  // 3. idle window with the heartbeat (or without)
  await sleep(SETTLE_MS);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  toAll({ type: 'pings-start' });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const w0 = now();
  await sleep(WINDOW_MS);
  const windowCpuMs = cpuSince(cpu0);
  const windowMs = Number(now() - w0) / 1e6;
  loop.disable();
  toAll({ type: 'pings-end' });
  const pings = (await within('the ping counts', 10_000, fromAll('pings'))).reduce(
    (sum, m) => sum + m.count,
    0,
  );
  const stillConnected = running.connected();

  // 4. memory
  const after = await settledSample();
  if (args.snapshot !== undefined) {
    // For bench/heap-diff.ts: what the heap holds, by constructor, to compare two runs.
    const { writeHeapSnapshot } = await import('node:v8');
    const file = writeHeapSnapshot(`${args.snapshot}/scale-${impl}-${mode}.heapsnapshot`);
    process.stderr.write(`  heap snapshot: ${file}\n`);
  }

  // 5. broadcasts
  const broadcastMs: number[] = [];
  const broadcastCallMs: number[] = [];
  const broadcastCpuMs: number[] = [];
  let warmupBroadcastMs = NaN;
  let lost = 0;
  for (let rep = 0; rep <= REPS; rep++) {
    toAll({ type: 'arm' });
    await within('the clients to arm', 10_000, fromAll('armed'));
    const done = fromAll('done');
    const c0 = process.cpuUsage();
    const t0 = now();
    running.broadcast();
    const callNs = now() - t0;
    const times = await within(`broadcast ${rep} to reach every client`, 30_000, done);
    const cpu = cpuSince(c0);
    const last = times.reduce((max, m) => (BigInt(m.t) > max ? BigInt(m.t) : max), 0n);
    lost = times.reduce((sum, m) => sum + m.lost, 0);
    const ms = Number(last - t0) / 1e6;
    if (rep === 0) warmupBroadcastMs = ms;
    else {
      broadcastMs.push(ms);
      broadcastCallMs.push(Number(callNs) / 1e6);
      broadcastCpuMs.push(cpu.user + cpu.system);
    }
    await sleep(300);
  }

  const clientPerConn = ready.map((m) => m.clientPerConnBytes.rss);
  finish(
    {
      scenario: 'scale',
      impl,
      hb: mode,
      group: `${impl}@${mode}`,
      conns: CONNS,
      warm: WARM,
      procs: PROCS,
      hbIntervalMs: mode === 'on' ? HB_MS : null,
      connectMs,
      windowMs,
      windowCpuMs,
      pingsPerConn: pings / CONNS,
      connectedAfterWindow: stillConnected,
      /** Connections the server ended before the last broadcast (not counted in it). */
      lost,
      loopDelayMs: {
        max: loop.max / 1e6,
        p99: loop.percentile(99) / 1e6,
        mean: loop.mean / 1e6,
      },
      serverPerConnBytes: perConnection(baseline, after, CONNS - WARM),
      serverBaseline: baseline,
      serverAfter: after,
      clientRssPerConnBytes: median(clientPerConn),
      broadcastMs,
      broadcastMedianMs: median(broadcastMs),
      broadcastCallMs,
      broadcastCpuMs,
      warmupBroadcastMs,
      pin: args.pin ?? null,
      pinned,
      code: codeState(),
      env: environment(),
    },
    killChildren,
  );
}

async function client(): Promise<void> {
  hardTimeout(`scale client ${impl}@${mode}`, HARD_MS);
  // The server is gone (killed, or finished): so is this process.
  process.on('disconnect', () => process.exit(0));
  const COUNT = numberArg(args, 'count', 1);
  const WARM_SHARE = Number(args['warm-share'] ?? 0);
  const mailbox = new Mailbox<ToClient>(process);
  const { openLight } = await import('./light-clients.js');
  const { port } = await mailbox.next('port');
  pinSelf(pin.client);

  // A broadcast is complete when every connection still open has it. A connection the server
  // ended (ws-raw's sweep ends one that missed a single pong, which a loaded machine can make
  // happen at a 1 s interval) no longer counts, and is reported.
  const got = new Uint8Array(COUNT);
  const closed = new Uint8Array(COUNT);
  let lost = 0;
  let armed = false;
  let received = 0;
  let expected = COUNT;
  let pings = 0;
  let allReceived: ((t: bigint) => void) | undefined;
  const check = (): void => {
    if (armed && received >= expected) {
      armed = false;
      allReceived?.(now());
    }
  };
  const onMessage = (index: number): void => {
    if (!armed || got[index] === 1) return;
    got[index] = 1;
    received++;
    check();
  };
  const onClose = (index: number): void => {
    if (closed[index] === 1) return;
    closed[index] = 1;
    lost++;
    if (armed && got[index] === 0) {
      expected--;
      check();
    }
  };
  const onPing = (): void => {
    pings++;
  };
  const kind = LIGHT[impl];
  const open = (index: number): Promise<WebSocket> =>
    openLight(kind, port, () => onMessage(index), onPing).then((ws) => {
      ws.on('close', () => onClose(index));
      return ws;
    });

  const sockets = await openMany(WARM_SHARE, 10, open);
  await fullGc(2);
  const before = memorySample();
  toParent({ type: 'warm-ready' });
  await mailbox.next('go');
  const t = Date.now();
  const more = await openMany(COUNT - WARM_SHARE, CONCURRENCY, (i) => open(WARM_SHARE + i)).catch(
    (error: unknown) => {
      console.error('connect failed', error);
      process.exit(2);
    },
  );
  sockets.push(...more);
  const connectMs = Date.now() - t;
  await fullGc(2);
  toParent({
    type: 'ready',
    connectMs,
    clientPerConnBytes: perConnection(before, memorySample(), COUNT - WARM_SHARE),
  });

  await mailbox.next('pings-start');
  pings = 0;
  await mailbox.next('pings-end');
  toParent({ type: 'pings', count: pings });

  for (;;) {
    await mailbox.next('arm');
    got.fill(0);
    received = 0;
    expected = COUNT - lost;
    const t = new Promise<bigint>((resolve) => (allReceived = resolve));
    armed = true;
    toParent({ type: 'armed' });
    toParent({ type: 'done', t: (await t).toString(), lost });
  }
}
