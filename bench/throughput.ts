// Scenario: inbound throughput. One client per implementation pipelines messages as fast as it
// can; the server receives and decodes each one and counts them. Run it with server and client on
// different CPUs (`--pin 0:1`); the figure that matters is the server's CPU time per message.
//
//   node --conditions=plugsocket-source --import tsx bench/throughput.ts \
//     --impls ws-raw,ps-ws [--n 200000] [--batches 10] [--hwm 1048576] [--rotate 0] [--pin 0:1]
//
// The client is the same raw `ws` client for every server (see light-clients.ts), so only the
// server side differs. It JSON.stringify-s each message into the envelope the server expects and
// sends it; sends are corked in bursts of 64 (one write per burst), and the client stops while its
// backlog (ws.bufferedAmount) exceeds --hwm bytes, resuming on the next event-loop turn.
//
//   ws-raw   frame {"type":"chat","payload":{…}}; server: JSON.parse per message, count
//   ps-ws    frame {"k":"msg","type":"chat","payload":{…}} sent once the welcome arrived;
//            server: SocketServer on WsSocketServer, onMessage → count
//   ps-ws-mw3  the same with three synchronous application middlewares in front (one reads the
//            principal, one counts in per-connection data, one only calls next()): the cost of
//            the middleware pipeline
//   sio-raw  Engine.IO frame 42["chat",{…}]; server: socket.on('chat') → count
//   ps-sio   Engine.IO frame 42["v","chat",{…}] (the Socket.IO adapter's event `v` carrying
//            plugsocket's structured message frame); server: SocketServer on SocketIoServer,
//            onMessage → count
//
// The implementations listed share the two processes and take turns: after a warm-up batch of
// each (N / batches messages, not counted), each sends N messages in --batches batches,
// alternating (batch k starts with implementation k + --rotate). A batch ends when the server has
// counted all its messages. Prints one RESULT line per implementation: server CPU per message
// (user + system, from the first message of a batch to its last), messages/s (messages / time
// from the client's first send of a batch to the server's last message), per batch too.
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
  parseArgs,
  pinSelf,
  pinSpec,
  rotate,
  toArgv,
  toParent,
  type CpuMs,
} from './common.js';
import type { LightKind } from './light-clients.js';

const IMPLS = ['ws-raw', 'ps-ws', 'ps-ws-mw3', 'sio-raw', 'ps-sio'] as const;
type Impl = (typeof IMPLS)[number];

const SELF = fileURLToPath(import.meta.url);
const args = parseArgs();
const impls = implsArg(args, IMPLS);
const N = numberArg(args, 'n', 200_000);
const BATCHES = numberArg(args, 'batches', 10);
const PER_BATCH = Math.floor(N / BATCHES);
const HWM = numberArg(args, 'hwm', 1024 * 1024);
const ROTATE = Number(args.rotate ?? 0);
const BURST = 64;
const pin = pinSpec(args);

const LIGHT: Record<Impl, LightKind> = {
  'ws-raw': 'ws',
  'ps-ws': 'ps-ws',
  'ps-ws-mw3': 'ps-ws',
  'sio-raw': 'sio',
  'ps-sio': 'ps-sio',
};

interface ClientStats {
  clientCpuMs: CpuMs;
  clientPauses: number;
}
type ToServer =
  | { type: 'batch'; impl: Impl; measure: boolean }
  | { type: 'result'; stats: Record<string, ClientStats & { elapsedNs: number[] }> };
type ToClient =
  | { type: 'ports'; ports: Record<string, number> }
  | { type: 'armed' }
  | { type: 'batch-done'; t: string };

if (args.role === 'client') await client();
else await server();

async function server(): Promise<void> {
  const child = forkClient(
    SELF,
    toArgv({
      impls: impls.join(','),
      n: N,
      batches: BATCHES,
      hwm: HWM,
      rotate: ROTATE,
      pin: args.pin ?? 'none',
    }),
  );
  hardTimeout(`throughput server ${impls.join(',')}`, 55_000, () => child.kill('SIGKILL'));
  const servers = await import('./servers.js');

  // The batch being received.
  let count = 0;
  let active: Impl | undefined;
  let measure = false;
  let cpu0 = process.cpuUsage();
  const cpuPerBatch = new Map<Impl, CpuMs[]>(impls.map((impl) => [impl, []]));
  const onMessage = (): void => {
    if (count === 0) cpu0 = process.cpuUsage();
    if (++count !== PER_BATCH) return;
    const t = now();
    if (measure) cpuPerBatch.get(active!)!.push(cpuSince(cpu0));
    child.send({ type: 'batch-done', t: t.toString() });
  };

  const ports: Record<string, number> = {};
  const closers: (() => void)[] = [];
  for (const impl of impls) {
    switch (impl) {
      case 'ws-raw': {
        const s = await servers.startRawWs();
        s.wss.on('connection', (ws) => {
          ws.on('message', (data) => {
            JSON.parse((data as Buffer).toString());
            onMessage();
          });
        });
        ports[impl] = s.port;
        closers.push(s.close);
        break;
      }
      case 'sio-raw': {
        const s = await servers.startRawSio();
        s.io.on('connection', (socket) => socket.on(MESSAGE_TYPE, onMessage));
        ports[impl] = s.port;
        closers.push(s.close);
        break;
      }
      case 'ps-ws':
      case 'ps-ws-mw3':
      case 'ps-sio': {
        const s = await servers.startPs(impl === 'ps-sio' ? 'sio' : 'ws');
        if (impl === 'ps-ws-mw3') {
          let anonymous = 0;
          s.server
            .use((ctx, next) => {
              if (ctx.principal === undefined) anonymous++;
              return next();
            })
            .use((ctx, next) => {
              ctx.set('seen', (ctx.get<number>('seen') ?? 0) + 1);
              return next();
            })
            .use((_ctx, next) => next());
          closers.push(() => void anonymous);
        }
        s.server.onMessage(onMessage);
        ports[impl] = s.port;
        closers.push(s.close);
        break;
      }
    }
  }
  const pinned = pinSelf(pin.server);

  child.on('message', (m: ToServer) => {
    if (m.type === 'batch') {
      active = m.impl;
      measure = m.measure;
      count = 0;
      child.send({ type: 'armed' });
      return;
    }
    const results = impls.map((impl) => {
      const cpus = cpuPerBatch.get(impl)!;
      const { elapsedNs, ...clientStats } = m.stats[impl];
      const totalNs = elapsedNs.reduce((a, b) => a + b, 0);
      return {
        scenario: 'throughput',
        impl,
        group: impls.join(','),
        n: PER_BATCH * BATCHES,
        hwm: HWM,
        msgsPerSec: (PER_BATCH * BATCHES) / (totalNs / 1e9),
        serverCpuMs: {
          user: cpus.reduce((a, c) => a + c.user, 0),
          system: cpus.reduce((a, c) => a + c.system, 0),
        },
        segmentServerCpuUsPerMsg: cpus.map((c) =>
          Number((((c.user + c.system) * 1e3) / PER_BATCH).toFixed(3)),
        ),
        segmentMsgsPerSec: elapsedNs.map((ns) => Math.round(PER_BATCH / (ns / 1e9))),
        ...clientStats,
        pin: args.pin ?? null,
        pinned,
        env: environment(),
      };
    });
    finish(results, () => {
      child.kill();
      for (const close of closers) close();
    });
  });
  child.send({ type: 'ports', ports });
}

async function client(): Promise<void> {
  hardTimeout(`throughput client ${impls.join(',')}`, 50_000);
  const mailbox = new Mailbox<ToClient>(process);
  const { openLight, pumpFrames } = await import('./light-clients.js');
  const { ports } = await mailbox.next('ports');
  pinSelf(pin.client);

  const payload = makePayload(0);
  const encoderOf = (impl: Impl): (() => string) => {
    switch (impl) {
      case 'ws-raw': {
        const message = { type: MESSAGE_TYPE, payload };
        return () => JSON.stringify(message);
      }
      case 'ps-ws':
      case 'ps-ws-mw3': {
        const envelope = { k: 'msg', type: MESSAGE_TYPE, payload };
        return () => JSON.stringify(envelope);
      }
      case 'sio-raw': {
        const packet = [MESSAGE_TYPE, payload];
        return () => '42' + JSON.stringify(packet);
      }
      case 'ps-sio': {
        const packet = ['v', MESSAGE_TYPE, payload];
        return () => '42' + JSON.stringify(packet);
      }
    }
  };
  const senders = new Map<
    Impl,
    { ws: Awaited<ReturnType<typeof openLight>>; encode: () => string }
  >();
  for (const impl of impls) {
    senders.set(impl, {
      ws: await openLight(LIGHT[impl], ports[impl], () => undefined),
      encode: encoderOf(impl),
    });
  }

  const stats = new Map<Impl, ClientStats & { elapsedNs: number[] }>(
    impls.map((impl) => [
      impl,
      { clientCpuMs: { user: 0, system: 0 }, clientPauses: 0, elapsedNs: [] },
    ]),
  );
  const runBatch = async (impl: Impl, measure: boolean): Promise<void> => {
    toParent({ type: 'batch', impl, measure });
    await mailbox.next('armed');
    const { ws, encode } = senders.get(impl)!;
    const st = stats.get(impl)!;
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
      onPause: () => {
        if (measure) st.clientPauses++;
      },
    });
    const cpu = cpuSince(cpu0);
    const { t } = await done;
    if (!measure) return;
    st.elapsedNs.push(Number(BigInt(t) - t0));
    st.clientCpuMs.user += cpu.user;
    st.clientCpuMs.system += cpu.system;
  };

  for (const impl of impls) await runBatch(impl, false);
  for (let batch = 0; batch < BATCHES; batch++) {
    for (const impl of rotate(impls, batch + ROTATE)) await runBatch(impl, true);
  }
  toParent({ type: 'result', stats: Object.fromEntries(stats) }, () =>
    setTimeout(() => process.exit(0), 20),
  );
}
