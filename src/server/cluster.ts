import { PlugSocketError, type SerializedError } from '../errors.js';
import type {
  Backplane,
  BackplaneNode,
  BackplanePacket,
  BackplaneState,
  ClusterClient,
  RemovedClient,
} from '../ports/backplane.js';
import type { AnyFrame } from '../ports/types.js';
import { unref } from '../shared/unref.js';
import { randomId } from '../shared/random-id.js';
import type { ServerCore } from './core.js';
import type { ClusterEvents, RegistryObserver } from './cluster-events.js';
import type { BroadcastReplies, RequestOptions } from './requests.js';
import type { Selection } from './router.js';
import type { ConnectedClient, Session } from './session.js';

/** @internal What the cluster asks of the server it belongs to, for work another node sent. */
export interface ClusterHost<P> {
  /** The server asks one of its clients (`from`: the asking client, for a client request). */
  request(
    session: Session<P>,
    name: string,
    payload: unknown,
    options: RequestOptions,
    from: string | undefined,
    headers: Record<string, unknown> | undefined,
  ): Promise<unknown>;
  /** The server asks many of its clients. */
  requestMany(
    sessions: Session<P>[],
    name: string,
    payload: unknown,
    timeout: number,
  ): Promise<BroadcastReplies>;
  /** Closes one of its clients' connections (or ends its parked session). */
  disconnect(clientId: string, code: number, reason: string): Promise<void>;
  /**
   * Hands a session held here to the shared session store, so another node can resume it.
   * @returns false when it is not here.
   */
  handOff(clientId: string, proof: HandOffProof): Promise<boolean>;
  /**
   * Takes session `clientId` from the shared store and keeps it parked here (a node that shut
   * down handed it over), catching up with `cursor`.
   */
  adopt(clientId: string, cursor: Cursor): void;
  /** The server's request timeout, for waits on other nodes. */
  requestTimeout: number;
}

/** A reply another node owes this one. */
interface Pending {
  readonly node: string | undefined;
  resolve(value: unknown): void;
  reject(error: PlugSocketError): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * How far a node had read each node's stream of frame packets (broadcasts, messages to a client
 * or a user) when it handed a session over: node id → last sequence number.
 */
export type Cursor = Readonly<Record<string, number>>;

/** A frame packet kept a while, for a session that arrives from another node. */
interface Recent {
  readonly origin: string;
  readonly seq: number;
  readonly kind: string;
  readonly data: Record<string, unknown>;
  readonly frame: AnyFrame;
}

/**
 * Frame packets kept for catching up a session handed over between nodes: covers the time a
 * hand-over takes (a few backplane round trips) many times over at high rates.
 */
const RECENT = 4096;

/**
 * What a node asking for a session shows its holder: the resume secret and the principal the
 * client presented. The holder checks them as for a resume of its own, and keeps the session
 * when they do not match (a forged token must not take a session from its owner).
 */
export interface HandOffProof {
  readonly secret: string;
  readonly user: string | undefined;
  /** Frames the client says it received: more than were sent is refused, as on one node. */
  readonly received: number;
}

/** Packet kinds: one character each, never read by a backplane. */
const K = {
  broadcast: 'b',
  client: 'c',
  user: 'u',
  request: 'q',
  answer: 'a',
  cancel: 'x',
  many: 'm',
  manyAnswer: 'M',
  kick: 'k',
  handOff: 'h',
  hello: 'H',
  restate: 'R',
  leaving: 'L',
  hi: 'i',
  adopt: 'o',
  done: 'd',
  presence: 'p',
} as const;

const NO_TOPICS: readonly string[] = [];

/**
 * @internal A server's side of a cluster: it publishes what the router sends so that every node
 * delivers it to its own clients, carries requests, kicks and session hand-overs to the node
 * that holds a client, keeps this node's clients in the shared directory, and turns directory
 * changes into presence events. Counts stay local: a broadcast returns the recipients on this
 * node; the cluster-wide questions are asynchronous (`server.cluster`).
 */
export class ClusterLink<P> implements BackplaneNode, RegistryObserver<P> {
  readonly id: string;
  #host: ClusterHost<P> | undefined;
  #state: BackplaneState = 'connected';
  #downSince = 0;
  #open = false;
  #nextReply = 0;
  readonly #pending = new Map<number, Pending>();
  /** This node's frame packets published so far (the sequence number of the last). */
  #seq = 0;
  /** Random per start: a node that comes back under the same id is told apart from its past. */
  readonly #life = randomId();
  /** The life each node announced, by node id. */
  readonly #lives = new Map<string, string>();
  /** Nodes that left (most recent last, bounded): what they sent is owed to nobody any more. */
  readonly #gone = new Set<string>();
  /** Nodes that announced their shutdown: they take no sessions over. */
  readonly #leaving = new Set<string>();
  /** Until when another node's shutdown may be handing sessions over (ms since the epoch). */
  #handOverUntil = 0;
  /** The last sequence number read from each other node. */
  readonly #seen = new Map<string, number>();
  /** The latest frame packets, a ring; undefined with resume off (nothing to catch up). */
  readonly #recent: (Recent | undefined)[] | undefined;
  #recentNext = 0;
  /** Per node, the highest sequence number that fell out of {@link #recent}. */
  readonly #evicted = new Map<string, number>();
  /** Requests other nodes asked of this node's clients, by `node:r`, to cancel. */
  readonly #serving = new Map<string, AbortController>();

  constructor(
    private readonly core: ServerCore<P>,
    private readonly backplane: Backplane,
    private readonly events: ClusterEvents,
    id: string,
    keepRecent: boolean,
  ) {
    this.id = id;
    this.#recent = keepRecent ? new Array<Recent | undefined>(RECENT) : undefined;
  }

  /** The link's state now. */
  get linkState(): BackplaneState {
    return this.#state;
  }

  /** Joins the cluster (the server's `listen`). */
  async open(host: ClusterHost<P>): Promise<void> {
    this.#host = host;
    await this.backplane.open(this);
    this.#open = true;
    // Where every node is in its stream, for catching up sessions that move (see catchUp).
    this.#publish({ kind: K.hello, data: { s: this.#seq, l: this.#life } });
    this.core.metrics.backplaneUp = 1;
  }

  /** Leaves the cluster (the server's shutdown, once its sessions went to the store). */
  async close(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    for (const pending of [...this.#pending.values()])
      pending.reject(new PlugSocketError('NOT_CONNECTED', 'the server is shutting down'));
    for (const controller of this.#serving.values()) controller.abort();
    this.#serving.clear();
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
    this.#publishFrame(K.broadcast, data, frame);
  }

  /** Publishes a frame for one client that is not on this node. */
  toClient(clientId: string, frame: AnyFrame, volatile: boolean): void {
    this.#publishFrame(K.client, volatile ? { id: clientId, v: 1 } : { id: clientId }, frame);
  }

  /** Publishes a frame for every client of a user on the other nodes. */
  toUser(user: string, frame: AnyFrame): void {
    this.#publishFrame(K.user, { u: user }, frame);
  }

  /** A frame packet: numbered in this node's stream, and kept a while when resume is on. */
  #publishFrame(kind: string, data: Record<string, unknown>, frame: AnyFrame): void {
    if (!this.#open) return;
    const seq = ++this.#seq;
    data.s = seq;
    if (this.#recent !== undefined) this.#keep({ origin: this.id, seq, kind, data, frame });
    this.#publish({ kind, data, frame });
  }

  #keep(entry: Recent): void {
    const ring = this.#recent!;
    const old = ring[this.#recentNext];
    if (old !== undefined && old.seq > (this.#evicted.get(old.origin) ?? 0))
      this.#evicted.set(old.origin, old.seq);
    ring[this.#recentNext] = entry;
    this.#recentNext = (this.#recentNext + 1) % ring.length;
  }

  /** This node starts shutting down: the others look twice for sessions it is handing over. */
  announceLeaving(): void {
    this.#publish({ kind: K.leaving });
  }

  /**
   * True while a node that shuts down may still be handing sessions to others: a session missing
   * from the store may be on its way to another node.
   */
  handOverInProgress(): boolean {
    return Date.now() < this.#handOverUntil;
  }

  /** Where this node is in every node's stream now. */
  cursor(): Cursor {
    const cursor: Record<string, number> = Object.fromEntries(this.#seen);
    cursor[this.id] = this.#seq;
    return cursor;
  }

  /**
   * A session handed over from a node that had read the streams up to `cursor` is here now (in
   * its topics): what it missed in between — frame packets this node read that the other had
   * not — goes to its log.
   * @returns false when some of that is no longer kept here: the session missed something.
   */
  catchUp(session: Session<P>, cursor: Cursor): boolean {
    const ring = this.#recent;
    if (ring === undefined) return true;
    const gone = this.#gone;
    for (const [origin, evicted] of this.#evicted) {
      const read = cursor[origin];
      if (read === undefined ? !gone.has(origin) : evicted > read) return false;
    }
    // A live node the other had not heard of at all (it had only just joined): whether what is
    // kept here from it came before or after the session cannot be told, so it counts as missed.
    // A gone node the other does not name had left before it: nothing of it is owed.
    for (const entry of ring) {
      if (entry !== undefined && cursor[entry.origin] === undefined && !gone.has(entry.origin))
        return false;
    }
    const router = this.core.router;
    for (let i = 0; i < ring.length; i++) {
      const entry = ring[(this.#recentNext + i) % ring.length];
      if (entry === undefined) continue;
      const read = cursor[entry.origin];
      if (read === undefined || entry.seq <= read) continue;
      if (matches(entry, session)) router.toSessions([session], entry.frame);
    }
    return true;
  }
  #publish(packet: BackplanePacket): void {
    if (!this.#open) return;
    const metrics = this.core.metrics;
    if (this.#state !== 'connected') {
      metrics.backplaneDropped++;
      return;
    }
    metrics.backplaneOut++;
    this.backplane.publish(packet);
  }

  #send(node: string, packet: BackplanePacket): void {
    if (!this.#open) return;
    const metrics = this.core.metrics;
    if (this.#state !== 'connected') {
      metrics.backplaneDropped++;
      return;
    }
    metrics.backplaneOut++;
    this.backplane.publishTo(node, packet);
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

  /**
   * Asks a client held by node `node`. Rejects `NOT_CONNECTED` when that node does not hold it
   * (any more) or leaves, `TIMEOUT`, `ABORTED`, or with the client's error.
   */
  request(
    node: string,
    clientId: string,
    name: string,
    payload: unknown,
    options: RequestOptions,
    from?: string,
    headers?: Record<string, unknown>,
  ): Promise<unknown> {
    const timeout = options.timeout ?? this.#host!.requestTimeout;
    const data: Record<string, unknown> = { id: clientId, n: name };
    // No timeout (Infinity) travels as none: the asked node waits as long.
    if (Number.isFinite(timeout)) data.ms = timeout;
    if (payload !== undefined) data.p = payload;
    if (from !== undefined) data.f = from;
    if (headers !== undefined) data.h = headers;
    const signal = options.signal;
    if (signal?.aborted === true)
      return Promise.reject(new PlugSocketError('ABORTED', 'the request was aborted'));
    return new Promise<unknown>((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      const release = (): void => {
        if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
      };
      const r = this.#expect(
        node,
        timeout,
        `request "${name}" to client ${clientId}`,
        (value) => {
          release();
          resolve(value);
        },
        (error) => {
          release();
          reject(error);
        },
        () => this.#send(node, { kind: K.cancel, data: { r } }),
      );
      if (signal !== undefined) {
        onAbort = (): void => {
          const pending = this.#pending.get(r);
          if (pending === undefined) return;
          this.#send(node, { kind: K.cancel, data: { r } });
          pending.reject(new PlugSocketError('ABORTED', 'the request was aborted'));
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
      data.r = r;
      this.#sendOrFail(r, node, { kind: K.request, data });
    });
  }

  /**
   * Asks the matching clients of every other node; resolves with their answers merged, once
   * every node listed at the start answered or `timeout` (and a grace) passed.
   */
  async requestMany(
    selection: Selection,
    name: string,
    payload: unknown,
    timeout: number,
  ): Promise<BroadcastReplies[]> {
    let nodes: string[];
    try {
      nodes = (await this.backplane.nodes()).filter((node) => node !== this.id);
    } catch {
      return [];
    }
    if (nodes.length === 0) return [];
    const data: Record<string, unknown> = { n: name };
    if (Number.isFinite(timeout)) data.ms = timeout;
    if (selection.topics !== undefined) data.t = selection.topics;
    if (selection.except !== undefined)
      data.x = typeof selection.except === 'string' ? [selection.except] : [...selection.except];
    if (payload !== undefined) data.p = payload;
    const waits = nodes.map(
      (node) =>
        new Promise<BroadcastReplies | undefined>((resolve) => {
          const r = this.#expect(
            node,
            timeout + GRACE,
            `request "${name}" to node ${node}`,
            (value) => resolve(readReplies(value)),
            () => resolve(undefined),
          );
          this.#sendOrFail(r, node, { kind: K.many, data: { ...data, r } });
        }),
    );
    const replies: BroadcastReplies[] = [];
    const silent: string[] = [];
    const answers = await Promise.all(waits);
    for (let i = 0; i < nodes.length; i++) {
      const reply = answers[i];
      if (reply !== undefined) replies.push(reply);
      else silent.push(nodes[i]);
    }
    // A node that did not answer (gone, cut off, too slow): its members, from the directory,
    // are reported as not having answered in time rather than left out.
    if (silent.length > 0) {
      const late = await this.#membersOf(selection, new Set(silent));
      if (late.length > 0) replies.push({ results: new Map(), errors: new Map(), timedOut: late });
    }
    return replies;
  }

  /** The directory's clients of a selection held by the given nodes (empty when unreachable). */
  async #membersOf(selection: Selection, nodes: ReadonlySet<string>): Promise<string[]> {
    try {
      const lists =
        selection.topics === undefined
          ? [await this.backplane.getClients()]
          : await Promise.all(
              selection.topics.map((topic) => this.backplane.getClients({ topic })),
            );
      const except = selection.except;
      const excluded = new Set(
        except === undefined ? [] : typeof except === 'string' ? [except] : [...except],
      );
      const ids = new Set<string>();
      for (const list of lists)
        for (const client of list)
          if (nodes.has(client.node) && !excluded.has(client.id)) ids.add(client.id);
      return [...ids];
    } catch {
      return [];
    }
  }

  /** Closes a client held by node `node`; resolves when that node did (or is gone). */
  disconnect(node: string, clientId: string, code: number, reason: string): Promise<void> {
    return new Promise<void>((resolve) => {
      const r = this.#expect(
        node,
        this.#host!.requestTimeout,
        `disconnect ${clientId}`,
        () => resolve(),
        () => resolve(),
      );
      this.#sendOrFail(r, node, { kind: K.kick, data: { r, id: clientId, c: code, m: reason } });
    });
  }

  /**
   * Asks the node that holds session `clientId` to hand it to the shared session store. Resolves
   * when it did, or it does not hold it, or is gone, or does not answer in time.
   */
  async handOff(clientId: string, proof: HandOffProof): Promise<Cursor | undefined> {
    let where: ClusterClient | undefined;
    try {
      where = await this.backplane.getClient(clientId);
    } catch {
      return undefined;
    }
    if (where === undefined || where.node === this.id) return undefined;
    const node = where.node;
    return new Promise<Cursor | undefined>((resolve) => {
      const r = this.#expect(
        node,
        Math.min(this.#host!.requestTimeout, HAND_OFF_TIMEOUT),
        `hand-off of ${clientId}`,
        (value) => resolve(readCursor(value)),
        () => resolve(undefined),
      );
      const data: Record<string, unknown> = {
        r,
        id: clientId,
        sec: proof.secret,
        rcv: proof.received,
      };
      if (proof.user !== undefined) data.u = proof.user;
      this.#sendOrFail(r, node, { kind: K.handOff, data });
    });
  }

  /** Registers a reply this node waits for; @returns its number. */
  #expect(
    node: string | undefined,
    timeout: number,
    what: string,
    resolve: (value: unknown) => void,
    reject: (error: PlugSocketError) => void,
    onTimeout?: () => void,
  ): number {
    const r = ++this.#nextReply;
    const settle = (): void => {
      const entry = this.#pending.get(r);
      if (entry === undefined) return;
      this.#pending.delete(r);
      clearTimeout(entry.timer);
    };
    const entry: Pending = {
      node,
      resolve: (value) => {
        settle();
        resolve(value);
      },
      reject: (error) => {
        settle();
        reject(error);
      },
      timer: undefined,
    };
    this.#pending.set(r, entry);
    if (Number.isFinite(timeout)) {
      // A timer fires at most 2^31 - 1 ms on: a longer wait is armed again then.
      const until = Date.now() + timeout;
      const arm = (): void => {
        const left = until - Date.now();
        entry.timer = setTimeout(
          () => {
            if (Date.now() < until) {
              arm();
              return;
            }
            onTimeout?.();
            entry.reject(new PlugSocketError('TIMEOUT', `${what} timed out after ${timeout} ms`));
          },
          Math.min(Math.max(left, 0), 2 ** 31 - 1),
        );
        unref(entry.timer);
      };
      arm();
    }
    return r;
  }

  /** Sends a packet that expects reply `r`; fails it at once when the link is down. */
  #sendOrFail(r: number, node: string, packet: BackplanePacket): void {
    if (this.#state !== 'connected' || !this.#open) {
      this.#pending
        .get(r)
        ?.reject(new PlugSocketError('NOT_CONNECTED', 'the backplane is unreachable'));
      return;
    }
    try {
      this.#send(node, packet);
    } catch (error) {
      // A payload the backplane cannot carry (not JSON and bytes).
      this.#pending.get(r)?.reject(
        new PlugSocketError('INVALID_MESSAGE', 'the request cannot cross the backplane', {
          cause: error,
        }),
      );
    }
  }

  // ------------------------------------------------------------ the directory

  /** An admitted session (new, resumed here, or restored from the store). */
  admitted(session: Session<P>): void {
    const id = session.id;
    const known = session.listed;
    session.listed = true;
    const user = session.principalKey;
    this.#write(
      this.backplane.addClient(this.#entry(session, false)).then((change) => {
        if (change.changed && user !== undefined) this.#presence('online', { user, clientId: id });
      }),
    );
    if (known) return;
    for (const topic of session.topics) this.joined(session, topic);
  }

  /** A listed session joined a topic (before admission, its topics are listed with it). */
  joined(session: Session<P>, topic: string): void {
    if (!session.listed) return;
    this.#write(this.backplane.joinTopic(session.id, topic));
    this.#presence('join', { topic, clientId: session.id, user: session.principalKey });
  }

  left(session: Session<P>, topic: string): void {
    if (!session.listed) return;
    this.#write(this.backplane.leaveTopic(session.id, topic));
    this.#presence('leave', { topic, clientId: session.id, user: session.principalKey });
  }

  /** A session lost its connection and waits to be resumed: listed as parked, not online. */
  parked(session: Session<P>): void {
    if (!session.listed) return;
    const user = session.principalKey;
    this.#write(
      this.backplane.addClient(this.#entry(session, true)).then((change) => {
        if (change.changed && user !== undefined)
          this.#presence('offline', { user, clientId: session.id });
      }),
    );
  }

  /** A parked session another node handed over: listed here, with its topics. */
  adopted(session: Session<P>): void {
    if (session.listed) return;
    session.listed = true;
    this.#write(this.backplane.addClient(this.#entry(session, true)));
    for (const topic of session.topics) this.joined(session, topic);
  }

  /** A session ended here (for good, or handed to another node). */
  removed(session: Session<P>): void {
    const id = session.id;
    if (!session.listed) return;
    session.listed = false;
    const user = session.principalKey;
    const online = session.status !== 'parked';
    this.#write(
      this.backplane.removeClient(id).then((change) => {
        if (change.changed && online && user !== undefined)
          this.#presence('offline', { user, clientId: id });
      }),
    );
    for (const topic of session.topics) this.#presence('leave', { topic, clientId: id, user });
  }

  #entry(session: Session<P>, parked: boolean): ClusterClient {
    const entry: {
      id: string;
      node: string;
      connectedAt: number;
      user?: string;
      parked?: boolean;
      principal?: unknown;
    } = { id: session.id, node: this.id, connectedAt: session.connectedAt.getTime() };
    if (session.principalKey !== undefined) entry.user = session.principalKey;
    if (parked) entry.parked = true;
    const principal = carried(session.principal);
    if (principal !== undefined) entry.principal = principal;
    return entry;
  }

  #write(write: Promise<unknown>): void {
    write.catch((error: unknown) => {
      this.core.metrics.backplaneErrors++;
      if (this.#state === 'connected')
        this.core.logger.warn('backplane directory write failed', { error });
    });
  }

  /** Emits a presence event here and on every other node. */
  #presence(event: 'join' | 'leave' | 'online' | 'offline', detail: PresenceDetail): void {
    if (event === 'online' && detail.user !== undefined) this.#cameOnline(detail.user);
    this.events.presence(event, { ...detail, node: this.id });
    const data: Record<string, unknown> = { e: event, id: detail.clientId };
    if (detail.topic !== undefined) data.t = detail.topic;
    if (detail.user !== undefined) data.u = detail.user;
    this.#publish({ kind: K.presence, data });
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
      case K.broadcast:
        if (!isFramePacket(packet, data)) break;
        this.#read(from, packet, data);
        router.deliver(
          { topics: data.t as string[] | undefined, except: data.x as string[] | undefined },
          packet.frame!,
          data.v === 1,
        );
        return;
      case K.client:
        if (!isFramePacket(packet, data)) break;
        this.#read(from, packet, data);
        router.deliverTo(data.id as string, packet.frame!, data.v === 1);
        return;
      case K.user:
        if (!isFramePacket(packet, data)) break;
        this.#read(from, packet, data);
        router.deliverToUser(data.u as string, packet.frame!);
        return;
      case K.request:
        this.#serveRequest(from, data);
        return;
      case K.many:
        this.#serveMany(from, data);
        return;
      case K.cancel:
        this.#serving.get(`${from}:${data.r as number}`)?.abort();
        return;
      case K.kick: {
        const r = data.r as number;
        this.#host!.disconnect(data.id as string, data.c as number, data.m as string).then(
          () => this.#send(from, { kind: K.done, data: { r } }),
          () => this.#send(from, { kind: K.done, data: { r } }),
        );
        return;
      }
      case K.handOff: {
        // Where this node is now: the session's log holds everything read so far.
        const cursor = this.cursor();
        // The cursor only when this node did hand it over: it is the session's, nobody else's.
        const done = (handed: boolean): void =>
          this.#send(from, {
            kind: K.done,
            data: handed ? { r: data.r, v: cursor } : { r: data.r },
          });
        this.#host!.handOff(data.id as string, {
          secret: String(data.sec),
          user: typeof data.u === 'string' ? data.u : undefined,
          received: typeof data.rcv === 'number' ? data.rcv : Infinity,
        }).then(done, () => done(false));
        return;
      }
      case K.leaving:
        this.#handOverUntil = Date.now() + HAND_OVER_WINDOW;
        this.#leaving.add(from);
        return;
      case K.hello:
        this.#learn(from, data.s, data.l);
        this.#send(from, { kind: K.hi, data: { s: this.#seq, l: this.#life } });
        return;
      case K.hi:
        this.#learn(from, data.s, data.l);
        return;
      case K.adopt:
        if (typeof data.id === 'string') this.#host!.adopt(data.id, readCursor(data.c) ?? {});
        return;
      case K.answer:
      case K.manyAnswer:
      case K.done: {
        const pending = this.#pending.get(data.r as number);
        if (pending === undefined || pending.node !== from) return;
        if (data.e !== undefined)
          pending.reject(PlugSocketError.fromWire(data.e as SerializedError));
        else pending.resolve(data.v);
        return;
      }
      case K.presence: {
        const detail = {
          clientId: data.id as string,
          topic: data.t as string | undefined,
          user: data.u as string | undefined,
        };
        // Told by a survivor on behalf of a gone node: that node is named.
        if (typeof data.n === 'string') this.#toldForGone(data.n, data.e as PresenceEvent, detail);
        else if (data.e === 'online' && detail.user !== undefined) this.#cameOnline(detail.user);
        this.events.presence(data.e as PresenceEvent, {
          ...detail,
          node: typeof data.n === 'string' ? data.n : from,
        });
        return;
      }
      case K.restate:
        this.#restated(from, data);
        return;
      default:
        break;
    }
    // An unknown kind, or a frame packet of the wrong shape: counted, dropped.
    this.core.metrics.backplaneErrors++;
  }

  /**
   * What this node's application was told on behalf of a gone node: taken back if that node
   * returns (it was only cut off longer than its liveness allows).
   */
  readonly #goneTold = new Map<string, { users: Set<string>; memberships: Set<string> }>();

  /** A user came online: an offline told for a gone node no longer needs taking back. */
  #cameOnline(user: string): void {
    for (const told of this.#goneTold.values()) told.users.delete(user);
  }

  #toldForGone(node: string, event: PresenceEvent, detail: PresenceDetail): void {
    let told = this.#goneTold.get(node);
    if (told === undefined) {
      // Bounded: the last few gone nodes are remembered.
      if (this.#goneTold.size >= 16) this.#goneTold.delete(this.#goneTold.keys().next().value!);
      this.#goneTold.set(node, (told = { users: new Set(), memberships: new Set() }));
    }
    if (event === 'offline' && detail.user !== undefined) told.users.add(detail.user);
    else if (event === 'leave' && detail.topic !== undefined)
      told.memberships.add(`${detail.clientId}\u0000${detail.topic}`);
  }

  /**
   * A node that was unreachable is back and lists its clients: the leaves and offlines this
   * node told for it are taken back with joins and onlines.
   */
  #restated(from: string, data: Record<string, unknown>): void {
    const told = this.#goneTold.get(from);
    if (told === undefined) return;
    const clients = Array.isArray(data.c) ? (data.c as unknown[]) : [];
    for (const item of clients) {
      if (!Array.isArray(item)) continue;
      const [clientId, user, parked, topics] = item as [string, string | null, number, string[]];
      const who = typeof user === 'string' ? user : undefined;
      for (const topic of Array.isArray(topics) ? topics : []) {
        if (told.memberships.delete(`${clientId}\u0000${topic}`))
          this.events.presence('join', { clientId, topic, user: who, node: from });
      }
      if (who !== undefined && parked !== 1 && told.users.delete(who))
        this.events.presence('online', { clientId, user: who, node: from });
    }
    if (data.last === 1) this.#goneTold.delete(from);
  }

  /** After an outage: this node lists its clients, for nodes that took it for gone meanwhile. */
  #restate(): void {
    const registry = this.core.registry;
    let batch: unknown[] = [];
    const flush = (last: boolean): void => {
      this.#publish({ kind: K.restate, data: last ? { c: batch, last: 1 } : { c: batch } });
      batch = [];
    };
    for (const session of [...registry.byId.values(), ...registry.parked.values()]) {
      if (!session.listed) continue;
      batch.push([
        session.id,
        session.principalKey ?? null,
        session.status === 'parked' ? 1 : 0,
        [...session.topics],
      ]);
      if (batch.length === 500) flush(false);
    }
    flush(true);
  }

  /** Where node `from` is in its stream, as it told this node it was. */
  #learn(from: string, seq: unknown, life: unknown): void {
    if (typeof life === 'string') {
      const known = this.#lives.get(from);
      // The same id in a new process: what was kept of its earlier life is not its stream.
      if (known !== undefined && known !== life) this.#forget(from);
      this.#lives.set(from, life);
      this.#gone.delete(from);
      this.#leaving.delete(from);
    }
    if (typeof seq !== 'number' || !Number.isFinite(seq)) return;
    if (!this.#seen.has(from)) this.#seen.set(from, seq);
  }

  /** Drops what this node kept of node `node`'s stream. */
  #forget(node: string): void {
    this.#seen.delete(node);
    this.#evicted.delete(node);
    const ring = this.#recent;
    if (ring === undefined) return;
    for (let i = 0; i < ring.length; i++) if (ring[i]?.origin === node) ring[i] = undefined;
  }

  /** A frame packet from `from`: counted in its stream, kept a while. */
  #read(from: string, packet: BackplanePacket, data: Record<string, unknown>): void {
    const seq = data.s;
    if (typeof seq !== 'number' || !Number.isFinite(seq)) return;
    this.#seen.set(from, seq);
    if (this.#recent !== undefined)
      this.#keep({ origin: from, seq, kind: packet.kind, data, frame: packet.frame! });
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
    nodes = nodes.filter((node) => !this.#leaving.has(node));
    if (nodes.length === 0) return false;
    let next = 0;
    await Promise.all(
      ids.map(async (id) => {
        const cursor = this.cursor();
        await handOff(id);
        const node = nodes[next++ % nodes.length];
        this.#send(node, { kind: K.adopt, data: { id, c: cursor } });
      }),
    );
    return true;
  }

  #serveRequest(from: string, data: Record<string, unknown>): void {
    const r = data.r as number;
    const answer = (value: unknown, error?: unknown): void => {
      this.#serving.delete(key);
      if (error === undefined) {
        const body: Record<string, unknown> = { r };
        if (value !== undefined) body.v = value;
        this.#send(from, { kind: K.answer, data: body });
      } else
        this.#send(from, { kind: K.answer, data: { r, e: PlugSocketError.from(error).toJSON() } });
    };
    const key = `${from}:${r}`;
    const registry = this.core.registry;
    const id = data.id;
    if (typeof id !== 'string' || typeof data.n !== 'string') {
      answer(undefined, new PlugSocketError('INVALID_MESSAGE', 'a malformed request packet'));
      return;
    }
    const session = registry.byId.get(id) ?? registry.parked.get(id);
    if (session === undefined || !session.live) {
      answer(undefined, new PlugSocketError('NOT_CONNECTED', `client ${id} is not connected`));
      return;
    }
    const controller = new AbortController();
    this.#serving.set(key, controller);
    this.#host!.request(
      session,
      data.n,
      data.p,
      { timeout: typeof data.ms === 'number' ? data.ms : Infinity, signal: controller.signal },
      data.f as string | undefined,
      data.h as Record<string, unknown> | undefined,
    ).then(
      (value) => {
        try {
          answer(value);
        } catch (error) {
          answer(
            undefined,
            new PlugSocketError('INVALID_MESSAGE', 'the answer cannot cross the backplane', {
              cause: error,
            }),
          );
        }
      },
      (error: unknown) => answer(undefined, error),
    );
  }

  #serveMany(from: string, data: Record<string, unknown>): void {
    const r = data.r as number;
    if (typeof data.n !== 'string' || !isNames(data.t) || !isNames(data.x)) {
      this.#send(from, { kind: K.manyAnswer, data: { r, v: { ok: [], err: [], late: [] } } });
      return;
    }
    const sessions = this.core.router.select({
      topics: data.t as string[] | undefined,
      except: data.x as string[] | undefined,
    });
    this.#host!.requestMany(
      sessions,
      data.n,
      data.p,
      typeof data.ms === 'number' ? data.ms : Infinity,
    ).then(
      (replies) => {
        const v = {
          ok: [...replies.results].map(([id, value]) => (value === undefined ? [id] : [id, value])),
          err: [...replies.errors].map(([id, error]) => [id, error.toJSON()]),
          late: replies.timedOut,
        };
        try {
          this.#send(from, { kind: K.manyAnswer, data: { r, v } });
        } catch {
          // An answer the backplane cannot carry: the asking node counts these clients as failed.
          this.#send(from, {
            kind: K.manyAnswer,
            data: {
              r,
              v: {
                ok: [],
                err: [...replies.results.keys()].map((id) => [
                  id,
                  new PlugSocketError(
                    'INVALID_MESSAGE',
                    'the answer cannot cross the backplane',
                  ).toJSON(),
                ]),
                late: replies.timedOut,
              },
            },
          });
        }
      },
      () => this.#send(from, { kind: K.manyAnswer, data: { r, v: { ok: [], err: [], late: [] } } }),
    );
  }

  state(state: BackplaneState, error?: Error): void {
    if (state === this.#state) return;
    this.#state = state;
    const metrics = this.core.metrics;
    if (state === 'disconnected') {
      this.#downSince = Date.now();
      metrics.backplaneUp = 0;
      metrics.backplaneOutages++;
      this.core.logger.warn('backplane unreachable: serving local clients only', { error });
      // Replies in flight were lost with the link.
      for (const pending of [...this.#pending.values()])
        pending.reject(new PlugSocketError('NOT_CONNECTED', 'the backplane became unreachable'));
      this.events.state({ state, error, downFor: 0 });
      return;
    }
    metrics.backplaneUp = 1;
    const downFor = Date.now() - this.#downSince;
    this.core.logger.debug('backplane reachable again', { downFor });
    void this.#resync().finally(() => {
      // Cut again meanwhile: that was told; this "connected" would be stale.
      if (this.#state !== 'connected') return;
      this.#restate();
      this.events.state({ state, downFor });
    });
  }

  /** After an outage: the directory lists exactly this node's sessions again. */
  async #resync(): Promise<void> {
    try {
      const listed = await this.backplane.getClients();
      const registry = this.core.registry;
      const writes: Promise<unknown>[] = [];
      const here = (id: string): Session<P> | undefined => {
        const session = registry.byId.get(id) ?? registry.parked.get(id);
        return session?.listed === true ? session : undefined;
      };
      for (const client of listed) {
        if (client.node === this.id && here(client.id) === undefined)
          writes.push(this.backplane.removeClient(client.id));
      }
      for (const session of [...registry.byId.values(), ...registry.parked.values()]) {
        if (!session.listed) continue;
        const id = session.id;
        // Written afresh: topics it left during the outage must go too.
        writes.push(this.backplane.removeClient(id));
        writes.push(this.backplane.addClient(this.#entry(session, session.status === 'parked')));
        for (const topic of session.topics) writes.push(this.backplane.joinTopic(id, topic));
      }
      await Promise.all(writes);
    } catch (error) {
      this.core.metrics.backplaneErrors++;
      this.core.logger.warn('backplane resync failed', { error });
    }
  }

  nodeGone(node: string, removed: readonly RemovedClient[] | undefined): void {
    for (const pending of [...this.#pending.values()]) {
      if (pending.node === node)
        pending.reject(new PlugSocketError('NOT_CONNECTED', `node ${node} left the cluster`));
    }
    for (const [key, controller] of this.#serving) {
      if (key.startsWith(`${node}:`)) {
        controller.abort();
        this.#serving.delete(key);
      }
    }
    this.#forget(node);
    this.#leaving.delete(node);
    this.#gone.delete(node);
    this.#gone.add(node);
    if (this.#gone.size > 1024) this.#gone.delete(this.#gone.values().next().value!);
    this.events.nodeGone(node);
    if (removed === undefined) return;
    // This node cleaned up after the gone one: it tells presence on its behalf.
    for (const client of removed) {
      for (const topic of client.topics ?? NO_TOPICS)
        this.#presenceFor(node, 'leave', { topic, clientId: client.id, user: client.user });
      if (client.userOffline && client.user !== undefined)
        this.#presenceFor(node, 'offline', { user: client.user, clientId: client.id });
    }
  }

  #presenceFor(node: string, event: PresenceEvent, detail: PresenceDetail): void {
    this.#toldForGone(node, event, detail);
    this.events.presence(event, { ...detail, node });
    const data: Record<string, unknown> = { e: event, id: detail.clientId, n: node };
    if (detail.topic !== undefined) data.t = detail.topic;
    if (detail.user !== undefined) data.u = detail.user;
    this.#publish({ kind: K.presence, data });
  }
}

/**
 * The longest a resuming client waits for the node that held its session (one that died without
 * closing does not answer; its client then gets a new session).
 */
const HAND_OFF_TIMEOUT = 3000;

/** How long after a node announced its shutdown claims look again for a missing session. */
const HAND_OVER_WINDOW = 5000;

/** Extra wait for another node's answers past the clients' own timeout. */
const GRACE = 1000;

type PresenceEvent = 'join' | 'leave' | 'online' | 'offline';

interface PresenceDetail {
  readonly clientId: string;
  readonly topic?: string | undefined;
  readonly user?: string | undefined;
}

/** True when a kept frame packet was for `session`. */
function matches<P>(entry: Recent, session: Session<P>): boolean {
  const data = entry.data;
  switch (entry.kind) {
    case K.broadcast: {
      if (data.v === 1) return false;
      const except = data.x as string[] | undefined;
      if (except !== undefined && except.includes(session.id)) return false;
      const topics = data.t as string[] | undefined;
      return topics === undefined || topics.some((topic) => session.topics.has(topic));
    }
    case K.client:
      return data.v !== 1 && data.id === session.id;
    case K.user:
      return data.u === session.principalKey;
    default:
      return false;
  }
}

/** A cursor as a packet carried it, checked. */
function readCursor(value: unknown): Cursor | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const out: Record<string, number> = {};
  for (const [node, seq] of Object.entries(value as Record<string, unknown>))
    if (typeof seq === 'number' && Number.isFinite(seq)) out[node] = seq;
  return out;
}

/** A node's answer to a broadcast request, read back into maps. */
function readReplies(value: unknown): BroadcastReplies | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as { ok?: unknown; err?: unknown; late?: unknown };
  const results = new Map<string, unknown>();
  if (Array.isArray(v.ok))
    for (const item of v.ok as unknown[])
      if (Array.isArray(item) && typeof item[0] === 'string') results.set(item[0], item[1]);
  const errors = new Map<string, PlugSocketError>();
  if (Array.isArray(v.err))
    for (const item of v.err as unknown[])
      if (Array.isArray(item) && typeof item[0] === 'string' && typeof item[1] === 'object')
        errors.set(item[0], PlugSocketError.fromWire(item[1] as SerializedError));
  const timedOut = Array.isArray(v.late)
    ? (v.late as unknown[]).filter((id): id is string => typeof id === 'string')
    : [];
  return { results, errors, timedOut };
}

/** A frame packet with the fields its kind needs, of the right types. */
function isFramePacket(packet: BackplanePacket, data: Record<string, unknown>): boolean {
  const frame = packet.frame;
  if (typeof frame !== 'string' && !(frame instanceof Uint8Array)) return false;
  if (packet.kind === K.client) return typeof data.id === 'string';
  if (packet.kind === K.user) return typeof data.u === 'string';
  return isNames(data.t) && isNames(data.x);
}

/** Undefined, or an array of strings. */
function isNames(value: unknown): boolean {
  return (
    value === undefined ||
    (Array.isArray(value) && (value as unknown[]).every((item) => typeof item === 'string'))
  );
}

/** A principal as the directory carries it: a JSON copy, or nothing when it has none. */
function carried(principal: unknown): unknown {
  if (principal === undefined || principal === null) return undefined;
  try {
    const text = JSON.stringify(principal);
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}

const EMPTY_HANDSHAKE = Object.freeze({
  url: '',
  headers: Object.freeze({}),
  query: Object.freeze({}),
  auth: Object.freeze({}),
});

/**
 * @internal A client of another node as `canRequest` sees it: its id, its principal as the
 * directory carries it (a JSON copy; undefined when it was not JSON), when it connected. It has
 * no handshake, topics, latency or data here: those stay on its node.
 */
export function remoteClient<P>(entry: ClusterClient): ConnectedClient<P> {
  return Object.freeze({
    id: entry.id,
    handshake: EMPTY_HANDSHAKE,
    principal: entry.principal as P,
    topics: new Set<string>(),
    connectedAt: new Date(entry.connectedAt),
    resumed: false,
    latency: undefined,
    bufferedAmount: 0,
    writable: entry.parked !== true,
    drained: () => Promise.resolve(),
    get: () => undefined,
    set: () => {
      throw new TypeError(`client ${entry.id} is held by node ${entry.node}: set() works there`);
    },
  });
}
