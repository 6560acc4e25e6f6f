// Scenario: what the server's abuse protection costs. Two measurements, chosen by the
// implementations listed:
//
//   node --conditions=plugsocket-source --import tsx bench/security.ts \
//     --impls ws-off,ws-on [--n 200000] [--batches 10] [--rotate 0] [--pin 0:1]
//   node --conditions=plugsocket-source --import tsx bench/security.ts \
//     --impls ws-echo [--rt 2000] [--segments 8] [--rotate 0] [--pin 0:1]
//
// Inbound (`ws-off`, `ws-on`, `sio-off`, `sio-on`): the throughput scenario (throughput.ts) with
// the rate limiter off (`rateLimit: false`) and on with the default settings but allowances no
// client reaches (`{ messages: 1e9, bytes: 1e12 }`), so nothing is refused and only the limiter's
// bookkeeping differs. One light raw-ws client (light-clients.ts) per server pipelines `chat`
// messages, corked in bursts of 64, pausing while its backlog exceeds 1 MiB; the server counts
// them with `onMessage`. After a warm-up batch of each, each sends N messages in --batches
// batches, alternating (batch k starts with implementation k + --rotate). Server on CPU S, client
// on CPU C (`--pin S:C`). Prints msgs/s and server CPU per message, per batch too.
//
// Echo under flood (`ws-echo`, `sio-echo`): a SocketServer with its defaults (rate limit on:
// 1000 frames a second, burst 1000, disconnect with 4429 after 1000 refusals in a second) echoes
// `chat` messages with `sendToClient`. A SocketClient makes sequential round trips (as echo.ts,
// but paced to one a millisecond at most, so that it stays within the default limit it is
// measured under) in --segments segments, alternately unloaded and while a flooder floods: a third process that
// opens a light client, sends `flood` messages as fast as the transport takes them (corked bursts,
// backlog bound 1 MiB) until it is cut off, and at once connects again and floods again, for as
// long as the segment lasts. Server and echo client share CPU S (round trips pinned as in
// echo.ts), the flooder runs on CPU C, so what the flood costs the echo client is the server's
// work on it. Prints the p50 of each kind of segment, and, per cut-off, the flood frames the
// server processed (delivered to `onMessage`) before it.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  cpuSince,
  environment,
  finish,
  forkClient,
  hardTimeout,
  implsArg,
  Mailbox,
  makePayload,
  median,
  MESSAGE_TYPE,
  now,
  numberArg,
  parseArgs,
  percentile,
  pinSelf,
  pinSpec,
  rotate,
  sleep,
  toArgv,
  toParent,
  type CpuMs,
} from './common.js';
import type { LightKind } from './light-clients.js';
import { UNREACHED_RATE_LIMIT } from './servers.js';

const INBOUND = ['ws-off', 'ws-on', 'sio-off', 'sio-on'] as const;
const ECHO = ['ws-echo', 'sio-echo'] as const;
const IMPLS = [...INBOUND, ...ECHO] as const;
type Impl = (typeof IMPLS)[number];
type InboundImpl = (typeof INBOUND)[number];
type EchoImpl = (typeof ECHO)[number];

const SELF = fileURLToPath(import.meta.url);
const args = parseArgs();
const impls = implsArg(args, IMPLS);
const isEcho = (impl: Impl): impl is EchoImpl => (ECHO as readonly string[]).includes(impl);
if (impls.some(isEcho) && impls.length !== 1)
  throw new Error('an echo implementation runs alone: --impls ws-echo or --impls sio-echo');
const N = numberArg(args, 'n', 200_000);
const BATCHES = numberArg(args, 'batches', 10);
const PER_BATCH = Math.floor(N / BATCHES);
const RT = numberArg(args, 'rt', 2_000);
const SEGMENTS = numberArg(args, 'segments', 8);
const ROTATE = Number(args.rotate ?? 0);
const HWM = 1024 * 1024;
const BURST = 64;
const pin = pinSpec(args);

/** Allowances no client of the benchmark reaches: the limiter runs, nothing is refused. */
const FLOOD_TYPE = 'flood';

const transportOf = (impl: Impl): 'ws' | 'sio' => (impl.startsWith('ws') ? 'ws' : 'sio');
const lightOf = (impl: Impl): LightKind => (transportOf(impl) === 'ws' ? 'ps-ws' : 'ps-sio');

/** The frame a light client sends for a message of `type` (see light-clients.ts). */
function encoderOf(impl: Impl, type: string, payload: object): () => string {
  if (transportOf(impl) === 'ws') {
    const envelope = { k: 'msg', type, payload };
    return () => JSON.stringify(envelope);
  }
  const packet = ['v', type, payload];
  return () => '42' + JSON.stringify(packet);
}

const role = args.role;
if (role === 'client') await (impls.some(isEcho) ? echoClient() : inboundClient());
else if (role === 'flooder') await flooder();
else if (impls.some(isEcho)) await echoServer(impls[0] as EchoImpl);
else await inboundServer(impls as InboundImpl[]);

// ================================================================ inbound throughput

type InboundToServer =
  | { type: 'batch'; impl: InboundImpl; measure: boolean }
  | { type: 'result'; elapsedNs: Record<string, number[]>; clientCpuMs: Record<string, CpuMs> };
type InboundToClient =
  | { type: 'ports'; ports: Record<string, number> }
  | { type: 'armed' }
  | { type: 'batch-done'; t: string };

async function inboundServer(list: InboundImpl[]): Promise<void> {
  const child = forkClient(
    SELF,
    toArgv({
      impls: list.join(','),
      n: N,
      batches: BATCHES,
      rotate: ROTATE,
      pin: args.pin ?? 'none',
    }),
  );
  hardTimeout(`security server ${list.join(',')}`, 55_000, () => child.kill('SIGKILL'));
  const { SocketServer } = await import('plugsocket');
  const { WsSocketServer } = await import('plugsocket/ws');
  const { SocketIoServer } = await import('plugsocket/socket.io');

  let count = 0;
  let active: InboundImpl | undefined;
  let measure = false;
  let cpu0 = process.cpuUsage();
  const cpuPerBatch = new Map<InboundImpl, CpuMs[]>(list.map((impl) => [impl, []]));
  const onMessage = (): void => {
    if (count === 0) cpu0 = process.cpuUsage();
    if (++count !== PER_BATCH) return;
    const t = now();
    if (measure) cpuPerBatch.get(active!)!.push(cpuSince(cpu0));
    child.send({ type: 'batch-done', t: t.toString() });
  };

  const ports: Record<string, number> = {};
  const servers: { shutdown(): Promise<void> }[] = [];
  for (const impl of list) {
    const adapter =
      transportOf(impl) === 'ws'
        ? new WsSocketServer({ port: 0, host: '127.0.0.1' })
        : new SocketIoServer({ port: 0, host: '127.0.0.1' });
    const server = new SocketServer(adapter, {
      rateLimit: impl.endsWith('-on') ? UNREACHED_RATE_LIMIT : false,
    });
    server.onMessage(onMessage);
    const { port } = await server.listen();
    ports[impl] = port!;
    servers.push(server);
  }
  const pinned = pinSelf(pin.server);

  child.on('message', (m: InboundToServer) => {
    if (m.type === 'batch') {
      active = m.impl;
      measure = m.measure;
      count = 0;
      child.send({ type: 'armed' });
      return;
    }
    const results = list.map((impl) => {
      const cpus = cpuPerBatch.get(impl)!;
      const elapsedNs = m.elapsedNs[impl];
      const totalNs = elapsedNs.reduce((a, b) => a + b, 0);
      return {
        scenario: 'security',
        impl,
        group: list.join(','),
        n: PER_BATCH * BATCHES,
        msgsPerSec: (PER_BATCH * BATCHES) / (totalNs / 1e9),
        serverCpuMs: {
          user: cpus.reduce((a, c) => a + c.user, 0),
          system: cpus.reduce((a, c) => a + c.system, 0),
        },
        segmentServerCpuUsPerMsg: cpus.map((c) =>
          Number((((c.user + c.system) * 1e3) / PER_BATCH).toFixed(3)),
        ),
        segmentMsgsPerSec: elapsedNs.map((ns) => Math.round(PER_BATCH / (ns / 1e9))),
        clientCpuMs: m.clientCpuMs[impl],
        pin: args.pin ?? null,
        pinned,
        env: environment(),
      };
    });
    finish(results, () => {
      child.kill();
      for (const server of servers) void server.shutdown();
    });
  });
  child.send({ type: 'ports', ports });
}

async function inboundClient(): Promise<void> {
  hardTimeout(`security client ${impls.join(',')}`, 50_000);
  const list = impls as InboundImpl[];
  const mailbox = new Mailbox<InboundToClient>(process);
  const { openLight, pumpFrames } = await import('./light-clients.js');
  const { ports } = await mailbox.next('ports');
  pinSelf(pin.client);

  const payload = makePayload(0);
  const senders = new Map<
    InboundImpl,
    { ws: Awaited<ReturnType<typeof openLight>>; encode: () => string }
  >();
  for (const impl of list) {
    senders.set(impl, {
      ws: await openLight(lightOf(impl), ports[impl], () => undefined),
      encode: encoderOf(impl, MESSAGE_TYPE, payload),
    });
  }
  const elapsed = new Map<InboundImpl, number[]>(list.map((impl) => [impl, []]));
  const clientCpu = new Map<InboundImpl, CpuMs>(list.map((impl) => [impl, { user: 0, system: 0 }]));

  const runBatch = async (impl: InboundImpl, measure: boolean): Promise<void> => {
    toParent({ type: 'batch', impl, measure });
    await mailbox.next('armed');
    const { ws, encode } = senders.get(impl)!;
    const done = mailbox.next('batch-done');
    const cpu0 = process.cpuUsage();
    const t0 = now();
    await pumpFrames(ws, {
      count: PER_BATCH,
      burst: BURST,
      highWaterMark: HWM,
      next: (i) => {
        payload.seq = i;
        return encode();
      },
    });
    const cpu = cpuSince(cpu0);
    const { t } = await done;
    if (!measure) return;
    elapsed.get(impl)!.push(Number(BigInt(t) - t0));
    const acc = clientCpu.get(impl)!;
    acc.user += cpu.user;
    acc.system += cpu.system;
  };

  for (const impl of list) await runBatch(impl, false);
  for (let batch = 0; batch < BATCHES; batch++) {
    for (const impl of rotate(list, batch + ROTATE)) await runBatch(impl, true);
  }
  toParent(
    {
      type: 'result',
      elapsedNs: Object.fromEntries(elapsed),
      clientCpuMs: Object.fromEntries(clientCpu),
    },
    () => setTimeout(() => process.exit(0), 20),
  );
}

// ================================================================ echo under flood

type EchoToServer =
  | { type: 'flood'; on: boolean }
  | { type: 'result'; unloaded: number[]; flooded: number[]; segments: SegmentStat[] };
type EchoToClient = { type: 'url'; url: string; port: number } | { type: 'flood-ack' };
type FlooderToServer = { type: 'started' } | { type: 'stopped'; sent: number; connects: number };
type ServerToFlooder = { type: 'start' } | { type: 'stop' };

interface SegmentStat {
  kind: 'unloaded' | 'flood';
  p50us: number;
}

async function echoServer(impl: EchoImpl): Promise<void> {
  const client = forkClient(
    SELF,
    toArgv({ impls: impl, rt: RT, segments: SEGMENTS, rotate: ROTATE, pin: args.pin ?? 'none' }),
  );
  const flood: ChildProcess = fork(
    SELF,
    ['--role', 'flooder', ...toArgv({ impls: impl, pin: args.pin ?? 'none' })],
    { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  hardTimeout(`security echo server ${impl}`, 55_000, () => {
    client.kill('SIGKILL');
    flood.kill('SIGKILL');
  });
  const { SocketServer } = await import('plugsocket');
  const { WsSocketServer } = await import('plugsocket/ws');
  const { SocketIoServer } = await import('plugsocket/socket.io');
  const adapter =
    transportOf(impl) === 'ws'
      ? new WsSocketServer({ port: 0, host: '127.0.0.1' })
      : new SocketIoServer({ port: 0, host: '127.0.0.1' });
  // The defaults: rate limit on.
  const server = new SocketServer(adapter);
  // Flood frames processed, per flooder connection, and what they were when it was cut off.
  const processed = new Map<string, number>();
  const perCutoff: number[] = [];
  const otherCloses = new Map<number, number>();
  server.onMessage((clientId, message) => {
    if (message.type === FLOOD_TYPE) {
      processed.set(clientId, (processed.get(clientId) ?? 0) + 1);
      return;
    }
    server.sendToClient(clientId, { type: message.type, payload: message.payload });
  });
  server.onDisconnection((clientId, info) => {
    const n = processed.get(clientId);
    if (n === undefined) return;
    processed.delete(clientId);
    if (info.code === 4429) perCutoff.push(n);
    else otherCloses.set(info.code, (otherCloses.get(info.code) ?? 0) + 1);
  });
  const { url, port } = await server.listen();
  const pinned = pinSelf(pin.server);

  const fromFlooder = new Mailbox<FlooderToServer>(flood);
  let floodSent = 0;
  let floodConnects = 0;
  client.on('message', (m: EchoToServer) => {
    if (m.type === 'flood') {
      void (async () => {
        if (m.on) {
          flood.send({ type: 'start' } satisfies ServerToFlooder);
          await fromFlooder.next('started');
        } else {
          flood.send({ type: 'stop' } satisfies ServerToFlooder);
          const stopped = await fromFlooder.next('stopped');
          floodSent += stopped.sent;
          floodConnects += stopped.connects;
        }
        client.send({ type: 'flood-ack' } satisfies EchoToClient);
      })();
      return;
    }
    const sortedU = Float64Array.from(m.unloaded).sort();
    const sortedF = Float64Array.from(m.flooded).sort();
    const p50u = percentile(sortedU, 50);
    const p50f = percentile(sortedF, 50);
    const cutSorted = [...perCutoff].sort((a, b) => a - b);
    finish(
      {
        scenario: 'security',
        impl,
        group: impl,
        n: m.unloaded.length,
        p50us: p50u,
        p99us: percentile(sortedU, 99),
        p50FloodUs: p50f,
        p99FloodUs: percentile(sortedF, 99),
        segmentP50us: m.segments.filter((s) => s.kind === 'unloaded').map((s) => s.p50us),
        segmentP50FloodUs: m.segments.filter((s) => s.kind === 'flood').map((s) => s.p50us),
        floodSent,
        floodConnects,
        cutoffs: perCutoff.length,
        floodProcessedPerCutoffMedian: median(cutSorted),
        floodProcessedPerCutoffMax: cutSorted.at(-1) ?? NaN,
        floodProcessedTotal: perCutoff.reduce((a, b) => a + b, 0),
        floodOtherCloses: Object.fromEntries(otherCloses),
        pin: args.pin ?? null,
        pinned,
        env: environment(),
      },
      () => {
        client.kill();
        flood.kill();
        void server.shutdown();
      },
    );
  });
  const urlMessage: EchoToClient = { type: 'url', url: url!, port: port! };
  client.send(urlMessage);
  flood.send(urlMessage);
}

async function echoClient(): Promise<void> {
  hardTimeout(`security echo client ${impls.join(',')}`, 50_000);
  const impl = impls[0] as EchoImpl;
  const mailbox = new Mailbox<EchoToClient>(process);
  const [{ SocketClient }, { WsSocket }, { SocketIoSocket }] = await Promise.all([
    import('plugsocket'),
    import('plugsocket/ws'),
    import('plugsocket/socket.io/client'),
  ]);
  const first = await mailbox.next('url');
  if (first.type !== 'url') throw new Error('expected the url');
  // The echo client shares the server's CPU, as in echo.ts.
  pinSelf(pin.server);
  const ps = new SocketClient(transportOf(impl) === 'ws' ? new WsSocket() : new SocketIoSocket(), {
    url: first.url,
  });
  const payload = makePayload(0);
  let remaining = 0;
  let record: number[] = [];
  let t0 = 0n;
  let segmentDone: () => void = () => undefined;
  const next = (): void => {
    payload.seq++;
    t0 = now();
    ps.emit(MESSAGE_TYPE, payload);
  };
  ps.subscribe(MESSAGE_TYPE, () => {
    record.push(Number(now() - t0) / 1e3);
    if (--remaining === 0) {
      segmentDone();
      return;
    }
    // Paced: the echo client is a well-behaved client under the default rate limit (1000 frames
    // a second), so it sends at most one message a millisecond.
    setTimeout(next, 1);
  });
  let ending = false;
  ps.onClose((info) => {
    if (ending) return;
    console.error(`[security echo client] closed ${info.code} ${info.reason}`);
    process.exit(1);
  });
  await ps.connect();
  const segment = (count: number, into: number[]): Promise<void> =>
    new Promise((resolve) => {
      remaining = count;
      record = into;
      segmentDone = resolve;
      t0 = now();
      ps.emit(MESSAGE_TYPE, payload);
    });
  const setFlood = async (on: boolean): Promise<void> => {
    toParent({ type: 'flood', on });
    await mailbox.next('flood-ack');
  };

  // Warm-up, unloaded and flooded.
  await segment(300, []);
  await setFlood(true);
  await segment(300, []);
  await setFlood(false);

  const perSegment = Math.max(1, Math.floor(RT / SEGMENTS));
  const unloaded: number[] = [];
  const flooded: number[] = [];
  const segments: SegmentStat[] = [];
  // Each segment of each kind, in an order rotated per pair.
  for (let k = 0; k < SEGMENTS; k++) {
    const kinds = rotate(['unloaded', 'flood'] as const, k + ROTATE);
    for (const kind of kinds) {
      const into: number[] = [];
      if (kind === 'flood') {
        await setFlood(true);
        // Let the flood be under way (cut off and back at least once, most likely).
        await sleep(20);
      }
      await segment(perSegment, into);
      if (kind === 'flood') await setFlood(false);
      (kind === 'flood' ? flooded : unloaded).push(...into);
      segments.push({
        kind,
        p50us: Number(
          percentile(
            into.sort((a, b) => a - b),
            50,
          ).toFixed(1),
        ),
      });
    }
  }
  ending = true;
  toParent({ type: 'result', unloaded, flooded, segments } satisfies EchoToServer, () => {
    void ps.disconnect();
    setTimeout(() => process.exit(0), 20);
  });
}

/** Floods the server while told to: connects, sends until cut off, connects again. */
async function flooder(): Promise<void> {
  hardTimeout(`security flooder ${impls.join(',')}`, 50_000);
  const impl = impls[0] as EchoImpl;
  const mailbox = new Mailbox<ServerToFlooder | EchoToClient>(process);
  const { openLight, netSocketOf } = await import('./light-clients.js');
  const first = await mailbox.next('url');
  if (first.type !== 'url') throw new Error('expected the url');
  pinSelf(pin.client);
  const encode = encoderOf(impl, FLOOD_TYPE, makePayload(0));

  for (;;) {
    await mailbox.next('start');
    let flooding = true;
    let sent = 0;
    let connects = 0;
    const stopped = mailbox.next('stop').then(() => {
      flooding = false;
    });
    toParent({ type: 'started' });
    while (flooding) {
      let ws: Awaited<ReturnType<typeof openLight>>;
      try {
        ws = await openLight(lightOf(impl), first.port, () => undefined);
      } catch {
        await sleep(5); // refused (e.g. the address is throttled): try again shortly
        continue;
      }
      connects++;
      const net = netSocketOf(ws);
      let open = true;
      ws.on('close', () => (open = false));
      ws.on('error', () => (open = false));
      await new Promise<void>((resolve) => {
        const pump = (): void => {
          if (!flooding || !open) {
            resolve();
            return;
          }
          // Up to 16 bursts a turn while the backlog allows, then a turn for close events.
          for (let b = 0; b < 16 && ws.bufferedAmount <= HWM; b++) {
            net.cork();
            for (let i = 0; i < BURST; i++) ws.send(encode());
            net.uncork();
            sent += BURST;
          }
          setImmediate(pump);
        };
        pump();
      });
      if (open) ws.terminate();
    }
    await stopped;
    toParent({ type: 'stopped', sent, connects });
  }
}
