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
  blockCounter,
  blockFigures,
  broadcastBlocks,
  environment,
  fanoutServers,
  finish,
  forkClient,
  hardTimeout,
  implsArg,
  Mailbox,
  MESSAGE_TYPE,
  numberArg,
  openMany,
  parseArgs,
  pinSelf,
  pinSpec,
  prebuiltBroadcast,
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

  const { payload, message, ports, closers, broadcastOf, connectedOf, add } = fanoutServers<Impl>();
  for (const impl of impls) {
    switch (impl) {
      case 'ws-raw-prebuilt':
      case 'ws-raw-per-client': {
        const s = await servers.startRawWs();
        const clients = s.wss.clients;
        add(
          impl,
          s,
          impl === 'ws-raw-prebuilt'
            ? prebuiltBroadcast(clients, message)
            : () => {
                for (const ws of clients) ws.send(JSON.stringify(message));
              },
          () => clients.size,
        );
        break;
      }
      case 'sio-raw': {
        const s = await servers.startRawSio();
        const io = s.io;
        add(
          impl,
          s,
          () => void io.emit(MESSAGE_TYPE, payload),
          () => io.of('/').sockets.size,
        );
        break;
      }
      case 'ps-ws':
      case 'ps-sio': {
        const s = await servers.startPs(impl === 'ps-ws' ? 'ws' : 'sio');
        const ps = s.server;
        add(
          impl,
          s,
          () => void ps.broadcast(message),
          () => ps.clientCount,
        );
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

  const { totals, runBlock } = broadcastBlocks(child, mailbox, impls, broadcastOf, payload);

  for (const impl of impls) await runBlock(impl, WARM_BLOCK, false);
  for (let block = 0; block < BLOCKS; block++) {
    for (const impl of rotate(impls, block + ROTATE)) await runBlock(impl, PER_BLOCK, true);
  }

  const results = impls.map((impl) => ({
    scenario: 'fanout',
    impl,
    group: impls.join(','),
    clients: C,
    msgs: PER_BLOCK * BLOCKS,
    blocks: BLOCKS,
    ...blockFigures(totals.get(impl)!, C, PER_BLOCK, BLOCKS),
    clientConnectMs: connectMs,
    pin: args.pin ?? null,
    pinned,
    env: environment(),
  }));
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

  const { onMessage, receive } = blockCounter(impls, C);

  const t = Date.now();
  for (const impl of impls) {
    await openMany(C, 50, (index) =>
      openLight(LIGHT[impl], ports[impl], () => onMessage(impl, index)),
    );
  }
  toParent({ type: 'ready', connectMs: Date.now() - t });

  for (;;) {
    const { impl, msgs } = await mailbox.next('block');
    await receive(impl, msgs);
  }
}
