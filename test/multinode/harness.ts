// The machinery of the multi-node proof, in the test process: node processes driven over IPC, a
// TCP load balancer in front of them (round-robin over the live nodes, as a real one), a TCP
// proxy in front of Redis that can be cut and restored, clients that record what they receive,
// and bounded waits. Loopback only.
import { expect } from 'chai';
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { SocketClient, type CloseInfo, type ResumeOutcome } from 'plugsocket';
import { WsSocket } from 'plugsocket/ws';
import type { ChildMessage, CommandBody, Fault, RecordedEvent } from './protocol.js';

const HOST = '127.0.0.1';
const NODE_SCRIPT = fileURLToPath(new URL('./node-process.ts', import.meta.url));

// ---------------------------------------------------------------- waits

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once `predicate` holds, polling every 10 ms; fails with `what` after `ms`. */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  what: string | (() => string | Promise<string>),
  ms = 5000,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) {
      const described = typeof what === 'string' ? what : await what();
      expect.fail(`timed out after ${ms} ms waiting for ${described}`);
    }
    await sleep(10);
  }
}

/** `promise`, or a rejection naming `what` after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------- node processes

/** Thrown in the test process for a command a node answered with an error. */
export class NodeCommandError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'NodeCommandError';
  }
}

const started = new Set<NodeProcess>();

/** Kills (SIGKILL) every node process still running: for `after` hooks and the process's exit. */
export async function killAllNodes(): Promise<void> {
  await Promise.all([...started].map((node) => node.kill('SIGKILL')));
}

process.once('exit', () => {
  for (const node of started) if (node.running) node.child.kill('SIGKILL');
});

/** One node process (./node-process.ts) and what it said. */
export class NodeProcess {
  readonly faults: Fault[] = [];
  /** The node's `trace` events (with MN_TRACE set), as they happened. */
  readonly traces: RecordedEvent[] = [];
  /** stdout and stderr, for a failure's diagnosis. */
  output = '';
  /** Set when the node says it began or finished its graceful shutdown. */
  stopping = false;
  stoppedAfter: number | undefined;
  #port = 0;
  #url = '';
  #next = 0;
  readonly #pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(
    readonly id: string,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        started.delete(this);
        for (const pending of this.#pending.values())
          pending.reject(new Error(`node ${id} exited (${code ?? signal}) before answering`));
        this.#pending.clear();
        resolve(this.#exit);
      });
    });
    child.on('message', (message: ChildMessage) => this.#onMessage(message));
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** Starts node `id` on cluster `prefix`, reaching Redis on `redisPort`; resolves once it listens. */
  static async start(
    id: string,
    prefix: string,
    redisPort: number,
    timeout = 20_000,
  ): Promise<NodeProcess> {
    const child = fork(NODE_SCRIPT, [id, prefix, String(redisPort)], {
      execArgv: ['--import', 'tsx', '--conditions=plugsocket-source'],
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, DEBUG: '' },
    });
    const node = new NodeProcess(id, child);
    started.add(node);
    const ready = new Promise<void>((resolve, reject) => {
      child.on('message', (message: ChildMessage) => {
        if (message.type !== 'ready') return;
        node.#port = message.port;
        node.#url = message.url;
        resolve();
      });
      void node.exited.then(({ code, signal }) =>
        reject(
          new Error(`node ${id} exited (${code ?? signal}) before it was ready:\n${node.output}`),
        ),
      );
    });
    try {
      await within(ready, timeout, `node ${id} to start`);
    } catch (error) {
      await node.kill('SIGKILL');
      throw error;
    }
    return node;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return this.#url;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.#exit;
  }

  /** Runs a command on the node; rejects with its error, or after `timeout`. */
  call<T = unknown>(body: CommandBody, timeout = 6000): Promise<T> {
    if (!this.running) return Promise.reject(new Error(`node ${this.id} is not running`));
    const id = ++this.#next;
    const answer = new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
    });
    this.child.send({ ...body, id });
    return within(answer, timeout, `node ${this.id}: ${body.op}`).finally(() =>
      this.#pending.delete(id),
    );
  }

  /** The events the node recorded after `since` (a `seq`). */
  events(since = 0): Promise<RecordedEvent[]> {
    return this.call<RecordedEvent[]>({ op: 'events', since });
  }

  /** Sends `signal`; resolves once the process exited (SIGKILL'd after 8 s if it did not). */
  async kill(signal: NodeJS.Signals): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    try {
      await within(this.exited, 8000, `node ${this.id} to exit on ${signal}`);
    } catch (error) {
      this.child.kill('SIGKILL');
      await this.exited;
      throw error;
    }
  }

  /** Faults that mean a bug: errors nobody handled. */
  get unhandled(): Fault[] {
    return this.faults.filter(
      (fault) => fault.kind === 'uncaughtException' || fault.kind === 'unhandledRejection',
    );
  }

  #onMessage(message: ChildMessage): void {
    switch (message.type) {
      case 'reply': {
        const pending = this.#pending.get(message.id);
        if (pending === undefined) return;
        if (message.ok) pending.resolve(message.value);
        else pending.reject(new NodeCommandError(message.error.message, message.error.code));
        return;
      }
      case 'fault':
        this.faults.push(message.fault);
        return;
      case 'trace':
        this.traces.push(message.event);
        return;
      case 'stopping':
        this.stopping = true;
        return;
      case 'stopped':
        this.stoppedAfter = message.ms;
        return;
      case 'ready':
        return;
    }
  }
}

// ---------------------------------------------------------------- the load balancer

/** One connection the balancer made: which node it went to. */
export interface Routed {
  readonly node: string;
  readonly at: number;
}

/**
 * A TCP load balancer on 127.0.0.1: each new client connection goes to the next live node,
 * round-robin, and is piped to it byte for byte (WebSocket upgrade and frames alike). A node that
 * refuses the connection is skipped for that connection. A node taken out ({@link remove}) gets
 * no new connections; those it has stay until either side closes, as with a real balancer.
 */
export class Balancer {
  readonly #server: net.Server;
  readonly #nodes: { name: string; port: number }[] = [];
  readonly #sockets = new Set<net.Socket>();
  #next = 0;
  #pinned: string | undefined;
  /** Every connection routed, in order. */
  readonly routed: Routed[] = [];

  private constructor(
    server: net.Server,
    readonly port: number,
  ) {
    this.#server = server;
  }

  static async start(): Promise<Balancer> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    const balancer = new Balancer(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (socket: net.Socket) => balancer.#accept(socket));
    return balancer;
  }

  /** The url clients connect to. */
  get url(): string {
    return `ws://${HOST}:${this.port}/`;
  }

  /** The names of the nodes in rotation. */
  get nodes(): string[] {
    return this.#nodes.map((node) => node.name);
  }

  add(name: string, port: number): void {
    this.#nodes.push({ name, port });
  }

  /** Takes a node out of rotation (a killed or draining node). */
  remove(name: string): void {
    const index = this.#nodes.findIndex((node) => node.name === name);
    if (index >= 0) this.#nodes.splice(index, 1);
    if (this.#pinned === name) this.#pinned = undefined;
  }

  /** Sends the next connection to `name` (then round-robin again). */
  pinNext(name: string): void {
    this.#pinned = name;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #pick(): { name: string; port: number }[] {
    const nodes = this.#nodes;
    if (nodes.length === 0) return [];
    const pinned = this.#pinned;
    this.#pinned = undefined;
    const start = pinned !== undefined ? nodes.findIndex((n) => n.name === pinned) : -1;
    const first = start >= 0 ? start : this.#next++ % nodes.length;
    return nodes.map((_, i) => nodes[(first + i) % nodes.length]);
  }

  #accept(client: net.Socket): void {
    this.#track(client);
    client.pause();
    const candidates = this.#pick();
    const attempt = (i: number): void => {
      const target = candidates[i];
      if (target === undefined || client.destroyed) {
        client.destroy();
        return;
      }
      const upstream = net.connect(target.port, HOST);
      const refused = (): void => {
        upstream.destroy();
        attempt(i + 1);
      };
      upstream.once('error', refused);
      upstream.once('connect', () => {
        upstream.off('error', refused);
        this.#track(upstream);
        this.routed.push({ node: target.name, at: Date.now() });
        const end = (): void => {
          client.destroy();
          upstream.destroy();
        };
        client.on('close', end);
        upstream.on('close', end);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  }

  #track(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => this.#sockets.delete(socket));
  }
}

// ---------------------------------------------------------------- the Redis proxy

/**
 * A TCP proxy in front of Redis for the nodes: {@link cut} destroys every connection and refuses
 * new ones until {@link restore}, an outage as the nodes see it, without touching the Redis that
 * other tests share. {@link restore} can let some connections through first: it tells them by
 * the name each one gives itself (ioredis sends `CLIENT SETNAME` first; the backplane names its
 * connections `<prefix>:<node>:<role>`), so one node can get Redis back before another.
 */
export class RedisProxy {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #cut = false;
  /** While restoring selectively: which connection names get through. */
  #only: ((name: string | undefined) => boolean) | undefined;
  /** Connections refused while cut. */
  refused = 0;

  private constructor(
    server: net.Server,
    readonly port: number,
  ) {
    this.#server = server;
  }

  static async start(target: { host: string; port: number }): Promise<RedisProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    const proxy = new RedisProxy(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (socket: net.Socket) => proxy.#accept(socket, target));
    return proxy;
  }

  cut(): void {
    this.#cut = true;
    this.#only = undefined;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  /** Lets connections through again: all of them, or only those whose name `only` accepts. */
  restore(only?: (name: string | undefined) => boolean): void {
    this.#cut = only !== undefined;
    this.#only = only;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: net.Socket, target: { host: string; port: number }): void {
    if (this.#cut && this.#only === undefined) {
      this.refused++;
      client.destroy();
      return;
    }
    client.on('error', () => undefined);
    if (!this.#cut) {
      this.#pipe(client, target, undefined);
      return;
    }
    // Selective: read the connection's first bytes for its name, then decide.
    this.#sockets.add(client);
    client.once('close', () => this.#sockets.delete(client));
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const text = head.toString('latin1');
      const named = /setname\r\n\$\d+\r\n([^\r]*)\r\n/i.exec(text);
      // Not named yet: wait for more while a CLIENT command is under way or too little came.
      const waiting = /client\r\n/i.test(text) || !/\r\n.*\r\n.*\r\n/s.test(text);
      if (named === null && waiting && head.length < 512) return;
      client.off('data', onData);
      client.pause();
      const name = named?.[1];
      const only = this.#only;
      if (this.#cut && (only === undefined || !only(name))) {
        this.refused++;
        client.destroy();
        return;
      }
      this.#pipe(client, target, head);
    };
    client.on('data', onData);
  }

  #pipe(
    client: net.Socket,
    target: { host: string; port: number },
    head: Buffer | undefined,
  ): void {
    const upstream = net.connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.#sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    if (head !== undefined) upstream.write(head);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }
}

/** Deletes every key under `prefix` (SCAN MATCH, then DEL); resolves with how many. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    if (keys.length > 0) deleted += await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}

/** Every key under `prefix`. */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    out.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return out;
}

// ---------------------------------------------------------------- clients

/** A message as a client received it. */
export interface Got {
  readonly type: string;
  readonly payload: unknown;
  readonly from?: string;
}

/** A client behind the balancer and what happened to it. */
export class TestClient {
  readonly client: SocketClient;
  /** Every message received, in order (fences included). */
  readonly got: Got[] = [];
  /** What each reconnect did to the session. */
  readonly reconnects: ResumeOutcome[] = [];
  readonly closes: CloseInfo[] = [];
  readonly errors: string[] = [];
  /** The ids the client had, in order (a new one after a session was lost). */
  readonly ids: string[] = [];

  constructor(
    readonly label: string,
    readonly user: string | undefined,
    url: string,
    options: { reconnect?: boolean } = {},
  ) {
    this.client = new SocketClient(new WsSocket(), {
      url,
      ...(user !== undefined && { query: { user } }),
      reconnect: options.reconnect === false ? false : { minDelay: 20, maxDelay: 200 },
      heartbeatInterval: Infinity,
      requestTimeout: 5000,
      connectTimeout: 5000,
    });
    this.client.onMessage((message) => {
      const entry: { type: string; payload: unknown; from?: string } = {
        type: message.type,
        payload: message.payload,
      };
      if (message.from !== undefined) entry.from = message.from;
      this.got.push(entry);
    });
    this.client.onReconnected((outcome) => {
      this.reconnects.push(outcome);
      this.#noteId();
    });
    this.client.onClose((info) => this.closes.push(info));
    this.client.onError((error) => this.errors.push(`${error.code}: ${error.message}`));
    this.client.onOpen(() => this.#noteId());
  }

  #noteId(): void {
    const id = this.client.id;
    if (id !== undefined && this.ids.at(-1) !== id) this.ids.push(id);
  }

  async connect(topics: readonly string[] = []): Promise<this> {
    await this.client.connect();
    this.#noteId();
    for (const topic of topics) await this.client.join(topic);
    return this;
  }

  /** The current id. */
  get id(): string {
    const id = this.client.id;
    expect(id, `${this.label} has an id`).to.be.a('string');
    return id!;
  }

  /** The messages received but fences, then forgets every message received so far. */
  take(): Got[] {
    const out = this.got.filter((message) => message.type !== 'fence');
    this.got.length = 0;
    return out;
  }

  /** The payloads of messages of `type`, in order. */
  payloads(type: string): unknown[] {
    return this.got.filter((message) => message.type === type).map((message) => message.payload);
  }

  /** True once fence `n` arrived. */
  fenced(n: number): boolean {
    return this.got.some((message) => message.type === 'fence' && message.payload === n);
  }
}
