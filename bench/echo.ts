// Scenario: echo round trip. One client, strictly sequential: send a message, wait for the
// server's answer, send the next. Run it with both processes on one CPU (`--pin 0:0`): across
// CPUs each round trip would also pay two cross-CPU wake-ups.
//
//   node --conditions=plugsocket-source --import tsx bench/echo.ts \
//     --impl ws-raw|ps-ws|sio-raw|ps-sio [--n 20000] [--warmup 2000] [--pin 0:0]
//
//   ws-raw   raw ws. Client JSON.stringify({ type, payload }); server JSON.parse, then
//            JSON.stringify({ type, payload }) back (the JSON work plugsocket does); client
//            JSON.parse.
//   ps-ws    plugsocket on the ws adapter. Server: onMessage → sendToClient(id, { type, payload }).
//            Client: SocketClient + WsSocket, subscribe(type) → the next emit(type, payload).
//   sio-raw  raw Socket.IO: client emit('chat', payload) → server socket.emit('chat', payload).
//   ps-sio   plugsocket on the Socket.IO adapter, same code as ps-ws.
//
// Reported: p50/p90/p99 round-trip latency (µs), round trips/s, CPU µs per round trip of each
// process.
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
  percentile,
  pinSelf,
  pinSpec,
  toArgv,
  toParent,
  type ChatPayload,
  type CpuMs,
} from './common.js';

const IMPLS = ['ws-raw', 'ps-ws', 'sio-raw', 'ps-sio'] as const;
type Impl = (typeof IMPLS)[number];

const SELF = fileURLToPath(import.meta.url);
const args = parseArgs();
const impl = (args.impl ?? 'ps-ws') as Impl;
if (!IMPLS.includes(impl)) throw new Error(`unknown --impl ${impl}`);
const N = numberArg(args, 'n', 20_000);
const WARMUP = numberArg(args, 'warmup', 2_000);
const pin = pinSpec(args);

type FromClient =
  | { type: 'measure' }
  | { type: 'result'; stats: Record<string, number>; clientCpuMs: CpuMs };

interface RawMessage {
  type: string;
  payload: ChatPayload;
}

if (args.role === 'client') await client();
else await server();

async function server(): Promise<void> {
  const child = forkClient(SELF, toArgv({ impl, n: N, warmup: WARMUP, pin: args.pin ?? 'none' }));
  hardTimeout(`echo server ${impl}`, 55_000, () => child.kill('SIGKILL'));
  const servers = await import('./servers.js');
  let url: string;
  let close: () => void;
  switch (impl) {
    case 'ws-raw': {
      const s = await servers.startRawWs();
      s.wss.on('connection', (ws) => {
        ws.on('message', (data) => {
          const m = JSON.parse((data as Buffer).toString()) as RawMessage;
          ws.send(JSON.stringify({ type: m.type, payload: m.payload }));
        });
      });
      ({ url, close } = s);
      break;
    }
    case 'sio-raw': {
      const s = await servers.startRawSio();
      s.io.on('connection', (socket) => {
        socket.on(MESSAGE_TYPE, (payload: unknown) => socket.emit(MESSAGE_TYPE, payload));
      });
      ({ url, close } = s);
      break;
    }
    case 'ps-ws':
    case 'ps-sio': {
      const s = await servers.startPs(impl === 'ps-ws' ? 'ws' : 'sio');
      const ps = s.server;
      ps.onMessage((clientId, message) => {
        ps.sendToClient(clientId, { type: message.type, payload: message.payload });
      });
      ({ url, close } = s);
      break;
    }
  }
  const pinned = pinSelf(pin.server);
  let cpu0 = process.cpuUsage();
  child.on('message', (m: FromClient) => {
    if (m.type === 'measure') cpu0 = process.cpuUsage();
    else {
      const serverCpuMs = cpuSince(cpu0);
      finish(
        {
          scenario: 'echo',
          impl,
          n: N,
          ...m.stats,
          serverCpuMs,
          clientCpuMs: m.clientCpuMs,
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
  });
  child.send({ type: 'url', url });
}

async function client(): Promise<void> {
  hardTimeout(`echo client ${impl}`, 50_000);
  const [{ SocketClient }, { WsSocket }, { SocketIoSocket }, { WebSocket }, { io }] = await Promise.all([
    import('plugsocket'),
    import('plugsocket/ws'),
    import('plugsocket/socket.io'),
    import('ws'),
    import('socket.io-client'),
  ]);
  const url = await new Promise<string>((resolve) => process.once('message', (m: { url: string }) => resolve(m.url)));
  pinSelf(pin.client);

  const payload = makePayload(0);
  const latencyUs = new Float64Array(N);
  let i = -WARMUP;
  let t0 = 0n;
  let tStart = 0n;
  let cpu0 = process.cpuUsage();
  let send: () => void = () => undefined;
  let close: () => void = () => undefined;

  const onReply = (): void => {
    const dt = now() - t0;
    if (i >= 0) latencyUs[i] = Number(dt) / 1e3;
    i++;
    if (i === 0) {
      toParent({ type: 'measure' });
      tStart = now();
      cpu0 = process.cpuUsage();
    }
    if (i === N) {
      report();
      return;
    }
    payload.seq = i;
    t0 = now();
    send();
  };

  const report = (): void => {
    const elapsedNs = Number(now() - tStart);
    const clientCpuMs = cpuSince(cpu0);
    const sorted = Float64Array.from(latencyUs).sort();
    let sum = 0;
    for (const v of sorted) sum += v;
    const stats = {
      p50us: percentile(sorted, 50),
      p90us: percentile(sorted, 90),
      p99us: percentile(sorted, 99),
      maxUs: sorted[sorted.length - 1],
      meanUs: sum / N,
      rtPerSec: N / (elapsedNs / 1e9),
      elapsedMs: elapsedNs / 1e6,
    };
    toParent({ type: 'result', stats, clientCpuMs }, () => {
      close();
      setTimeout(() => process.exit(0), 20);
    });
  };

  switch (impl) {
    case 'ws-raw': {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      const message = { type: MESSAGE_TYPE, payload };
      send = () => ws.send(JSON.stringify(message));
      close = () => ws.terminate();
      ws.on('message', (data) => {
        JSON.parse((data as Buffer).toString());
        onReply();
      });
      ws.on('open', () => {
        t0 = now();
        send();
      });
      break;
    }
    case 'sio-raw': {
      const socket = io(url, { transports: ['websocket'], reconnection: false });
      send = () => socket.emit(MESSAGE_TYPE, payload);
      close = () => socket.disconnect();
      socket.on(MESSAGE_TYPE, onReply);
      socket.on('connect_error', (error) => {
        console.error('connect_error', error.message);
        process.exit(2);
      });
      socket.on('connect', () => {
        t0 = now();
        send();
      });
      break;
    }
    case 'ps-ws':
    case 'ps-sio': {
      const ps = new SocketClient(impl === 'ps-ws' ? new WsSocket() : new SocketIoSocket(), { url });
      ps.subscribe(MESSAGE_TYPE, onReply);
      send = () => ps.emit(MESSAGE_TYPE, payload);
      close = () => void ps.disconnect();
      await ps.connect();
      t0 = now();
      send();
      break;
    }
  }
}
