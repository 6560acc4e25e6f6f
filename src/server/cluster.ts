import { PlugSocketError } from '../errors.js';
import type {
  Backplane,
  BackplaneNode,
  BackplanePacket,
  BackplaneState,
  ClusterClient,
  RemovedClient,
} from '../ports/backplane.js';
import type { AnyFrame } from '../ports/types.js';
import { ClusterCalls } from './cluster-calls.js';
import type { ClusterEvents } from './cluster-events.js';
import { ClusterPresence } from './cluster-presence.js';
import { ClusterReplies } from './cluster-replies.js';
import { ClusterServing, type ClusterHost, type HandOffProof } from './cluster-serving.js';
import { ClusterStream, readCursor, type Cursor } from './cluster-stream.js';
import { ClusterWire, isNames, K } from './cluster-wire.js';
import type { ServerCore } from './core.js';
import type { BroadcastReplies, RequestOptions } from './requests.js';
import type { Selection } from './router.js';
import type { Session } from './session.js';

export type { ClusterHost, Cursor, HandOffProof };
export { remoteClient } from './cluster-remote-client.js';

/**
 * @internal A server's side of a cluster: it publishes what the router sends so that every node
 * delivers it to its own clients, carries requests, kicks and session hand-overs to the node
 * that holds a client, keeps this node's clients in the shared directory, and turns directory
 * changes into presence events. Counts stay local: a broadcast returns the recipients on this
 * node; the cluster-wide questions are asynchronous (`server.cluster`).
 *
 * It is the one node the backplane talks to, and hands each packet by kind to the part that
 * handles it: the streams of frame packets ({@link ClusterStream}), what this node asks of other
 * nodes ({@link ClusterCalls}, awaiting {@link ClusterReplies}) and what they ask of it
 * ({@link ClusterServing}), the directory and presence ({@link ClusterPresence}).
 */
export class ClusterLink<P> implements BackplaneNode {
  readonly id: string;
  /** The directory and presence: the session registry reports its changes to it. */
  readonly presence: ClusterPresence<P>;
  #host: ClusterHost<P> | undefined;
  #downSince = 0;
  readonly #wire: ClusterWire;
  readonly #stream: ClusterStream<P>;
  readonly #replies: ClusterReplies;
  readonly #calls: ClusterCalls<P>;
  readonly #serving: ClusterServing<P>;

  constructor(
    private readonly core: ServerCore<P>,
    private readonly backplane: Backplane,
    private readonly events: ClusterEvents,
    id: string,
    keepRecent: boolean,
  ) {
    this.id = id;
    const wire = (this.#wire = new ClusterWire(backplane, core.metrics));
    this.#stream = new ClusterStream<P>(id, core, wire, keepRecent);
    const replies = (this.#replies = new ClusterReplies(wire));
    this.#calls = new ClusterCalls<P>(id, backplane, wire, replies);
    this.#serving = new ClusterServing<P>(core, wire);
    this.presence = new ClusterPresence<P>(id, core, backplane, events, wire);
  }

  /** The link's state now. */
  get linkState(): BackplaneState {
    return this.#wire.state;
  }

  /** Joins the cluster (the server's `listen`). */
  async open(host: ClusterHost<P>): Promise<void> {
    this.#host = host;
    this.#calls.host = host;
    this.#serving.host = host;
    await this.backplane.open(this);
    this.#wire.open = true;
    // Where every node is in its stream, for catching up sessions that move (see catchUp).
    this.#wire.publish({ kind: K.hello, data: this.#stream.hello() });
    this.core.metrics.backplaneUp = 1;
  }

  /** Leaves the cluster (the server's shutdown, once its sessions went to the store). */
  async close(): Promise<void> {
    if (!this.#wire.open) return;
    this.#wire.open = false;
    this.#replies.failAll('the server is shutting down');
    this.#serving.close();
    this.core.metrics.backplaneUp = 0;
    await this.backplane.close();
  }

  // ------------------------------------------------------------ what the router sends

  /** Publishes a broadcast for every other node's clients. */
  broadcast(selection: Selection, frame: AnyFrame, volatile: boolean): void {
    const data: Record<string, unknown> = {};
    if (selection.topics !== undefined) data.t = selection.topics;
    const except = selection.except;
    if (except !== undefined) data.x = typeof except === 'string' ? [except] : [...except];
    if (volatile) data.v = 1;
    this.#stream.publish(K.broadcast, data, frame);
  }

  /** Publishes a frame for one client that is not on this node. */
  toClient(clientId: string, frame: AnyFrame, volatile: boolean): void {
    this.#stream.publish(K.client, volatile ? { id: clientId, v: 1 } : { id: clientId }, frame);
  }

  /** Publishes a frame for every client of a user on the other nodes. */
  toUser(user: string, frame: AnyFrame): void {
    this.#stream.publish(K.user, { u: user }, frame);
  }

  /** This node starts shutting down: the others look twice for sessions it is handing over. */
  announceLeaving(): void {
    this.#wire.publish({ kind: K.leaving });
  }

  /** See {@link ClusterStream.handOverInProgress}. */
  handOverInProgress(): boolean {
    return this.#stream.handOverInProgress();
  }

  /** Where this node is in every node's stream now. */
  cursor(): Cursor {
    return this.#stream.cursor();
  }

  /** See {@link ClusterStream.catchUp}. */
  catchUp(session: Session<P>, cursor: Cursor): boolean {
    return this.#stream.catchUp(session, cursor);
  }

  // ------------------------------------------------------------ asking other nodes

  /** Where a client is in the cluster (online or parked), or undefined. */
  locate(clientId: string): Promise<ClusterClient | undefined> {
    return this.backplane.getClient(clientId);
  }

  /** The client of `user` admitted last, anywhere (online ones first). */
  async locateUser(user: string): Promise<ClusterClient | undefined> {
    const clients = await this.backplane.getClients({ user });
    let best: ClusterClient | undefined;
    for (const client of clients) {
      if (client.parked === true) continue;
      if (best === undefined || client.connectedAt >= best.connectedAt) best = client;
    }
    return best;
  }

  /** Asks a client held by node `node` (see {@link ClusterCalls.request}). */
  request(
    node: string,
    clientId: string,
    name: string,
    payload: unknown,
    options: RequestOptions,
    from?: string,
    headers?: Record<string, unknown>,
  ): Promise<unknown> {
    return this.#calls.request(node, clientId, name, payload, options, from, headers);
  }

  /** Asks the matching clients of every other node (see {@link ClusterCalls.requestMany}). */
  requestMany(
    selection: Selection,
    name: string,
    payload: unknown,
    timeout: number,
  ): Promise<BroadcastReplies[]> {
    return this.#calls.requestMany(selection, name, payload, timeout);
  }

  /** Closes a client held by node `node`; resolves when that node did (or is gone). */
  disconnect(node: string, clientId: string, code: number, reason: string): Promise<void> {
    return this.#calls.disconnect(node, clientId, code, reason);
  }

  /** Asks the node that holds a session for it (see {@link ClusterCalls.handOff}). */
  handOff(clientId: string, proof: HandOffProof): Promise<Cursor | undefined> {
    return this.#calls.handOff(clientId, proof);
  }

  // ------------------------------------------------------------ BackplaneNode

  receive(packet: BackplanePacket, from: string): void {
    const metrics = this.core.metrics;
    metrics.backplaneIn++;
    try {
      this.#receive(packet, from);
    } catch (error) {
      metrics.backplaneErrors++;
      this.core.report(
        undefined,
        new PlugSocketError('SERVER_ERROR', `a backplane packet from node ${from} failed`, {
          cause: error,
        }),
      );
    }
  }

  #receive(packet: BackplanePacket, from: string): void {
    const data = (packet.data ?? {}) as Record<string, unknown>;
    const router = this.core.router;
    switch (packet.kind) {
      case K.broadcast: {
        if (!isFramePacket(packet, data)) break;
        const have = this.#stream.read(from, packet, data);
        const except = data.x as string[] | undefined;
        router.deliver(
          {
            topics: data.t as string[] | undefined,
            except: have === undefined ? except : [...(except ?? []), ...have],
          },
          packet.frame!,
          data.v === 1,
        );
        return;
      }
      case K.client: {
        if (!isFramePacket(packet, data)) break;
        const have = this.#stream.read(from, packet, data);
        if (have === undefined || !have.includes(data.id as string))
          router.deliverTo(data.id as string, packet.frame!, data.v === 1);
        return;
      }
      case K.user: {
        if (!isFramePacket(packet, data)) break;
        const have = this.#stream.read(from, packet, data);
        router.deliverToUser(data.u as string, packet.frame!, have);
        return;
      }
      case K.request:
        this.#serving.serveRequest(from, data);
        return;
      case K.many:
        this.#serving.serveMany(from, data);
        return;
      case K.cancel:
        this.#serving.cancel(from, data);
        return;
      case K.kick:
        this.#serving.kick(from, data);
        return;
      case K.handOff:
        // Where this node is now: the session's log holds everything read so far.
        this.#serving.handOver(from, data, this.#stream.cursor());
        return;
      case K.leaving:
        this.#stream.leaving(from);
        return;
      case K.hello:
        this.#stream.learn(from, data.s, data.l);
        this.#wire.send(from, { kind: K.hi, data: this.#stream.hello() });
        return;
      case K.hi:
        this.#stream.learn(from, data.s, data.l);
        return;
      case K.adopt:
        if (typeof data.id === 'string') this.#host!.adopt(data.id, readCursor(data.c) ?? {});
        return;
      case K.answer:
      case K.manyAnswer:
      case K.done:
        this.#replies.answered(from, data);
        return;
      case K.presence:
        this.presence.heard(from, data);
        return;
      case K.restate:
        this.presence.restated(from, data);
        return;
      default:
        break;
    }
    // An unknown kind, or a frame packet of the wrong shape: counted, dropped.
    this.core.metrics.backplaneErrors++;
  }

  /**
   * This node shuts down: its sessions, saved to the shared store, are handed to the other nodes
   * (spread over them), which keep them parked until their clients come back.
   * @returns false when there is no other node.
   */
  async offerSessions(
    handOff: (clientId: string) => Promise<unknown>,
    ids: readonly string[],
  ): Promise<boolean> {
    let nodes: string[];
    try {
      nodes = (await this.backplane.nodes()).filter((node) => node !== this.id);
    } catch {
      return false;
    }
    nodes = this.#stream.staying(nodes);
    if (nodes.length === 0) return false;
    let next = 0;
    await Promise.all(
      ids.map(async (id) => {
        const cursor = this.cursor();
        await handOff(id);
        const node = nodes[next++ % nodes.length];
        this.#wire.send(node, { kind: K.adopt, data: { id, c: cursor } });
      }),
    );
    return true;
  }

  state(state: BackplaneState, error?: Error): void {
    const wire = this.#wire;
    if (state === wire.state) return;
    wire.state = state;
    const metrics = this.core.metrics;
    if (state === 'disconnected') {
      this.#downSince = Date.now();
      metrics.backplaneUp = 0;
      metrics.backplaneOutages++;
      this.core.logger.warn('backplane unreachable: serving local clients only', { error });
      // Replies in flight were lost with the link.
      this.#replies.failAll('the backplane became unreachable');
      this.events.state({ state, error, downFor: 0 });
      return;
    }
    metrics.backplaneUp = 1;
    const downFor = Date.now() - this.#downSince;
    this.core.logger.debug('backplane reachable again', { downFor });
    void this.presence.resync().finally(() => {
      // Cut again meanwhile: that was told; this "connected" would be stale.
      if (wire.state !== 'connected') return;
      this.presence.restate();
      this.events.state({ state, downFor });
    });
  }

  nodeGone(node: string, removed: readonly RemovedClient[] | undefined): void {
    this.#replies.failFrom(node);
    this.#serving.nodeGone(node);
    this.#stream.gone(node);
    this.events.nodeGone(node);
    this.presence.nodeGone(node, removed);
  }
}

/** A frame packet with the fields its kind needs, of the right types. */
function isFramePacket(packet: BackplanePacket, data: Record<string, unknown>): boolean {
  const frame = packet.frame;
  if (typeof frame !== 'string' && !(frame instanceof Uint8Array)) return false;
  if (packet.kind === K.client) return typeof data.id === 'string';
  if (packet.kind === K.user) return typeof data.u === 'string';
  return isNames(data.t) && isNames(data.x);
}
