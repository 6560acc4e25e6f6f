// Fixtures of the multi-node specs: three servers (nodes a, b and c) over one MemoryCluster and the
// memory transport, clients spread over them, recorders for what each client receives and for
// every node's cluster events, a bounded poll, and a "load balancer" socket that sends a client's
// next connect to another node.
import { expect } from 'chai';
import { MemorySocket, type MemorySocketServer } from '../../adapters/memory/index.js';
import {
  MemoryCluster,
  SocketClient,
  type AnySchema,
  type AuthorizationStrategy,
  type ClusterClient,
  type ClusterEventMap,
  type ConnectOptions,
  type ServerConnection,
  type SocketServer,
  type SocketClientOptions,
  type SocketServerOptions,
} from '../../src/index.js';
import { cleanUp, flush, newClient, startServer, type ServerFixture } from '../unit/support.js';

/** The principal {@link userAuth} gives a client that connects with `auth.user`. */
export interface User {
  readonly id: string;
  readonly role: string;
}

/** A principal, or undefined for an anonymous client. */
export type Principal = User | undefined;

/** One node: a listening server with its backplane. */
export type Node = ServerFixture<Principal>;

/**
 * Admits every client: as `{ id: auth.user, role: auth.role ?? 'member' }` when it gives
 * `auth.user` (so the server's default `principalId` is the user name), anonymous otherwise.
 */
export function userAuth(): AuthorizationStrategy<Principal> {
  return {
    applyAuthorization: (options) => options,
    authorize: (handshake) => {
      const { user, role } = handshake.auth;
      if (typeof user !== 'string') return { ok: true, principal: undefined };
      return {
        ok: true,
        principal: { id: user, role: typeof role === 'string' ? role : 'member' },
      };
    },
  };
}

/** The default server options of a node: users, no heartbeat (no timer per test). */
function nodeOptions(
  cluster: MemoryCluster,
  nodeId: string,
  options: SocketServerOptions<Principal>,
): SocketServerOptions<Principal> {
  return {
    authorization: userAuth(),
    heartbeatInterval: Infinity,
    backplane: cluster.backplane(),
    nodeId,
    ...options,
  };
}

/** Three nodes, a, b and c, of one cluster. */
export interface Nodes {
  readonly cluster: MemoryCluster;
  readonly a: Node;
  readonly b: Node;
  readonly c: Node;
  readonly all: readonly Node[];
}

/** Starts nodes a, b and c over a fresh MemoryCluster (each with `options`). */
export async function startNodes(options: SocketServerOptions<Principal> = {}): Promise<Nodes> {
  const cluster = new MemoryCluster();
  const a = await startServer<Principal>(nodeOptions(cluster, 'a', options));
  const b = await startServer<Principal>(nodeOptions(cluster, 'b', options));
  const c = await startServer<Principal>(nodeOptions(cluster, 'c', options));
  return { cluster, a, b, c, all: [a, b, c] };
}

/** Starts one more node of `cluster`. */
export function startNode(
  cluster: MemoryCluster,
  nodeId: string,
  options: SocketServerOptions<Principal> = {},
): Promise<Node> {
  return startServer<Principal>(nodeOptions(cluster, nodeId, options));
}

/** Options of {@link connectTo}. */
export interface ConnectAs extends Partial<SocketClientOptions> {
  /** Connect as this user (principal id); anonymous without. */
  readonly user?: string;
  /** Topics to join once connected (awaited). */
  readonly topics?: readonly string[];
}

/** A client admitted by `node`, as `user`, in `topics`. */
export async function connectTo(node: Node, options: ConnectAs = {}): Promise<SocketClient> {
  const { user, topics = [], ...rest } = options;
  const client = newClient(node.url, {
    ...(user !== undefined && { auth: { user } }),
    ...rest,
  });
  await client.connect();
  for (const topic of topics) await client.join(topic);
  return client;
}

/** The id of an admitted client. */
export function idOf(client: SocketClient): string {
  const id = client.id;
  expect(id, 'client id').to.be.a('string');
  return id!;
}

/** What a client received, in order. */
export interface Received {
  readonly type: string;
  readonly payload: unknown;
  readonly from?: string;
}

/** Records every message a client receives (type, payload, and `from` when set). */
export function inbox(client: SocketClient): Received[] {
  const got: Received[] = [];
  client.onMessage((message) => {
    const entry: { type: string; payload: unknown; from?: string } = {
      type: message.type,
      payload: message.payload,
    };
    if (message.from !== undefined) entry.from = message.from;
    got.push(entry);
  });
  return got;
}

/** Every cluster event one node emitted, by kind, in order. */
export interface EventLog {
  readonly join: ClusterEventMap['join'][];
  readonly leave: ClusterEventMap['leave'][];
  readonly online: ClusterEventMap['online'][];
  readonly offline: ClusterEventMap['offline'][];
  readonly state: ClusterEventMap['state'][];
  readonly nodeGone: ClusterEventMap['nodeGone'][];
}

/** Records every cluster event of `node` from now on. */
export function recordEvents(node: Node): EventLog {
  const log: EventLog = {
    join: [],
    leave: [],
    online: [],
    offline: [],
    state: [],
    nodeGone: [],
  };
  const cluster = node.server.cluster;
  cluster.on('join', (e) => log.join.push(e));
  cluster.on('leave', (e) => log.leave.push(e));
  cluster.on('online', (e) => log.online.push(e));
  cluster.on('offline', (e) => log.offline.push(e));
  cluster.on('state', (e) => log.state.push(e));
  cluster.on('nodeGone', (e) => log.nodeGone.push(e));
  return log;
}

/**
 * Resolves once `predicate` holds, polling every 2 ms; fails the test after `ms` with `what`.
 */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  ms = 1000,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) expect.fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(2);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Lets everything in flight arrive. The memory transport and the MemoryCluster both deliver
 * through promise jobs only, so a macrotask sees every frame and packet already sent delivered
 * (twice, for the answers those trigger).
 */
export async function settle(): Promise<void> {
  await flush();
  await flush();
}

/** The ids of a directory listing, sorted. */
export function ids(clients: readonly ClusterClient[]): string[] {
  return clients.map((client) => client.id).sort();
}

/** `id → node` of a directory listing. */
export function placement(clients: readonly ClusterClient[]): Record<string, string> {
  return Object.fromEntries(clients.map((client) => [client.id, client.node]));
}

/** Sorted copy. */
export function sorted(values: Iterable<string>): string[] {
  return [...values].sort();
}

/**
 * Ends a client's connection from the server side as a vanished network would: no close
 * handshake, 1006 on both sides.
 */
export function dropConnection(server: SocketServer<AnySchema, Principal>, clientId: string): void {
  const session = server.getClient(clientId) as unknown as
    { connection: ServerConnection<MemorySocket> } | undefined;
  expect(session, `client ${clientId} on the server`).to.not.equal(undefined);
  (server.adapter as MemorySocketServer).terminateConnection(session!.connection);
}

/**
 * A client socket behind a "load balancer": each connect goes to the node it is routed to now,
 * whatever the client's url. While {@link hold} is on, a connect waits until {@link routeTo}.
 */
export class Balancer extends MemorySocket {
  #target: string | undefined;
  #held: (() => void) | undefined;
  /** The urls connects went to, in order. */
  readonly visits: string[] = [];

  constructor(target: string) {
    super();
    this.#target = target;
  }

  /** The next connects wait (as behind a balancer that has no node to offer yet). */
  hold(): void {
    this.#target = undefined;
  }

  /** Routes the next connects (and a waiting one) to `url`. */
  routeTo(url: string): void {
    this.#target = url;
    const held = this.#held;
    this.#held = undefined;
    held?.();
  }

  protected override doConnect(options: ConnectOptions): void {
    const go = (): void => {
      this.visits.push(this.#target!);
      super.doConnect({ ...options, url: this.#target! });
    };
    if (this.#target === undefined) this.#held = go;
    else go();
  }
}

const balanced = new Set<SocketClient>();

/** A client on a {@link Balancer} routed to `url` (not connected yet), reconnecting within 5 ms. */
export function balancedClient(
  url: string,
  options: Partial<SocketClientOptions> = {},
): { client: SocketClient; balancer: Balancer } {
  const balancer = new Balancer(url);
  const client = new SocketClient(balancer, {
    url,
    heartbeatInterval: Infinity,
    reconnect: { minDelay: 5, maxDelay: 5 },
    ...options,
  });
  balanced.add(client);
  return { client, balancer };
}

/** Disconnects every client and shuts every node down; for `afterEach`. */
export async function cleanUpNodes(): Promise<void> {
  const clients = [...balanced];
  balanced.clear();
  await Promise.all(clients.map((client) => client.disconnect().catch(() => undefined)));
  await cleanUp();
}
