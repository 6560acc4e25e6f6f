// Scenario: what session resume (issue 11) costs. plugsocket on ws with resume on (its default:
// `ps-ws`) and off (`ps-ws-noresume`: the server's `resumeWindow: 0`, the client's
// `resume: false`) side by side in one run, taking turns, with raw ws in the same run as the
// other side of the usual ratio. Three parts, one run each (they need different pinning):
//
//   node --conditions=plugsocket-source --import tsx --expose-gc bench/resume.ts \
//     --impls echo:ws-raw,echo:ps-ws,echo:ps-ws-noresume [--n 20000] [--warmup 2000] [--segments 10]
//   … --impls fanout:ws-raw-prebuilt,fanout:ps-ws,fanout:ps-ws-noresume [--clients 1000] [--msgs 800] [--blocks 16]
//       [--budget-ms 38000] [--got-every 32]
//   … --impls heap:ws-raw,heap:ps-ws,heap:ps-ws-noresume [--conns 1000] [--steps 4] [--snapshot DIR]
//   (all: [--rotate 0] [--pin S:C | auto]; auto, the default, is 0:0 for echo, 0:1 for the others)
//
// echo    As bench/echo.ts (--mode echo): one real client per implementation (SocketClient +
//         WsSocket for plugsocket, which with resume on keeps what it sends until the server's
//         `got` and acknowledges every 32 frames it takes), strictly sequential round trips in
//         --segments segments, alternating. Per segment: p50 and round trips/s.
// fanout  As bench/fanout.ts: C light clients per implementation, the server broadcasts M messages
//         (one per event-loop turn) in --blocks blocks, alternating, after a warm-up block of each.
//         The clients are light raw ws clients (light-clients.ts; for plugsocket openPsLight below)
//         that connect as the real client does: with resume on they ask for a resumable session
//         (`plugsocket-resume=new`), and do what the real client does for a broadcast: count it
//         and send `{"k":"got","n":…}` every 32, so the server's logs are trimmed as they are in
//         use (a client that never acknowledged would keep every log at its 1,000-frame limit).
//         The clients of `ps-ws-noresume` (resume off: they ask nothing) and `ws-raw-prebuilt`
//         only count. A run fails if the welcomes do not say what the name does (a token for
//         every ps-ws session, none for ps-ws-noresume). On a busy
//         machine the run stops after the round of blocks that passes --budget-ms (38 s from the
//         start of the process) and reports the blocks it ran.
// heap    Server heap per idle session: the server runs all three servers; after --warm
//         connections to each and full GCs, the client opens --conns idle connections to one
//         implementation at a time, --steps times each, in rotated order; each step is a full-GC'd
//         heapUsed before and after, over --conns. The per-implementation figure is the sum over
//         its steps. The clients are the light ones of the fan-out (ps-ws's ask for a resumable
//         session, ps-ws-noresume's do not); a plugsocket client is ready once its welcome arrived. With
//         --snapshot DIR, heap snapshots before and after the last step of each plugsocket
//         implementation, DIR/resume-heap-<impl>-{before,after}.heapsnapshot, for
//         `bench/heap-diff.ts after before --per <conns>` (what one idle session holds, by type).
//
// Prints one RESULT line per implementation; bench/run-all.ts (`--only resume`) computes the
// on ÷ off ratios (the targets: resume on costs ≤ 10 % of fan-out throughput and
// ≤ 1 KB heap per idle session).
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WebSocket as RawWebSocket } from 'ws';
import {
  blockCounter,
  blockFigures,
  broadcastBlocks,
  environment,
  fanoutServers,
  finish,
  forkClient,
  fullGc,
  hardTimeout,
  implsArg,
  Mailbox,
  makePayload,
  memorySample,
  MESSAGE_TYPE,
  numberArg,
  openMany,
  parseArgs,
  pinSelf,
  prebuiltBroadcast,
  rotate,
  roundTrips,
  roundTripStats,
  serveRoundTrips,
  sleep,
  toArgv,
  toParent,
  waitUntil,
  type ChatPayload,
  type CpuMs,
  type MemorySample,
  type RoundTripDriver,
} from './common.js';

const PARTS = {
  echo: ['ws-raw', 'ps-ws', 'ps-ws-noresume'],
  fanout: ['ws-raw-prebuilt', 'ps-ws', 'ps-ws-noresume'],
  heap: ['ws-raw', 'ps-ws', 'ps-ws-noresume'],
} as const;
type Part = keyof typeof PARTS;
type Impl = (typeof PARTS)[Part][number];
const KNOWN = Object.entries(PARTS).flatMap(([part, impls]) =>
  impls.map((impl) => `${part}:${impl}`),
);
/** Taskset CPUs "server:client" of each part when --pin is auto (PERFORMANCE.md). */
const AUTO_PIN: Record<Part, string> = { echo: '0:0', fanout: '0:1', heap: '0:1' };

const SELF = fileURLToPath(import.meta.url);
const args = parseArgs();
const tagged = implsArg(args, KNOWN);
const PART = tagged[0].split(':')[0] as Part;
if (tagged.some((t) => !t.startsWith(`${PART}:`)))
  throw new Error('the implementations of one run must be of one part (echo, fanout or heap)');
const impls = tagged.map((t) => t.slice(PART.length + 1) as Impl);
const ROTATE = Number(args.rotate ?? 0);
const PIN = args.pin === undefined || args.pin === 'auto' ? AUTO_PIN[PART] : args.pin;
const [PIN_SERVER, PIN_CLIENT] = PIN.split(':').map((s) => s || undefined);
/**
 * How often the fan-out's resume-on clients acknowledge: every 32 stream frames, as the protocol's
 * clients do (GOT_EVERY in src/protocol/resume.ts); `--got-every` tries another cadence (the
 * server takes any count up to what it sent).
 */
const GOT_EVERY = numberArg(args, 'got-every', 32);
const STARTED = Date.now();
/** When the fan-out stops starting rounds of blocks, in ms from this process's start. */
const BUDGET_MS = numberArg(args, 'budget-ms', 38_000);

/** The implementation's name in the RESULT line: part-tagged, as bench/run-all.ts groups them. */
const tag = (impl: Impl): string => `${PART}:${impl}`;

/** plugsocket on ws with resume on (its default) or off (`resumeWindow: 0`). */
const psOptions = (impl: Impl): { resumeWindow?: number } =>
  impl === 'ps-ws-noresume' ? { resumeWindow: 0 } : {};

const common = (): Record<string, unknown> => ({
  scenario: 'resume',
  part: PART,
  group: tagged.join(','),
  pin: PIN,
  env: environment(),
});

if (typeof (globalThis as { gc?: unknown }).gc !== 'function' && PART === 'heap') {
  const again = spawn(
    process.execPath,
    [...process.execArgv, '--expose-gc', SELF, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  again.on('exit', (code) => process.exit(code ?? 1));
} else if (args.role === 'client') {
  if (PART === 'echo') await echoClient();
  else if (PART === 'fanout') await fanoutClient();
  else await heapClient();
} else {
  if (PART === 'echo') await echoServer();
  else if (PART === 'fanout') await fanoutServer();
  else await heapServer();
}

function fork(values: Record<string, string | number>): ReturnType<typeof forkClient> {
  return forkClient(
    SELF,
    toArgv({
      impls: tagged.join(','),
      rotate: ROTATE,
      pin: PIN,
      'got-every': GOT_EVERY,
      ...values,
    }),
  );
}

// ================================================================ light plugsocket clients

/**
 * A light plugsocket client on raw ws (as light-clients.ts `ps-ws`), that connects the way the
 * real client does: with resume on it asks for a resumable session (`plugsocket-resume=new`, the
 * query of a first connect; a server that predates that value takes it as a resume it cannot
 * grant and starts a resumable session anyway), with resume off it asks nothing. Ready once the
 * welcome arrived; `resumable` says whether the welcome gave a session token. With `gotEvery`,
 * counts the stream frames it takes and acknowledges every `gotEvery` of them with `got`, as the
 * real client does (client/resume.ts `took`).
 */
async function openPsLight(
  port: number,
  resume: boolean,
  onMessage: () => void,
  gotEvery?: number,
): Promise<{ ws: RawWebSocket; resumable: boolean; gots: () => number }> {
  const { WebSocket } = await import('ws');
  const url = `ws://127.0.0.1:${port}/${resume ? '?plugsocket-resume=new' : ''}`;
  const ws = new WebSocket(url, { perMessageDeflate: false });
  let taken = 0;
  let gots = 0;
  let ready = false;
  return new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('message', (data) => {
      const d = data as Buffer;
      // `{"k":"msg",…`: the kind's first letter is at offset 6 (light-clients.ts).
      if (d[6] === 0x6d) {
        if (!ready) return;
        if (gotEvery !== undefined && ++taken % gotEvery === 0) {
          ws.send(`{"k":"got","n":${taken}}`);
          gots++;
        }
        onMessage();
      } else if (!ready) {
        ready = true;
        resolve({ ws, resumable: d.includes('"session"'), gots: () => gots });
      }
    });
  });
}

/** Fails the run when the sessions are not what the implementation's name says. */
function checkResumable(impl: Impl, resumable: number, count: number): void {
  const want = impl === 'ps-ws' ? count : 0;
  if (resumable !== want)
    throw new Error(
      `${impl}: ${resumable} of ${count} sessions were resumable (expected ${want}): the figures would not measure resume ${impl === 'ps-ws' ? 'on' : 'off'}`,
    );
}

// ================================================================ echo

interface EchoStats {
  p50us: number;
  p90us: number;
  p99us: number;
  meanUs: number;
  rtPerSec: number;
  segmentP50us: number[];
  segmentRtPerSec: number[];
  clientCpuMs: CpuMs;
}
type EchoToClient = { type: 'urls'; urls: Record<string, string> } | { type: 'switched' };

function echoArgs(): { n: number; warmup: number; segments: number } {
  return {
    n: numberArg(args, 'n', 20_000),
    warmup: numberArg(args, 'warmup', 2_000),
    segments: numberArg(args, 'segments', 10),
  };
}

async function echoServer(): Promise<void> {
  const { n, warmup, segments } = echoArgs();
  const child = fork({ n, warmup, segments });
  hardTimeout(`resume echo server ${impls.join(',')}`, 55_000, () => child.kill('SIGKILL'));
  const servers = await import('./servers.js');
  const urls: Record<string, string> = {};
  const closers: (() => void)[] = [];
  for (const impl of impls) {
    if (impl === 'ws-raw') {
      const s = await servers.startRawWs();
      s.wss.on('connection', (ws) => {
        ws.on('message', (data) => {
          const m = JSON.parse((data as Buffer).toString()) as {
            type: string;
            payload: ChatPayload;
          };
          ws.send(JSON.stringify({ type: m.type, payload: m.payload }));
        });
      });
      urls[impl] = s.url;
      closers.push(s.close);
    } else {
      const s = await servers.startPs('ws', psOptions(impl));
      const ps = s.server;
      ps.onMessage((clientId, message) => {
        ps.sendToClient(clientId, { type: message.type, payload: message.payload });
      });
      urls[impl] = s.url;
      closers.push(s.close);
    }
  }
  const pinned = pinSelf(PIN_SERVER);

  serveRoundTrips(child, impls, (stats: Record<string, EchoStats>, serverCpu) => {
    const results = impls.map((impl) => ({
      ...common(),
      impl: tag(impl),
      n: Math.floor(n / segments) * segments,
      ...stats[impl],
      serverCpuMs: serverCpu.get(impl),
      pinned,
    }));
    finish(results, () => {
      child.kill();
      for (const close of closers) close();
    });
  });
  child.send({ type: 'urls', urls });
}

async function echoClient(): Promise<void> {
  const { n, warmup, segments } = echoArgs();
  hardTimeout(`resume echo client ${impls.join(',')}`, 50_000);
  const mailbox = new Mailbox<EchoToClient>(process);
  const [{ SocketClient }, { WsSocket }, { WebSocket }] = await Promise.all([
    import('plugsocket'),
    import('plugsocket/ws'),
    import('ws'),
  ]);
  const { urls } = await mailbox.next('urls');
  pinSelf(PIN_CLIENT);

  const payload = makePayload(0);
  const { onReply, run } = roundTrips<Impl>(payload);

  const connect = async (impl: Impl): Promise<RoundTripDriver> => {
    const url = urls[impl];
    if (impl === 'ws-raw') {
      const ws: RawWebSocket = new WebSocket(url, { perMessageDeflate: false });
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      const message = { type: MESSAGE_TYPE, payload };
      ws.on('message', (data) => {
        JSON.parse((data as Buffer).toString());
        onReply();
      });
      return { send: () => ws.send(JSON.stringify(message)), close: () => ws.terminate() };
    }
    const ps = new SocketClient(new WsSocket(), {
      url,
      ...(impl === 'ps-ws-noresume' && { resume: false }),
    });
    ps.subscribe(MESSAGE_TYPE, onReply);
    await ps.connect();
    return { send: () => ps.emit(MESSAGE_TYPE, payload), close: () => void ps.disconnect() };
  };

  const drivers = new Map<Impl, RoundTripDriver>();
  for (const impl of impls) drivers.set(impl, await connect(impl));
  const { perSegment, latency, segmentNs, clientCpu } = await run({
    impls,
    drivers,
    n,
    warmup,
    segments,
    rotateBy: ROTATE,
    mailbox,
  });

  const stats: Record<string, EchoStats> = {};
  for (const impl of impls) {
    const ns = segmentNs.get(impl)!;
    const { maxUs: _maxUs, ...figures } = roundTripStats(
      latency.get(impl)!,
      perSegment,
      segments,
      ns.reduce((a, b) => a + b, 0),
    );
    stats[impl] = {
      ...figures,
      segmentRtPerSec: ns.map((x) => Math.round(perSegment / (x / 1e9))),
      clientCpuMs: clientCpu.get(impl)!,
    };
  }
  toParent({ type: 'result', stats }, () => {
    for (const driver of drivers.values()) driver.close();
    setTimeout(() => process.exit(0), 20);
  });
}

// ================================================================ fan-out

type FanoutToServer =
  | { type: 'ready'; connectMs: number }
  | { type: 'armed' }
  | { type: 'block-done'; t: string; clientCpuMs: CpuMs }
  | { type: 'gots'; sent: Record<string, number> };
type FanoutToClient =
  | { type: 'ports'; ports: Record<string, number> }
  /** A block of broadcasts to count; `impl: null` asks for the count of `got` frames sent. */
  | { type: 'block'; impl: Impl | null; msgs: number };

function fanoutArgs(): { clients: number; msgs: number; blocks: number } {
  return {
    clients: numberArg(args, 'clients', 1_000),
    msgs: numberArg(args, 'msgs', 800),
    blocks: numberArg(args, 'blocks', 16),
  };
}

async function fanoutServer(): Promise<void> {
  const { clients: C, msgs: M, blocks: BLOCKS } = fanoutArgs();
  const PER_BLOCK = Math.max(1, Math.floor(M / BLOCKS));
  const WARM_BLOCK = Math.max(1, Math.min(PER_BLOCK, 50));
  const child = fork({ clients: C, msgs: M, blocks: BLOCKS });
  hardTimeout(`resume fanout server ${impls.join(',')}`, 57_000, () => child.kill('SIGKILL'));
  const mailbox = new Mailbox<FanoutToServer>(child);
  const servers = await import('./servers.js');

  const { payload, message, ports, closers, broadcastOf, connectedOf, add } = fanoutServers<Impl>();
  for (const impl of impls) {
    if (impl === 'ws-raw-prebuilt') {
      const s = await servers.startRawWs();
      const clients = s.wss.clients;
      add(impl, s, prebuiltBroadcast(clients, message), () => clients.size);
    } else {
      const s = await servers.startPs('ws', psOptions(impl));
      const ps = s.server;
      add(
        impl,
        s,
        () => void ps.broadcast(message),
        () => ps.clientCount,
      );
    }
  }
  const pinned = pinSelf(PIN_SERVER);
  child.send({ type: 'ports', ports });
  const { connectMs } = await mailbox.next('ready');
  for (const impl of impls)
    await waitUntil(`${C} ${impl} connections`, () => connectedOf.get(impl)!() >= C, 10_000);
  await sleep(200);

  const { totals, runBlock } = broadcastBlocks(child, mailbox, impls, broadcastOf, payload);

  for (const impl of impls) await runBlock(impl, WARM_BLOCK, false);
  // On a busy machine the run stops early, after a whole round of blocks, so that it ends well
  // within the runner's 60 s; every implementation has run the same blocks.
  let blocksRun = 0;
  while (blocksRun < BLOCKS && (blocksRun === 0 || Date.now() - STARTED < BUDGET_MS)) {
    for (const impl of rotate(impls, blocksRun + ROTATE)) await runBlock(impl, PER_BLOCK, true);
    blocksRun++;
  }
  if (blocksRun < BLOCKS)
    process.stderr.write(`  fan-out: ${blocksRun} of ${BLOCKS} blocks within the time budget\n`);
  child.send({ type: 'block', impl: null, msgs: 0 });
  const { sent: gotsSent } = await mailbox.next('gots');

  const results = impls.map((impl) => ({
    ...common(),
    impl: tag(impl),
    clients: C,
    msgs: PER_BLOCK * blocksRun,
    blocks: blocksRun,
    blocksPlanned: BLOCKS,
    ...blockFigures(totals.get(impl)!, C, PER_BLOCK, blocksRun),
    gotsSent: gotsSent[impl] ?? 0,
    gotEvery: impl === 'ps-ws' ? GOT_EVERY : null,
    clientConnectMs: connectMs,
    pinned,
  }));
  finish(results, () => {
    child.kill();
    for (const close of closers) close();
  });
}

async function fanoutClient(): Promise<void> {
  const { clients: C } = fanoutArgs();
  hardTimeout(`resume fanout client ${impls.join(',')}`, 55_000);
  const mailbox = new Mailbox<FanoutToClient>(process);
  const { openLight } = await import('./light-clients.js');
  const { ports } = await mailbox.next('ports');
  pinSelf(PIN_CLIENT);

  const { onMessage, receive } = blockCounter(impls, C);

  const t = Date.now();
  const gotCounters: (() => number)[] = [];
  for (const impl of impls) {
    if (impl === 'ws-raw-prebuilt') {
      await openMany(C, 50, (index) => openLight('ws', ports[impl], () => onMessage(impl, index)));
      continue;
    }
    // Resume on: each client acknowledges what it takes, so the server drops it from its log.
    const resume = impl === 'ps-ws';
    const opened = await openMany(C, 50, (index) =>
      openPsLight(
        ports[impl],
        resume,
        () => onMessage(impl, index),
        resume ? GOT_EVERY : undefined,
      ),
    );
    checkResumable(impl, opened.filter((o) => o.resumable).length, C);
    if (resume) for (const o of opened) gotCounters.push(o.gots);
  }
  toParent({ type: 'ready', connectMs: Date.now() - t });

  for (;;) {
    const { impl, msgs } = await mailbox.next('block');
    if (impl === null) {
      toParent({ type: 'gots', sent: { 'ps-ws': gotCounters.reduce((n, g) => n + g(), 0) } });
      continue;
    }
    await receive(impl, msgs);
  }
}

// ================================================================ heap per idle session

type HeapToServer = { type: 'warm-ready' } | { type: 'opened'; impl: Impl };
type HeapToClient =
  { type: 'ports'; ports: Record<string, number> } | { type: 'open'; impl: Impl; count: number };

function heapArgs(): { conns: number; steps: number; warm: number } {
  return {
    conns: numberArg(args, 'conns', 1_000),
    steps: numberArg(args, 'steps', 4),
    warm: numberArg(args, 'warm', 20),
  };
}

/** Full GCs, the last in the same turn as the sample (a timer's garbage would count otherwise). */
async function settledSample(): Promise<MemorySample> {
  await fullGc();
  (globalThis as unknown as { gc: () => void }).gc();
  return memorySample();
}

async function heapServer(): Promise<void> {
  const { conns, steps, warm } = heapArgs();
  const child = fork({ conns, steps, warm });
  hardTimeout(`resume heap server ${impls.join(',')}`, 57_000, () => child.kill('SIGKILL'));
  const mailbox = new Mailbox<HeapToServer>(child);
  const servers = await import('./servers.js');
  const ports: Record<string, number> = {};
  const closers: (() => void)[] = [];
  const connectedOf = new Map<Impl, () => number>();
  for (const impl of impls) {
    if (impl === 'ws-raw') {
      const s = await servers.startRawWs();
      connectedOf.set(impl, () => s.wss.clients.size);
      ports[impl] = s.port;
      closers.push(s.close);
    } else {
      const s = await servers.startPs('ws', psOptions(impl));
      connectedOf.set(impl, () => s.server.clientCount);
      ports[impl] = s.port;
      closers.push(s.close);
    }
  }
  const pinned = pinSelf(PIN_SERVER);
  child.send({ type: 'ports', ports });
  await mailbox.next('warm-ready');
  for (const impl of impls)
    await waitUntil(
      `${warm} ${impl} warm-up connections`,
      () => connectedOf.get(impl)!() >= warm,
      10_000,
    );
  await sleep(300);

  const snapshotDir = args.snapshot;
  if (snapshotDir !== undefined) mkdirSync(snapshotDir, { recursive: true });
  const snapshot = async (impl: Impl, when: string): Promise<void> => {
    const { writeHeapSnapshot } = await import('node:v8');
    const file = writeHeapSnapshot(
      path.join(snapshotDir ?? '.', `resume-heap-${impl}-${when}.heapsnapshot`),
    );
    process.stderr.write(`  heap snapshot: ${file}\n`);
  };

  const perStep = new Map<Impl, MemorySample[]>(impls.map((impl) => [impl, []]));
  const expected = new Map<Impl, number>(impls.map((impl) => [impl, warm]));
  for (let step = 0; step < steps; step++) {
    for (const impl of rotate(impls, step + ROTATE)) {
      const snap = snapshotDir !== undefined && step === steps - 1 && impl !== 'ws-raw';
      if (snap) await snapshot(impl, 'before');
      const before = await settledSample();
      child.send({ type: 'open', impl, count: conns });
      await mailbox.next('opened');
      expected.set(impl, expected.get(impl)! + conns);
      await waitUntil(
        `${expected.get(impl)} ${impl} connections`,
        () => connectedOf.get(impl)!() >= expected.get(impl)!,
        15_000,
      );
      await sleep(300);
      const after = await settledSample();
      if (snap) await snapshot(impl, 'after');
      const d = { ...after };
      for (const key of Object.keys(d) as (keyof MemorySample)[])
        d[key] = (after[key] - before[key]) / conns;
      perStep.get(impl)!.push(d);
    }
  }

  const results = impls.map((impl) => {
    const rows = perStep.get(impl)!;
    const mean = { ...rows[0] };
    for (const key of Object.keys(mean) as (keyof MemorySample)[])
      mean[key] = rows.reduce((sum, r) => sum + r[key], 0) / rows.length;
    return {
      ...common(),
      impl: tag(impl),
      conns: conns * steps,
      steps,
      warm,
      serverPerConnBytes: mean,
      segmentHeapPerConn: rows.map((r) => Math.round(r.heapUsed)),
      pinned,
    };
  });
  finish(results, () => {
    child.kill();
    for (const close of closers) close();
  });
}

async function heapClient(): Promise<void> {
  const { warm } = heapArgs();
  hardTimeout(`resume heap client ${impls.join(',')}`, 55_000);
  const mailbox = new Mailbox<HeapToClient>(process);
  const { openLight } = await import('./light-clients.js');
  const { ports } = await mailbox.next('ports');
  pinSelf(PIN_CLIENT);
  const keep: RawWebSocket[] = [];
  const open = async (impl: Impl, count: number, concurrency: number): Promise<void> => {
    if (impl === 'ws-raw') {
      keep.push(
        ...(await openMany(count, concurrency, () =>
          openLight('ws', ports[impl], () => undefined),
        )),
      );
      return;
    }
    const opened = await openMany(count, concurrency, () =>
      openPsLight(ports[impl], impl === 'ps-ws', () => undefined),
    );
    checkResumable(impl, opened.filter((o) => o.resumable).length, count);
    for (const o of opened) keep.push(o.ws);
  };
  for (const impl of impls) await open(impl, warm, 10);
  toParent({ type: 'warm-ready' });
  for (;;) {
    const { impl, count } = await mailbox.next('open');
    await open(impl, count, 100);
    toParent({ type: 'opened', impl });
  }
}
