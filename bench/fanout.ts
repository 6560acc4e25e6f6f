// Scenario: broadcast fan-out. C clients per implementation (default 1,000) live in the client
// process; the server broadcasts M messages (default 1,000) to all of them, one broadcast per
// event-loop turn (a setImmediate chain), i.e. C × M deliveries. Run it with server and client on
// different CPUs (`--pin 0:1`).
//
//   node --conditions=plugsocket-source --import tsx bench/fanout.ts \
//     --impls ws-raw-prebuilt,ps-ws [--clients 1000] [--msgs 1000] [--blocks 10] [--rotate 0] \
//     [--pin 0:1]
//
//   ws-raw-prebuilt    raw ws: one Buffer per broadcast (JSON.stringify once), sent to every
//                      client with a shared options object — the "serialise once" baseline
//   ws-raw-per-client  raw ws: JSON.stringify per client
//   ps-ws              plugsocket on ws: server.broadcast({ type, payload })
//   sio-raw            raw Socket.IO: io.emit(type, payload)
//   ps-sio             plugsocket on Socket.IO: server.broadcast({ type, payload })
//
// The clients are light raw `ws` clients (light-clients.ts) that only count frames: the same
// client code for every server, so what differs is the server.
//
// The M broadcasts go out in --blocks blocks; a block ends when every client of its
// implementation has all of its messages. The implementations listed share the two processes
// (each with its own C clients) and take turns block by block (block k starts with implementation
// k + --rotate), after a warm-up block of each that is not counted. Prints one RESULT line per
// implementation: deliveries/s (deliveries / time from a block's first broadcast to its last
// delivery, summed over blocks), server CPU per delivery (user + system), server time spent
// inside the broadcast calls per delivery, client CPU per delivery, and deliveries/s per block.
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
  MESSAGE_TYPE,
  now,
  numberArg,
  openMany,
  parseArgs,
  pinSelf,
  pinSpec,
  rotate,
  sleep,
  toArgv,
  toParent,
  waitUntil,
  type CpuMs,
} from './common.js';
import type { LightKind } from './light-clients.js';

const IMPLS = ['ws-raw-prebuilt', 'ws-raw-per-client', 'ps-ws', 'sio-raw', 'ps-sio'] as const;
type Impl = (typeof IMPLS)[number];

const SELF = fileURLToPath(import.meta.url);
const args = parseArgs();
const impls = implsArg(args, IMPLS);
const C = numberArg(args, 'clients', 1_000);
const M = numberArg(args, 'msgs', 1_000);
const BLOCKS = numberArg(args, 'blocks', 10);
const PER_BLOCK = Math.max(1, Math.floor(M / BLOCKS));
const WARM_BLOCK = Math.max(1, Math.min(PER_BLOCK, 50));
const ROTATE = Number(args.rotate ?? 0);
const pin = pinSpec(args);

const LIGHT: Record<Impl, LightKind> = {
  'ws-raw-prebuilt': 'ws',
  'ws-raw-per-client': 'ws',
  'ps-ws': 'ps-ws',
  'sio-raw': 'sio',
  'ps-sio': 'ps-sio',
};

// Shared, as a careful application would write it: ws copies these options on every send.
const TEXT = Object.freeze({ binary: false });

type ToServer =
  | { type: 'ready'; connectMs: number }
  | { type: 'armed' }
  | { type: 'block-done'; t: string; clientCpuMs: CpuMs };
type ToClient =
  { type: 'ports'; ports: Record<string, number> } | { type: 'block'; impl: Impl; msgs: number };

if (args.role === 'client') await client();
else await server();

async function server(): Promise<void> {
  const child = forkClient(
    SELF,
    toArgv({
      impls: impls.join(','),
      clients: C,
      msgs: M,
      blocks: BLOCKS,
      rotate: ROTATE,
      pin: args.pin ?? 'none',
    }),
  );
  hardTimeout(`fanout server ${impls.join(',')}`, 57_000, () => child.kill('SIGKILL'));
  const mailbox = new Mailbox<ToServer>(child);
  const servers = await import('./servers.js');

  const payload = makePayload(0);
  const message = { type: MESSAGE_TYPE, payload };
  const ports: Record<string, number> = {};
  const closers: (() => void)[] = [];
  const broadcastOf = new Map<Impl, () => void>();
  const connectedOf = new Map<Impl, () => number>();
  for (const impl of impls) {
    switch (impl) {
      case 'ws-raw-prebuilt':
      case 'ws-raw-per-client': {
        const s = await servers.startRawWs();
        const clients = s.wss.clients;
        broadcastOf.set(
          impl,
          impl === 'ws-raw-prebuilt'
            ? () => {
                const data = Buffer.from(JSON.stringify(message));
                for (const ws of clients) ws.send(data, TEXT);
              }
            : () => {
                for (const ws of clients) ws.send(JSON.stringify(message));
              },
        );
        connectedOf.set(impl, () => clients.size);
        ports[impl] = s.port;
        closers.push(s.close);
        break;
      }
      case 'sio-raw': {
        const s = await servers.startRawSio();
        const io = s.io;
        broadcastOf.set(impl, () => void io.emit(MESSAGE_TYPE, payload));
        connectedOf.set(impl, () => io.of('/').sockets.size);
        ports[impl] = s.port;
        closers.push(s.close);
        break;
      }
      case 'ps-ws':
      case 'ps-sio': {
        const s = await servers.startPs(impl === 'ps-ws' ? 'ws' : 'sio');
        const ps = s.server;
        broadcastOf.set(impl, () => void ps.broadcast(message));
        connectedOf.set(impl, () => ps.clientCount);
        ports[impl] = s.port;
        closers.push(s.close);
        break;
      }
    }
  }
  const pinned = pinSelf(pin.server);
  child.send({ type: 'ports', ports });
  const { connectMs } = await mailbox.next('ready');
  for (const impl of impls) {
    await waitUntil(
      `${C} ${impl} connections on the server`,
      () => connectedOf.get(impl)!() >= C,
      10_000,
    );
  }
  await sleep(200);

  interface Totals {
    ns: number[];
    cpu: CpuMs;
    syncNs: number;
    clientCpu: CpuMs;
  }
  const totals = new Map<Impl, Totals>(
    impls.map((impl) => [
      impl,
      { ns: [], cpu: { user: 0, system: 0 }, syncNs: 0, clientCpu: { user: 0, system: 0 } },
    ]),
  );
  const runBlock = async (impl: Impl, msgs: number, measure: boolean): Promise<void> => {
    child.send({ type: 'block', impl, msgs });
    await mailbox.next('armed');
    const broadcast = broadcastOf.get(impl)!;
    const done = mailbox.next('block-done');
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

  for (const impl of impls) await runBlock(impl, WARM_BLOCK, false);
  for (let block = 0; block < BLOCKS; block++) {
    for (const impl of rotate(impls, block + ROTATE)) await runBlock(impl, PER_BLOCK, true);
  }

  const deliveries = C * PER_BLOCK * BLOCKS;
  const results = impls.map((impl) => {
    const t = totals.get(impl)!;
    const totalNs = t.ns.reduce((a, b) => a + b, 0);
    return {
      scenario: 'fanout',
      impl,
      group: impls.join(','),
      clients: C,
      msgs: PER_BLOCK * BLOCKS,
      blocks: BLOCKS,
      deliveriesPerSec: deliveries / (totalNs / 1e9),
      allDeliveredMs: totalNs / 1e6,
      serverCpuMs: t.cpu,
      serverSyncNsPerDelivery: t.syncNs / deliveries,
      clientCpuMs: t.clientCpu,
      segmentDeliveriesPerSec: t.ns.map((ns) => Math.round((C * PER_BLOCK) / (ns / 1e9))),
      clientConnectMs: connectMs,
      pin: args.pin ?? null,
      pinned,
      env: environment(),
    };
  });
  finish(results, () => {
    child.kill();
    for (const close of closers) close();
  });
}

async function client(): Promise<void> {
  hardTimeout(`fanout client ${impls.join(',')}`, 55_000);
  const mailbox = new Mailbox<ToClient>(process);
  const { openLight } = await import('./light-clients.js');
  const { ports } = await mailbox.next('ports');
  pinSelf(pin.client);

  // The block being received: counts per client of the active implementation.
  const counts = new Map<Impl, Uint32Array>(impls.map((impl) => [impl, new Uint32Array(C)]));
  let target = 0;
  let done = 0;
  let tDone = 0n;
  let blockDone: (() => void) | undefined;
  const onMessage = (impl: Impl, index: number): void => {
    if (++counts.get(impl)![index] !== target) return;
    if (++done === C) {
      tDone = now();
      blockDone?.();
    }
  };

  const t = Date.now();
  for (const impl of impls) {
    await openMany(C, 50, (index) =>
      openLight(LIGHT[impl], ports[impl], () => onMessage(impl, index)),
    );
  }
  toParent({ type: 'ready', connectMs: Date.now() - t });

  for (;;) {
    const { impl, msgs } = await mailbox.next('block');
    counts.get(impl)!.fill(0);
    target = msgs;
    done = 0;
    const finished = new Promise<void>((resolve) => (blockDone = resolve));
    const cpu0 = process.cpuUsage();
    toParent({ type: 'armed' });
    await finished;
    toParent({ type: 'block-done', t: tDone.toString(), clientCpuMs: cpuSince(cpu0) });
  }
}
