// Scenario: inbound throughput. One client pipelines N messages as fast as it can; the server
// receives and decodes each one and counts them. Run it with server and client on different CPUs
// (`--pin 0:1`); the figure that matters is the server's CPU time per message.
//
//   node --conditions=plugsocket-source --import tsx bench/throughput.ts \
//     --impl ws-raw|ps-ws|sio-raw|ps-sio [--n 200000] [--hwm 1048576] [--pin 0:1]
//
// The client is the same raw `ws` client for every server (see light-clients.ts), so only the
// server side differs. It JSON.stringify-s each message into the envelope the server expects and
// sends it; sends are corked in bursts of 64 (one write per burst), and the client stops while its
// backlog (ws.bufferedAmount) exceeds --hwm bytes, resuming on the next event-loop turn.
//
//   ws-raw   frame {"type":"chat","payload":{…}}; server: JSON.parse per message, count
//   ps-ws    frame {"k":"msg","type":"chat","payload":{…}} sent once the welcome arrived;
//            server: SocketServer on WsSocketServer, onMessage → count
//   sio-raw  Engine.IO frame 42["chat",{…}]; server: socket.on('chat') → count
//   ps-sio   Engine.IO frame 42["m","{\"k\":\"msg\",…}"] (the Socket.IO adapter's event `m`
//            carrying the plugsocket frame as a string); server: SocketServer on
//            SocketIoServer, onMessage → count
//
// Reported: server CPU µs per message (user + system, from the first message to the last),
// messages/s (N / time from the client's first send to the server's last message).
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
  parseArgs,
  pinSelf,
  pinSpec,
  toArgv,
  toParent,
  type CpuMs,
} from './common.js';
import type { LightKind } from './light-clients.js';

const IMPLS = ['ws-raw', 'ps-ws', 'sio-raw', 'ps-sio'] as const;
type Impl = (typeof IMPLS)[number];

const SELF = fileURLToPath(import.meta.url);
const args = parseArgs();
const impl = (args.impl ?? 'ps-ws') as Impl;
if (!IMPLS.includes(impl)) throw new Error(`unknown --impl ${impl}`);
const N = numberArg(args, 'n', 200_000);
const HWM = numberArg(args, 'hwm', 1024 * 1024);
const BURST = 64;
const pin = pinSpec(args);

const LIGHT: Record<Impl, LightKind> = { 'ws-raw': 'ws', 'ps-ws': 'ps-ws', 'sio-raw': 'sio', 'ps-sio': 'ps-sio' };

interface ClientStats {
  clientSendLoopMs: number;
  clientPauses: number;
  clientCpuMs: CpuMs;
}
type FromClient = { type: 'start'; t: string } | { type: 'sent'; stats: ClientStats };

if (args.role === 'client') await client();
else await server();

async function server(): Promise<void> {
  const child = forkClient(SELF, toArgv({ impl, n: N, hwm: HWM, pin: args.pin ?? 'none' }));
  hardTimeout(`throughput server ${impl}`, 55_000, () => child.kill('SIGKILL'));
  const servers = await import('./servers.js');

  let count = 0;
  let cpu0: NodeJS.CpuUsage | undefined;
  let serverCpuMs: CpuMs | undefined;
  let tEnd: bigint | undefined;
  let tStart: bigint | undefined;
  let clientStats: ClientStats | undefined;
  const onMessage = (): void => {
    if (count === 0) cpu0 = process.cpuUsage();
    if (++count === N) {
      tEnd = now();
      serverCpuMs = cpuSince(cpu0!);
      maybeReport();
    }
  };

  let port: number;
  let close: () => void;
  switch (impl) {
    case 'ws-raw': {
      const s = await servers.startRawWs();
      s.wss.on('connection', (ws) => {
        ws.on('message', (data) => {
          JSON.parse((data as Buffer).toString());
          onMessage();
        });
      });
      ({ port, close } = s);
      break;
    }
    case 'sio-raw': {
      const s = await servers.startRawSio();
      s.io.on('connection', (socket) => socket.on(MESSAGE_TYPE, onMessage));
      ({ port, close } = s);
      break;
    }
    case 'ps-ws':
    case 'ps-sio': {
      const s = await servers.startPs(impl === 'ps-ws' ? 'ws' : 'sio');
      s.server.onMessage(onMessage);
      ({ port, close } = s);
      break;
    }
  }
  const pinned = pinSelf(pin.server);

  function maybeReport(): void {
    if (tEnd === undefined || tStart === undefined || clientStats === undefined) return;
    const elapsedNs = Number(tEnd - tStart);
    finish(
      {
        scenario: 'throughput',
        impl,
        n: N,
        hwm: HWM,
        msgsPerSec: N / (elapsedNs / 1e9),
        elapsedMs: elapsedNs / 1e6,
        serverCpuMs,
        ...clientStats,
        pin: args.pin ?? null,
        pinned,
        env: environment(),
      },
      () => {
        child.kill();
        close();
      },
    );
  }

  child.on('message', (m: FromClient) => {
    if (m.type === 'start') tStart = BigInt(m.t);
    else {
      clientStats = m.stats;
      maybeReport();
    }
  });
  child.send({ type: 'port', port });
}

async function client(): Promise<void> {
  hardTimeout(`throughput client ${impl}`, 50_000);
  const { openLight, netSocketOf } = await import('./light-clients.js');
  const port = await new Promise<number>((resolve) => process.once('message', (m: { port: number }) => resolve(m.port)));
  pinSelf(pin.client);

  const payload = makePayload(0);
  let encode: () => string;
  switch (impl) {
    case 'ws-raw': {
      const message = { type: MESSAGE_TYPE, payload };
      encode = () => JSON.stringify(message);
      break;
    }
    case 'ps-ws': {
      const envelope = { k: 'msg', type: MESSAGE_TYPE, payload };
      encode = () => JSON.stringify(envelope);
      break;
    }
    case 'sio-raw': {
      const packet = [MESSAGE_TYPE, payload];
      encode = () => '42' + JSON.stringify(packet);
      break;
    }
    case 'ps-sio': {
      const envelope = { k: 'msg', type: MESSAGE_TYPE, payload };
      encode = () => '42' + JSON.stringify(['m', JSON.stringify(envelope)]);
      break;
    }
  }
  const ws = await openLight(LIGHT[impl], port, () => undefined);
  const net = netSocketOf(ws);

  let sent = 0;
  let pauses = 0;
  const cpu0 = process.cpuUsage();
  const t0 = now();
  toParent({ type: 'start', t: t0.toString() });
  const pump = (): void => {
    while (sent < N) {
      if (ws.bufferedAmount > HWM) {
        pauses++;
        setImmediate(pump);
        return;
      }
      net.cork();
      const end = Math.min(N, sent + BURST);
      for (; sent < end; sent++) {
        payload.seq = sent;
        ws.send(encode());
      }
      net.uncork();
    }
    const stats: ClientStats = {
      clientSendLoopMs: Number(now() - t0) / 1e6,
      clientPauses: pauses,
      clientCpuMs: cpuSince(cpu0),
    };
    toParent({ type: 'sent', stats });
  };
  pump();
}
