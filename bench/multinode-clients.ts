// The client process of bench/multinode.ts, forked by it: every client of the run lives here, in
// groups (one group = the clients of one server node). Light clients (light-clients.ts: raw ws
// connections that only count frames, the same code whatever the server) or full ones
// (plugsocket's SocketClient over WsSocket; socket.io-client, websocket transport only). It
// answers the parent's commands (multinode-ipc.ts): open or close a group, arm a block (every
// client of the armed groups must get `expect` broadcasts) and tell when each group had them
// all, and the sequential requests of the latency part.
import {
  hardTimeout,
  makePayload,
  MESSAGE_TYPE,
  now,
  openMany,
  parseArgs,
  pinSelf,
} from './common.js';
import { serve } from './multinode-ipc.js';
import type { LightKind } from './light-clients.js';

const args = parseArgs();
hardTimeout('multinode clients', Number(args.timeout ?? 200_000));
pinSelf(args.cpu);

const [{ openLight }, { SocketClient }, { WsSocket }, { io }] = await Promise.all([
  import('./light-clients.js'),
  import('plugsocket'),
  import('plugsocket/ws'),
  import('socket.io-client'),
]);
type PsClient = InstanceType<typeof SocketClient>;
type SioClient = ReturnType<typeof io>;

interface Group {
  counts: Uint32Array;
  /** In the armed block (the others' messages are not counted). */
  armed: boolean;
  /** Clients that have every message of the armed block. */
  done: number;
  tDone: bigint;
  close: () => void;
}
const groups = new Map<string, Group>();

// The armed block.
let target = 0;
let armed = new Set<string>();
let left = 0;
let cpu0 = process.cpuUsage();
let blockDone: (() => void) | undefined;

const onMessage = (group: Group, index: number): void => {
  if (!group.armed || ++group.counts[index] !== target) return;
  if (++group.done === group.counts.length) {
    group.tDone = now();
    if (--left === 0) blockDone?.();
  }
};

const psUrl = (port: number): string => `ws://127.0.0.1:${port}/`;
const sioUrl = (port: number): string => `http://127.0.0.1:${port}`;

/** A connection attempt: the connection once ready, and how to end it if it never gets there. */
interface Attempt<T> {
  ready: Promise<T>;
  abandon: () => void;
}

function openPs(port: number, onChat?: () => void): Attempt<PsClient> {
  const client = new SocketClient(new WsSocket(), { url: psUrl(port) });
  if (onChat !== undefined) client.subscribe(MESSAGE_TYPE, onChat);
  return { ready: client.connect().then(() => client), abandon: () => void client.disconnect() };
}

function openSio(port: number, onChat?: () => void): Attempt<SioClient> {
  // forceNew: one Engine.IO connection per client (io() would share one per URL otherwise).
  const socket = io(sioUrl(port), {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  if (onChat !== undefined) socket.on(MESSAGE_TYPE, onChat);
  const ready = new Promise<SioClient>((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
  return { ready, abandon: () => socket.disconnect() };
}

const OPEN_TIMEOUT_MS = 10_000;
/** Connection attempts that failed or hung and were made again (a loaded machine drops a few). */
let retries = 0;

/**
 * The connection `attempt()` makes, trying again (at most 3 times in all) when one fails or is
 * not ready within {@link OPEN_TIMEOUT_MS}; `close` ends one that turns up late.
 */
async function patiently<T>(attempt: () => Attempt<T>, close: (connection: T) => void): Promise<T> {
  for (let tries = 1; ; tries++) {
    const { ready, abandon } = attempt();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), OPEN_TIMEOUT_MS);
    });
    const outcome = await Promise.race([ready, timedOut]).catch((error: unknown) => {
      if (tries >= 3) throw error;
      return 'failed' as const;
    });
    clearTimeout(timer);
    if (outcome !== 'timeout' && outcome !== 'failed') return outcome;
    abandon();
    ready.then(close, () => undefined);
    retries++;
    if (tries >= 3)
      throw new Error(`no connection after ${tries} attempts of ${OPEN_TIMEOUT_MS} ms`);
  }
}

// The latency part's clients: targets that answer `chat` with its payload, askers.
const rt: { ps: Record<string, PsClient>; sio: Record<string, SioClient> } = { ps: {}, sio: {} };
const payload = makePayload(0);

serve({
  pin: ({ cpu }: { cpu: string }) => pinSelf(cpu),
  /** Opens `count` clients of one node as group `group`. */
  open: async ({
    group,
    kind,
    port,
    count,
  }: {
    group: string;
    kind: LightKind | 'ps-full' | 'sio-full';
    port: number;
    count: number;
  }) => {
    if (groups.has(group)) throw new Error(`group ${group} is open`);
    const g: Group = {
      counts: new Uint32Array(count),
      armed: false,
      done: 0,
      tDone: 0n,
      close: () => {},
    };
    groups.set(group, g);
    const t = Date.now();
    const on = (index: number) => () => onMessage(g, index);
    if (kind === 'ps-full') {
      const clients = await openMany(count, 20, (i) =>
        patiently(
          () => openPs(port, on(i)),
          (c) => void c.disconnect(),
        ),
      );
      g.close = () => clients.forEach((c) => void c.disconnect());
    } else if (kind === 'sio-full') {
      const clients = await openMany(count, 20, (i) =>
        patiently(
          () => openSio(port, on(i)),
          (c) => c.disconnect(),
        ),
      );
      g.close = () => clients.forEach((c) => c.disconnect());
    } else {
      const clients = await openMany(count, 50, (i) =>
        patiently(
          () => ({ ready: openLight(kind, port, on(i)), abandon: () => undefined }),
          (ws) => ws.terminate(),
        ),
      );
      // A clean close (1000) ends a plugsocket session at once: no parked session keeps getting
      // broadcasts in its resume log afterwards.
      g.close = () => clients.forEach((c) => c.close(1000));
    }
    return { ms: Date.now() - t, retries };
  },
  close: ({ group }: { group: string }) => {
    groups.get(group)?.close();
    groups.delete(group);
  },
  /** Arms a block: every client of `names` is to get `expect` broadcasts. */
  arm: ({ names, expect }: { names: string[]; expect: number }) => {
    target = expect;
    armed = new Set(names);
    left = names.length;
    for (const [name, g] of groups) {
      g.counts.fill(0);
      g.done = 0;
      g.tDone = 0n;
      g.armed = armed.has(name);
    }
    for (const name of names) if (!groups.has(name)) throw new Error(`no group ${name}`);
    cpu0 = process.cpuUsage();
  },
  /** Resolves once every armed group had the block: when each did, and this process's CPU. */
  wait: ({ timeoutMs }: { timeoutMs: number }) =>
    new Promise((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        blockDone = undefined;
        const cpu = process.cpuUsage(cpu0);
        resolve({
          done: Object.fromEntries(
            [...armed].map((name) => [name, groups.get(name)!.tDone.toString()]),
          ),
          cpuMs: { user: cpu.user / 1e3, system: cpu.system / 1e3 },
        });
      };
      const timer = setTimeout(() => {
        const late = [...armed].map((name) => {
          const g = groups.get(name)!;
          let got = 0;
          for (const c of g.counts) got += c;
          return `${name}: ${g.done}/${g.counts.length} clients complete, ${got}/${target * g.counts.length} messages`;
        });
        reject(new Error(`block not delivered in ${timeoutMs} ms (${late.join('; ')})`));
      }, timeoutMs);
      if (left === 0) finish();
      else blockDone = finish;
    }),
  /**
   * The latency part's clients: for each of ps and sio, a target on node A (`a`), a target on
   * node B (`b`) and an asker on node A (`ask`). @returns the targets' ids.
   */
  'rt-open': async ({
    ps,
    sio,
  }: {
    ps: { a: number; b: number };
    sio: { a: number; b: number };
  }) => {
    for (const [name, port] of [
      ['a', ps.a],
      ['b', ps.b],
      ['ask', ps.a],
    ] as const) {
      const client = await patiently(
        () => openPs(port),
        (c) => void c.disconnect(),
      );
      if (name !== 'ask') client.handle(MESSAGE_TYPE, (p: unknown) => p);
      rt.ps[name] = client;
    }
    for (const [name, port] of [
      ['a', sio.a],
      ['b', sio.b],
      ['ask', sio.a],
    ] as const) {
      const socket = await patiently(
        () => openSio(port),
        (c) => c.disconnect(),
      );
      if (name !== 'ask')
        socket.on(MESSAGE_TYPE, (p: unknown, ack: (v: unknown) => void) => ack(p));
      rt.sio[name] = socket;
    }
    return {
      ps: { a: rt.ps.a.id, b: rt.ps.b.id },
      sio: { a: rt.sio.a.id, b: rt.sio.b.id },
    };
  },
  'rt-close': () => {
    for (const c of Object.values(rt.ps)) void c.disconnect();
    for (const s of Object.values(rt.sio)) s.disconnect();
  },
  /** `n` sequential client-to-client requests from the asker to `to`; round trips in µs. */
  c2c: async ({ impl, to, n }: { impl: 'ps' | 'sio'; to: string; n: number }) => {
    const out = new Array<number>(n);
    const ps = rt.ps.ask;
    const sio = rt.sio.ask;
    for (let i = 0; i < n; i++) {
      payload.seq = i;
      const t = now();
      if (impl === 'ps') await ps.requestClient(to, MESSAGE_TYPE, payload, { timeout: 5_000 });
      else await sio.timeout(5_000).emitWithAck('relay', { to, p: payload });
      out[i] = Number(now() - t) / 1e3;
    }
    return out;
  },
});
