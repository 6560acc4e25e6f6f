// One server node of bench/multinode.ts, forked by it: plugsocket's SocketServer on ws (`--kind
// ps`) or a raw Socket.IO server (`--kind sio`), alone (`--redis none`) or in a cluster over
// Redis: RedisBackplane for plugsocket, @socket.io/redis-adapter (ioredis pub/sub clients) for
// Socket.IO, both under the run's own prefix. It answers the parent's commands
// (multinode-ipc.ts): broadcast a block of messages, report its CPU time and counters, make
// sequential requests to a client and time them.
//
//   --kind ps|sio  --node <id>  --redis redis://127.0.0.1:6379|none  --prefix <run prefix>
//   [--cpu 0]  [--timeout 200000]
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { hardTimeout, makePayload, MESSAGE_TYPE, now, parseArgs, pinSelf } from './common.js';
import { serve } from './multinode-ipc.js';

const args = parseArgs();
const KIND = args.kind as 'ps' | 'sio';
const NODE = args.node ?? KIND;
const REDIS = args.redis === undefined || args.redis === 'none' ? undefined : args.redis;
const PREFIX = args.prefix ?? `plugsocket-bench-${process.pid}`;
hardTimeout(`multinode node ${NODE}`, Number(args.timeout ?? 200_000));

const payload = makePayload(0);
const message = { type: MESSAGE_TYPE, payload };

/** What the parent asks of a node, whatever its kind. */
interface Node {
  port: number;
  connected(): number;
  /** One broadcast of `message` to every client of the cluster. */
  broadcast(): void;
  /** One request to client `target` (on this node when `local`), answered with its payload. */
  request(target: string, local: boolean): Promise<unknown>;
  /** Where client `target` is, from the cluster directory (plugsocket only). */
  lookup?(target: string): Promise<unknown>;
  counters(): Record<string, unknown>;
}

const node = KIND === 'ps' ? await startPs() : await startSio();
let profiler: Session | undefined;
const pinned = pinSelf(args.cpu);

serve({
  info: () => ({ port: node.port, node: NODE, kind: KIND, pid: process.pid, pinned }),
  pin: ({ cpu }: { cpu: string }) => pinSelf(cpu),
  connected: () => node.connected(),
  cpu: () => ({ ...process.cpuUsage(), ...syscalls(), counters: node.counters() }),
  /** `count` broadcasts, one per event-loop turn (as bench/common.ts's broadcastBlocks). */
  broadcast: ({ count, seq0 }: { count: number; seq0: number }) =>
    new Promise((resolve) => {
      let i = 0;
      let syncNs = 0n;
      const t0 = now();
      const step = (): void => {
        payload.seq = seq0 + i;
        const a = now();
        node.broadcast();
        syncNs += now() - a;
        if (++i < count) setImmediate(step);
        else resolve({ t0: t0.toString(), t1: now().toString(), syncNs: Number(syncNs) });
      };
      step();
    }),
  /** `n` sequential PINGs to Redis from this process (a hop through Redis, for scale); µs. */
  'rt-redis': async ({ n }: { n: number }) => {
    const { Redis } = await import('ioredis');
    const redis = new Redis(REDIS ?? 'redis://127.0.0.1:6379');
    try {
      await redis.ping();
      const out: number[] = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        const t = now();
        await redis.ping();
        out[i] = Number(now() - t) / 1e3;
      }
      return out;
    } finally {
      redis.disconnect();
    }
  },
  /** Starts the V8 CPU profiler (`--profile`): where a node's time goes. */
  'prof-start': async () => {
    const inspector = await import('node:inspector/promises');
    profiler = new inspector.Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: 100 });
    await profiler.post('Profiler.start');
  },
  /** Stops it and writes the profile to `file` (open it in Chrome DevTools). */
  'prof-stop': async ({ file }: { file: string }) => {
    if (profiler === undefined) return;
    const { profile } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    profiler = undefined;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, JSON.stringify(profile));
  },
  /** `n` sequential requests to `target`; their round trips in µs. */
  rt: async ({
    target,
    n,
    local,
    lookup,
  }: {
    target: string;
    n: number;
    local: boolean;
    lookup?: boolean;
  }) => {
    const out: number[] = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      payload.seq = i;
      const t = now();
      if (lookup === true) await node.lookup!(target);
      else await node.request(target, local);
      out[i] = Number(now() - t) / 1e3;
    }
    return out;
  },
});

/**
 * The read and write system calls this process made so far, and the times it was switched out
 * (voluntarily: it waited; involuntarily: preempted), from Linux's /proc/self/io and status.
 */
function syscalls(): { syscr: number; syscw: number; vcsw: number; nvcsw: number } {
  const field = (text: string, name: string): number =>
    Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1]);
  try {
    const io = readFileSync('/proc/self/io', 'utf8');
    const status = readFileSync('/proc/self/status', 'utf8');
    return {
      syscr: field(io, 'syscr'),
      syscw: field(io, 'syscw'),
      vcsw: field(status, 'voluntary_ctxt_switches'),
      nvcsw: field(status, 'nonvoluntary_ctxt_switches'),
    };
  } catch {
    return { syscr: NaN, syscw: NaN, vcsw: NaN, nvcsw: NaN };
  }
}

async function startPs(): Promise<Node> {
  const [{ SocketServer }, { WsSocketServer }, { UNREACHED_RATE_LIMIT }] = await Promise.all([
    import('plugsocket'),
    import('plugsocket/ws'),
    import('./servers.js'),
  ]);
  const { RedisBackplane } =
    REDIS === undefined ? { RedisBackplane: undefined } : await import('plugsocket/redis');
  const backplane =
    RedisBackplane === undefined ? undefined : new RedisBackplane({ redis: REDIS, prefix: PREFIX });
  // As bench/servers.ts's startPs: the defaults (heartbeats, resume log, rate limiter with
  // allowances no benchmark reaches), every client from 127.0.0.1.
  const server = new SocketServer(new WsSocketServer({ port: 0, host: '127.0.0.1' }), {
    rateLimit: UNREACHED_RATE_LIMIT,
    maxConnectionsPerAddress: Infinity,
    ...(backplane !== undefined && { backplane, nodeId: NODE }),
  });
  const { port } = await server.listen();
  if (port === undefined) throw new Error('the server reported no port');
  return {
    port,
    connected: () => server.clientCount,
    broadcast: () => void server.broadcast(message),
    request: (target) => server.request(target, MESSAGE_TYPE, payload, { timeout: 5_000 }),
    lookup: (target) => server.cluster.getClient(target),
    counters: () => ({ ...server.getMetrics().backplane, ...(backplane?.stats ?? {}) }),
  };
}

async function startSio(): Promise<Node> {
  const { Server } = await import('socket.io');
  const http = createServer();
  const io = new Server(http);
  let published = 0;
  let publishedBytes = 0;
  let received = 0;
  if (REDIS !== undefined) {
    const [{ Redis }, { createAdapter }] = await Promise.all([
      import('ioredis'),
      import('@socket.io/redis-adapter'),
    ]);
    // The adapter's documented setup: a publishing client and a subscribing duplicate.
    const pub = new Redis(REDIS);
    const sub = pub.duplicate();
    await Promise.all([once(pub, 'ready'), once(sub, 'ready')]);
    const publish = pub.publish.bind(pub);
    // Counts what the adapter publishes, and its bytes (RedisBackplane's packetsOut, bytesOut).
    pub.publish = (...a: Parameters<typeof publish>) => {
      published++;
      const body: unknown = a[1];
      publishedBytes +=
        body instanceof Uint8Array ? body.byteLength : Buffer.byteLength(String(body));
      return publish(...a);
    };
    io.adapter(createAdapter(pub, sub, { key: PREFIX }));
    // Broadcasts arrive on the adapter's pattern subscription (this node's own included).
    sub.on('pmessageBuffer', () => void received++);
  }
  const sockets = io.of('/').sockets;
  const ask = (target: string, local: boolean, p: unknown): Promise<unknown> => {
    const socket = local ? sockets.get(target) : undefined;
    // A socket of this node is asked directly; any other through the adapter (io.to(id)), as an
    // application that does not know where a socket is would.
    return socket !== undefined
      ? socket.timeout(5_000).emitWithAck(MESSAGE_TYPE, p)
      : io.to(target).timeout(5_000).emitWithAck(MESSAGE_TYPE, p);
  };
  // A client-to-client request relayed by hand (Socket.IO has none of its own): the asker's ack
  // waits for the target's.
  io.on('connection', (socket) => {
    socket.on('relay', (m: { to: string; p: unknown }, ack: (v: unknown) => void) => {
      ask(m.to, true, m.p).then(
        (v) => ack(Array.isArray(v) ? v[0] : v),
        (error: unknown) => ack({ error: String(error) }),
      );
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    port: (http.address() as AddressInfo).port,
    connected: () => sockets.size,
    broadcast: () => void io.emit(MESSAGE_TYPE, payload),
    request: (target, local) => ask(target, local, payload),
    counters: () => ({ packetsOut: published, bytesOut: publishedBytes, packetsIn: received }),
  };
}
