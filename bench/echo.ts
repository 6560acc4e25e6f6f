// Scenarios: echo round trip, and request round trip (`--mode request`). One client per
// implementation, strictly sequential: send a message (or make a request), wait for the server's
// answer, send the next. Run it with both processes on one CPU (`--pin 0:0`): across CPUs each
// round trip would also pay two cross-CPU wake-ups.
//
//   node --conditions=plugsocket-source --import tsx bench/echo.ts [--mode echo|request] \
//     --impls ws-raw,ps-ws [--n 20000] [--warmup 2000] [--segments 10] [--rotate 0] [--pin 0:0]
//
// --mode echo (the default):
//   ws-raw   raw ws. Client JSON.stringify({ type, payload }); server JSON.parse, then
//            JSON.stringify({ type, payload }) back (the JSON work plugsocket does); client
//            JSON.parse.
//   ps-ws    plugsocket on the ws adapter. Server: onMessage → sendToClient(id, { type, payload }).
//            Client: SocketClient + WsSocket, subscribe(type) → the next emit(type, payload).
//   sio-raw  raw Socket.IO: client emit('chat', payload) → server socket.emit('chat', payload).
//   ps-sio   plugsocket on the Socket.IO adapter, same code as ps-ws.
//   ps-ws-nohb  ps-ws with heartbeats off on both sides (`heartbeatInterval: Infinity`), so that
//            the heartbeat's per-frame cost (a field write each side) is measured on and off.
//
// --mode request: the same message as the request's payload, and the handler answers with it.
//   ws-raw   a hand-rolled RPC on raw ws (raw-rpc.ts): client {"id","name","payload"} → server
//            {"id","result"}, matched by id in a Map of the calls in flight.
//   ps-ws    plugsocket on the ws adapter. Server: handle('chat', (payload) => payload).
//            Client: await client.request('chat', payload).
//   sio-raw  raw Socket.IO: client await emitWithAck('chat', payload) → server
//            socket.on('chat', (payload, ack) => ack(payload)).
//   ps-sio   plugsocket on the Socket.IO adapter, same code as ps-ws.
//   Every client takes the answer from a resolved promise.
//
// The implementations listed share the two processes and take turns: after a warm-up of each,
// the N round trips of each are made in --segments segments, alternating (segment k starts with
// implementation k + --rotate). The server's CPU time is attributed to the implementation whose
// segment is running. Prints one RESULT line per implementation: p50/p90/p99 latency (µs), round
// trips/s, CPU µs per round trip of each process, and the p50 of each segment.
import { fileURLToPath } from 'node:url';
import type { WebSocket as RawWebSocket } from 'ws';
import {
  environment,
  finish,
  forkClient,
  hardTimeout,
  implsArg,
  Mailbox,
  makePayload,
  MESSAGE_TYPE,
  numberArg,
  parseArgs,
  pinSelf,
  pinSpec,
  roundTrips,
  roundTripStats,
  serveRoundTrips,
  toArgv,
  toParent,
  type ChatPayload,
  type CpuMs,
  type RoundTripDriver,
  type RoundTripStats,
} from './common.js';

const IMPLS = ['ws-raw', 'ps-ws', 'sio-raw', 'ps-sio', 'ps-ws-nohb'] as const;
type Impl = (typeof IMPLS)[number];
const MODES = ['echo', 'request'] as const;
type Mode = (typeof MODES)[number];

const SELF = fileURLToPath(import.meta.url);
const args = parseArgs();
const MODE = (args.mode ?? 'echo') as Mode;
if (!MODES.includes(MODE)) throw new Error(`unknown --mode ${MODE}; known: ${MODES.join(', ')}`);
const impls = implsArg(args, IMPLS);
const N = numberArg(args, 'n', 20_000);
const WARMUP = numberArg(args, 'warmup', 2_000);
const SEGMENTS = numberArg(args, 'segments', 10);
const ROTATE = Number(args.rotate ?? 0);
const pin = pinSpec(args);

interface Stats extends RoundTripStats {
  clientCpuMs: CpuMs;
}
type ToClient = { type: 'urls'; urls: Record<string, string> } | { type: 'switched' };

interface RawMessage {
  type: string;
  payload: ChatPayload;
}

if (args.role === 'client') await client();
else await server();

async function server(): Promise<void> {
  const child = forkClient(
    SELF,
    toArgv({
      mode: MODE,
      impls: impls.join(','),
      n: N,
      warmup: WARMUP,
      segments: SEGMENTS,
      rotate: ROTATE,
      pin: args.pin ?? 'none',
    }),
  );
  hardTimeout(`${MODE} server ${impls.join(',')}`, 55_000, () => child.kill('SIGKILL'));
  const [servers, { serveRawRpc }] = await Promise.all([
    import('./servers.js'),
    import('./raw-rpc.js'),
  ]);
  const urls: Record<string, string> = {};
  const closers: (() => void)[] = [];
  for (const impl of impls) {
    switch (impl) {
      case 'ws-raw': {
        const s = await servers.startRawWs();
        if (MODE === 'request') serveRawRpc(s.wss, new Map([[MESSAGE_TYPE, (p: unknown) => p]]));
        else
          s.wss.on('connection', (ws) => {
            ws.on('message', (data) => {
              const m = JSON.parse((data as Buffer).toString()) as RawMessage;
              ws.send(JSON.stringify({ type: m.type, payload: m.payload }));
            });
          });
        urls[impl] = s.url;
        closers.push(s.close);
        break;
      }
      case 'sio-raw': {
        const s = await servers.startRawSio();
        s.io.on('connection', (socket) => {
          if (MODE === 'request')
            socket.on(MESSAGE_TYPE, (payload: unknown, ack: (result: unknown) => void) =>
              ack(payload),
            );
          else socket.on(MESSAGE_TYPE, (payload: unknown) => socket.emit(MESSAGE_TYPE, payload));
        });
        urls[impl] = s.url;
        closers.push(s.close);
        break;
      }
      case 'ps-ws':
      case 'ps-ws-nohb':
      case 'ps-sio': {
        const s = await servers.startPs(
          impl === 'ps-sio' ? 'sio' : 'ws',
          impl === 'ps-ws-nohb' ? { heartbeatInterval: Infinity } : {},
        );
        const ps = s.server;
        if (MODE === 'request') ps.handle(MESSAGE_TYPE, (payload: unknown) => payload);
        else
          ps.onMessage((clientId, message) => {
            ps.sendToClient(clientId, { type: message.type, payload: message.payload });
          });
        urls[impl] = s.url;
        closers.push(s.close);
        break;
      }
    }
  }
  const pinned = pinSelf(pin.server);

  // Server CPU per implementation, accumulated over its measured segments.
  serveRoundTrips(child, impls, (stats: Record<string, Stats>, serverCpu) => {
    const results = impls.map((impl) => ({
      scenario: MODE,
      impl,
      group: impls.join(','),
      n: Math.floor(N / SEGMENTS) * SEGMENTS,
      ...stats[impl],
      serverCpuMs: serverCpu.get(impl),
      pin: args.pin ?? null,
      pinned,
      env: environment(),
    }));
    finish(results, () => {
      child.kill();
      for (const close of closers) close();
    });
  });
  child.send({ type: 'urls', urls });
}

type Driver = RoundTripDriver;

async function client(): Promise<void> {
  hardTimeout(`${MODE} client ${impls.join(',')}`, 50_000);
  const mailbox = new Mailbox<ToClient>(process);
  const [
    { SocketClient },
    { WsSocket },
    { SocketIoSocket },
    { WebSocket },
    { io },
    { RawRpcClient },
  ] = await Promise.all([
    import('plugsocket'),
    import('plugsocket/ws'),
    import('plugsocket/socket.io/client'),
    import('ws'),
    import('socket.io-client'),
    import('./raw-rpc.js'),
  ]);
  const { urls } = await mailbox.next('urls');
  pinSelf(pin.client);

  const payload = makePayload(0);
  // Every reply goes to onReply, which sends the next request.
  const { onReply, run } = roundTrips<Impl>(payload);
  // A request that fails ends the run (the server process exits with this one).
  const onFailure = (error: unknown): void => {
    console.error(`[${MODE} client] request failed:`, error);
    process.exit(1);
  };
  const request = (call: Promise<unknown>): void => void call.then(onReply, onFailure);

  const connect = async (impl: Impl): Promise<Driver> => {
    const url = urls[impl];
    switch (impl) {
      case 'ws-raw': {
        const ws: RawWebSocket = new WebSocket(url, { perMessageDeflate: false });
        await new Promise((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        });
        const close = (): void => ws.terminate();
        if (MODE === 'request') {
          const rpc = new RawRpcClient(ws);
          return { send: () => request(rpc.request(MESSAGE_TYPE, payload)), close };
        }
        const message = { type: MESSAGE_TYPE, payload };
        ws.on('message', (data) => {
          JSON.parse((data as Buffer).toString());
          onReply();
        });
        return { send: () => ws.send(JSON.stringify(message)), close };
      }
      case 'sio-raw': {
        const socket = io(url, { transports: ['websocket'], reconnection: false });
        if (MODE === 'echo') socket.on(MESSAGE_TYPE, onReply);
        await new Promise((resolve, reject) => {
          socket.once('connect', () => resolve(undefined));
          socket.once('connect_error', reject);
        });
        const close = (): void => void socket.disconnect();
        if (MODE === 'request')
          return { send: () => request(socket.emitWithAck(MESSAGE_TYPE, payload)), close };
        return { send: () => socket.emit(MESSAGE_TYPE, payload), close };
      }
      case 'ps-ws':
      case 'ps-ws-nohb':
      case 'ps-sio': {
        const ps = new SocketClient(impl === 'ps-sio' ? new SocketIoSocket() : new WsSocket(), {
          url,
          ...(impl === 'ps-ws-nohb' && { heartbeatInterval: Infinity }),
        });
        if (MODE === 'echo') ps.subscribe(MESSAGE_TYPE, onReply);
        await ps.connect();
        const close = (): void => void ps.disconnect();
        if (MODE === 'request')
          return { send: () => request(ps.request(MESSAGE_TYPE, payload)), close };
        return { send: () => ps.emit(MESSAGE_TYPE, payload), close };
      }
    }
  };

  const drivers = new Map<Impl, Driver>();
  for (const impl of impls) drivers.set(impl, await connect(impl));

  const { perSegment, latency, segmentNs, clientCpu } = await run({
    impls,
    drivers,
    n: N,
    warmup: WARMUP,
    segments: SEGMENTS,
    rotateBy: ROTATE,
    mailbox,
  });

  const stats: Record<string, Stats> = {};
  for (const impl of impls) {
    stats[impl] = {
      ...roundTripStats(
        latency.get(impl)!,
        perSegment,
        SEGMENTS,
        segmentNs.get(impl)!.reduce((a, b) => a + b, 0),
      ),
      clientCpuMs: clientCpu.get(impl)!,
    };
  }
  toParent({ type: 'result', stats }, () => {
    for (const driver of drivers.values()) driver.close();
    setTimeout(() => process.exit(0), 20);
  });
}
