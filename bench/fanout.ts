// Scenario: broadcast fan-out. C clients (default 1,000) live in the client process; the server
// broadcasts M messages (default 1,000) to all of them, one broadcast per event-loop turn
// (a setImmediate chain), i.e. C × M deliveries. Run it with server and client on different CPUs
// (`--pin 0:1`).
//
//   node --conditions=plugsocket-source --import tsx bench/fanout.ts \
//     --impl ws-raw-prebuilt|ws-raw-per-client|ps-ws|sio-raw|ps-sio \
//     [--clients 1000] [--msgs 1000] [--pin 0:1]
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
// Reported: deliveries/s = C × M / (time from the first broadcast to the last delivery to the
// last client), server CPU ns per delivery (user + system), server time spent inside the
// broadcast calls per delivery, client CPU ns per delivery.
import { fileURLToPath } from 'node:url';
import {
  cpuSince,
  environment,
  finish,
  forkClient,
  hardTimeout,
  makePayload,
  MESSAGE_TYPE,
  now,
  numberArg,
  openMany,
  parseArgs,
  pinSelf,
  pinSpec,
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
const impl = (args.impl ?? 'ps-ws') as Impl;
if (!IMPLS.includes(impl)) throw new Error(`unknown --impl ${impl}`);
const C = numberArg(args, 'clients', 1_000);
const M = numberArg(args, 'msgs', 1_000);
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

type FromClient =
  | { type: 'ready'; connectMs: number }
  | { type: 'done'; tFirst: string; tLast: string; clientCpuMs: CpuMs; connectMs: number };

if (args.role === 'client') await client();
else await server();

async function server(): Promise<void> {
  const child = forkClient(SELF, toArgv({ impl, clients: C, msgs: M, pin: args.pin ?? 'none' }));
  hardTimeout(`fanout server ${impl}`, 57_000, () => child.kill('SIGKILL'));
  const servers = await import('./servers.js');

  const payload = makePayload(0);
  const message = { type: MESSAGE_TYPE, payload };
  let port: number;
  let close: () => void;
  let connected: () => number;
  let broadcast: () => void;
  switch (impl) {
    case 'ws-raw-prebuilt':
    case 'ws-raw-per-client': {
      const s = await servers.startRawWs();
      const clients = s.wss.clients;
      broadcast =
        impl === 'ws-raw-prebuilt'
          ? () => {
              const data = Buffer.from(JSON.stringify(message));
              for (const ws of clients) ws.send(data, TEXT);
            }
          : () => {
              for (const ws of clients) ws.send(JSON.stringify(message));
            };
      connected = () => clients.size;
      ({ port, close } = s);
      break;
    }
    case 'sio-raw': {
      const s = await servers.startRawSio();
      const io = s.io;
      broadcast = () => void io.emit(MESSAGE_TYPE, payload);
      connected = () => io.of('/').sockets.size;
      ({ port, close } = s);
      break;
    }
    case 'ps-ws':
    case 'ps-sio': {
      const s = await servers.startPs(impl === 'ps-ws' ? 'ws' : 'sio');
      const ps = s.server;
      broadcast = () => void ps.broadcast(message);
      connected = () => ps.clientCount;
      ({ port, close } = s);
      break;
    }
  }
  const pinned = pinSelf(pin.server);

  let t0 = 0n;
  let cpu0 = process.cpuUsage();
  let syncNs = 0n;
  let tSendDone: bigint | undefined;
  let sendCpuMs: CpuMs | undefined;

  const start = async (): Promise<void> => {
    await waitUntil(`${C} connections on the server`, () => connected() >= C, 10_000);
    await sleep(300);
    cpu0 = process.cpuUsage();
    t0 = now();
    let i = 0;
    const step = (): void => {
      payload.seq = i;
      const a = now();
      broadcast();
      syncNs += now() - a;
      if (++i < M) setImmediate(step);
      else {
        tSendDone = now();
        sendCpuMs = cpuSince(cpu0);
      }
    };
    setImmediate(step);
  };

  child.on('message', (m: FromClient) => {
    if (m.type === 'ready') {
      start().catch((error: unknown) => {
        console.error(error);
        child.kill('SIGKILL');
        process.exit(1);
      });
      return;
    }
    const deliveries = C * M;
    const totalNs = Number(BigInt(m.tLast) - t0);
    const report = (): void => {
      if (tSendDone === undefined) {
        setTimeout(report, 5);
        return;
      }
      const serverCpuMs = cpuSince(cpu0);
      finish(
        {
          scenario: 'fanout',
          impl,
          clients: C,
          msgs: M,
          deliveriesPerSec: deliveries / (totalNs / 1e9),
          allDeliveredMs: totalNs / 1e6,
          firstClientDoneMs: Number(BigInt(m.tFirst) - t0) / 1e6,
          serverSendDoneMs: Number(tSendDone - t0) / 1e6,
          serverSyncNsPerDelivery: Number(syncNs) / deliveries,
          serverCpuMs,
          serverCpuAtSendDoneMs: sendCpuMs,
          clientCpuMs: m.clientCpuMs,
          clientConnectMs: m.connectMs,
          pin: args.pin ?? null,
          pinned,
          env: environment(),
        },
        () => {
          child.kill();
          close();
        },
      );
    };
    report();
  });
  child.send({ type: 'port', port });
}

async function client(): Promise<void> {
  hardTimeout(`fanout client ${impl}`, 55_000);
  const { openLight } = await import('./light-clients.js');
  const port = await new Promise<number>((resolve) => process.once('message', (m: { port: number }) => resolve(m.port)));
  pinSelf(pin.client);

  const counts = new Uint32Array(C);
  let done = 0;
  let tFirst: bigint | undefined;
  let cpu0: NodeJS.CpuUsage | undefined;
  const tc = Date.now();
  let connectMs = 0;
  const onMessage = (index: number): void => {
    cpu0 ??= process.cpuUsage();
    if (++counts[index] !== M) return;
    const t = now();
    tFirst ??= t;
    if (++done === C) {
      toParent({ type: 'done', tFirst: tFirst.toString(), tLast: t.toString(), clientCpuMs: cpuSince(cpu0), connectMs });
    }
  };
  const kind = LIGHT[impl];
  await openMany(C, 50, (index) => openLight(kind, port, () => onMessage(index)));
  connectMs = Date.now() - tc;
  toParent({ type: 'ready', connectMs });
}
