import type { SocketMessage } from '../message.js';
import type {
  AbstractSocketServer,
  SendOptions,
  ServerConnection,
} from '../ports/abstract-socket-server.js';
import type { Codec } from '../ports/codec.js';
import type { AnyFrame } from '../ports/types.js';
import { messageEnvelope } from '../protocol/envelope.js';
import { countedSize, type ServerMetrics } from './metrics.js';
import { logSize } from './resume-log.js';
import { endsSession } from '../protocol/resume.js';
import type { Session } from './session.js';
import type { SessionRegistry } from './session-registry.js';
import type { ClusterLink } from './cluster.js';

/** Who a broadcast goes to. */
export interface Selection {
  /** Subscribers of any of these topics; every admitted client when absent. */
  readonly topics?: readonly string[] | undefined;
  /** Client ids left out. */
  readonly except?: string | Iterable<string> | undefined;
  /** Keeps only the clients for which it returns true. */
  readonly filter?: ((client: Session<never>) => boolean) | undefined;
}

/** How a message travels. */
export interface RouteFlags {
  /** Marks a relayed message with the id of the client it came from (`from` on the wire). */
  readonly from?: string | undefined;
  /**
   * Skips recipients whose backlog is above the transport's `highWaterMark` instead of queueing
   * for them (the port's `SendOptions.volatile`; docs/backpressure.md).
   */
  readonly volatile?: boolean | undefined;
}

/** The port's options of a volatile send, shared: no object per message. */
const VOLATILE: SendOptions = Object.freeze({ volatile: true });

/**
 * @internal The one place outbound frames leave the domain: application messages to one client,
 * to a selection of clients, and the protocol's own frames. It encodes a message once however
 * many recipients it has and is the only caller of the adapter's `send` / `sendMany`. This
 * router is local and in memory; it is the seam a multi-node backplane plugs into, so the counts
 * it returns are those of this node. Being the one exit, it is also where `messagesOut` and
 * `bytesOut` are counted: what the transport accepted, a frame handed to N connections N times.
 *
 * With session resume on, every stream frame (all but `welcome`, `ping`, `pong` and `got`) is
 * also kept in each recipient's resume log, by reference — a broadcast is still encoded once —
 * and a parked session (connection lost, may resume) gets its frames in the log alone.
 */
export class Router<P> {
  /** The other nodes, when the server has a backplane: what leaves here is published to them. */
  cluster: ClusterLink<P> | undefined;

  constructor(
    private readonly adapter: AbstractSocketServer,
    private readonly codec: Codec,
    private readonly registry: SessionRegistry<P>,
    private readonly metrics: ServerMetrics,
    /** The resume log's byte limit, to measure frames with; undefined with resume off. */
    private readonly logLimit: number | undefined = undefined,
  ) {}

  /**
   * Sends an application message to one admitted client (or parked one, whose resume log keeps
   * it).
   * @returns false when no such client is here (or a volatile message was skipped).
   */
  toClient(clientId: string, message: SocketMessage, flags?: RouteFlags): boolean {
    const session = this.registry.byId.get(clientId) ?? this.registry.parked.get(clientId);
    if (session === undefined) {
      const cluster = this.cluster;
      if (cluster === undefined) return false;
      // Another node may hold it: published once, delivered by the node that does.
      cluster.toClient(clientId, this.encodeMessage(message, flags), flags?.volatile === true);
      return true;
    }
    const frame = this.encodeMessage(message, flags);
    return this.#stream(session, frame, flags?.volatile === true);
  }

  /** A frame another node published for one client: delivered if it is here. */
  deliverTo(clientId: string, frame: AnyFrame, volatile: boolean): boolean {
    const session = this.registry.byId.get(clientId) ?? this.registry.parked.get(clientId);
    return session !== undefined && this.#stream(session, frame, volatile);
  }

  /**
   * Sends an application message to every client of a user (principal id) — on every node with
   * a cluster — parked ones included (their logs keep it).
   * @returns the clients on this node it was handed to.
   */
  toUser(user: string, message: SocketMessage): number {
    const frame = this.encodeMessage(message);
    this.cluster?.toUser(user, frame);
    return this.deliverToUser(user, frame);
  }

  /** A frame for every client of a user on this node (but those in `except`). */
  deliverToUser(user: string, frame: AnyFrame, except?: readonly string[]): number {
    let sessions: Session<P>[] = [...(this.registry.byPrincipal.get(user) ?? [])];
    if (this.registry.parked.size > 0)
      for (const session of this.registry.parked.values())
        if (session.principalKey === user) sessions.push(session);
    if (except !== undefined) sessions = sessions.filter((session) => !except.includes(session.id));
    return this.toSessions(sessions, frame);
  }

  /**
   * Sends an application message to a selection of clients, encoded once.
   * @returns the number of clients it was handed to (parked ones included: their logs keep it).
   */
  broadcast(selection: Selection, message: SocketMessage, flags?: RouteFlags): number {
    const volatile = flags?.volatile === true;
    const cluster = this.cluster;
    // A filter is a function of this node's clients: such a selection stays here.
    if (cluster !== undefined && selection.filter === undefined) {
      const frame = this.encodeMessage(message, flags);
      cluster.broadcast(selection, frame, volatile);
      return this.deliver(selection, frame, volatile);
    }
    if (this.logLimit === undefined) {
      const connections = this.#collect(selection, connectionOf);
      if (connections.length === 0) return 0;
      const frame = this.encodeMessage(message, flags);
      return this.#sendMany(connections, frame, volatile ? VOLATILE : undefined);
    }
    const sessions = this.#collect(selection, self);
    if (sessions.length === 0) return 0;
    return this.#fanOut(sessions, this.encodeMessage(message, flags), volatile);
  }

  /** An encoded message to this node's clients of a selection (a broadcast from another node). */
  deliver(selection: Selection, frame: AnyFrame, volatile: boolean): number {
    if (this.logLimit === undefined) {
      const connections = this.#collect(selection, connectionOf);
      if (connections.length === 0) return 0;
      return this.#sendMany(connections, frame, volatile ? VOLATILE : undefined);
    }
    const sessions = this.#collect(selection, self);
    if (sessions.length === 0) return 0;
    return this.#fanOut(sessions, frame, volatile);
  }

  /** Sends one encoded stream frame (e.g. a request) to many sessions. @returns how many took it. */
  toSessions(sessions: readonly Session<P>[], frame: AnyFrame): number {
    if (sessions.length === 0) return 0;
    if (this.logLimit !== undefined) return this.#fanOut(sessions, frame, false);
    const connections: ServerConnection[] = [];
    for (const session of sessions) connections.push(session.connection);
    return this.#sendMany(connections, frame);
  }

  /** The admitted clients of a selection on this node, each once (parked ones too). */
  select(selection: Selection): Session<P>[] {
    return this.#collect(selection, self);
  }

  /**
   * `pick` of each admitted client of a selection, each once: one array, one pass. Parked
   * sessions are picked too (with resume on there may be some): their logs keep the frame.
   */
  #collect<T>(selection: Selection, pick: (session: Session<P>) => T): T[] {
    const out: T[] = [];
    this.#gather(selection, pick, this.registry.byId, this.registry.topics, out);
    const parked = this.registry.parked;
    if (parked.size > 0) this.#gather(selection, pick, parked, this.registry.parkedTopics, out);
    return out;
  }

  #gather<T>(
    selection: Selection,
    pick: (session: Session<P>) => T,
    all: Map<string, Session<P>>,
    byTopic: Map<string, Set<Session<P>>>,
    out: T[],
  ): void {
    const { topics, except, filter } = selection;
    const single = typeof except === 'string' ? except : undefined;
    const excluded =
      except === undefined || single !== undefined
        ? undefined
        : new Set(except as Iterable<string>);
    let candidates: Iterable<Session<P>>;
    if (topics === undefined) candidates = all.values();
    else if (topics.length === 1) {
      const members = byTopic.get(topics[0]);
      if (members === undefined) return;
      candidates = members;
    } else {
      const union = new Set<Session<P>>();
      for (const topic of topics) {
        const members = byTopic.get(topic);
        if (members !== undefined) for (const session of members) union.add(session);
      }
      candidates = union;
    }
    for (const session of candidates) {
      if (session.id === single || (excluded !== undefined && excluded.has(session.id))) continue;
      if (filter !== undefined && !filter(session as Session<never>)) continue;
      out.push(pick(session));
    }
  }

  /**
   * Sends a protocol stream frame (an answer, an error, a request, a cancel) to one session; kept
   * in its resume log with resume on, so a parked session gets it on resume.
   */
  toSession(session: Session<P>, envelope: object): boolean {
    return this.#stream(session, this.codec.encode(envelope), false);
  }

  /**
   * Sends a control frame (`welcome`, `ping`, `pong`, `got`): to the connection only, never
   * logged, nothing for a parked session.
   */
  control(session: Session<P>, frame: AnyFrame): boolean {
    return session.status !== 'parked' && this.#send(session.connection, frame);
  }

  /** Encodes a protocol frame once (for {@link control} or {@link toSessions}). */
  encodeEnvelope(envelope: object): AnyFrame {
    return this.codec.encode(envelope);
  }

  /** One stream frame to one session: logged with resume on, sent if it is connected. */
  #stream(session: Session<P>, frame: AnyFrame, volatile: boolean): boolean {
    const log = session.resume;
    if (log === undefined)
      return this.#send(session.connection, frame, volatile ? VOLATILE : undefined);
    if (session.status === 'parked') {
      if (volatile || session.doomed) return false;
      log.push(frame, logSize(frame, this.logLimit ?? Infinity));
      return this.#keptFor(session);
    }
    // Being closed for good (a kick): nothing is kept for a session that will not resume.
    if (ending(session.connection)) return this.#send(session.connection, frame);
    // A saturated recipient: the transport skips the frame (or drops a slow consumer), unlogged.
    if (volatile && !this.adapter.isWritable(session.connection))
      return this.#send(session.connection, frame, VOLATILE);
    log.push(frame, logSize(frame, this.logLimit ?? Infinity));
    // Logged: a frame the transport refuses now (its connection is going) is sent on resume.
    this.#send(session.connection, frame);
    return true;
  }

  /**
   * True while a parked session can still resume. Once its log has dropped a frame sent after the
   * connection was lost, its client missed that one for sure: the log is let go and nothing more
   * is kept (sends to it return false); its client is told `overflow` when it comes back.
   */
  #keptFor(session: Session<P>): boolean {
    const log = session.resume!;
    if (log.start <= session.parkedAt) return true;
    log.clear();
    session.doomed = true;
    return false;
  }

  /**
   * One stream frame to many sessions, resume on: logged in each (measured once), sent to those
   * connected. A volatile frame skips parked recipients and those the transport skips, unlogged:
   * a skipped frame takes no position, so both sides keep counting alike.
   */
  #fanOut(sessions: readonly Session<P>[], frame: AnyFrame, volatile: boolean): number {
    const size = logSize(frame, this.logLimit ?? Infinity);
    const connections: ServerConnection[] = [];
    let parked = 0;
    let skippedSent = 0;
    for (const session of sessions) {
      const log = session.resume;
      if (session.status === 'parked') {
        if (volatile || log === undefined || session.doomed) continue;
        log.push(frame, size);
        if (this.#keptFor(session)) parked++;
        continue;
      }
      if (ending(session.connection)) continue;
      if (volatile && !this.adapter.isWritable(session.connection)) {
        // The transport skips it (counting it) or drops a slow consumer; either way unlogged.
        if (this.#send(session.connection, frame, VOLATILE)) {
          log?.push(frame, size);
          skippedSent++;
        }
        continue;
      }
      log?.push(frame, size);
      connections.push(session.connection);
    }
    return (
      (connections.length === 0 ? 0 : this.#sendMany(connections, frame)) + parked + skippedSent
    );
  }

  /** The adapter's `send`, counted when the transport takes the frame. */
  #send(connection: ServerConnection, frame: AnyFrame, options?: SendOptions): boolean {
    if (!this.adapter.send(connection, frame, options)) return false;
    const metrics = this.metrics;
    metrics.messagesOut++;
    metrics.bytesOut += countedSize(frame);
    return true;
  }

  /** The adapter's `sendMany`, counted once per connection that took the frame. */
  #sendMany(
    connections: readonly ServerConnection[],
    frame: AnyFrame,
    options?: SendOptions,
  ): number {
    const sent = this.adapter.sendMany(connections, frame, options);
    const metrics = this.metrics;
    metrics.messagesOut += sent;
    metrics.bytesOut += countedSize(frame) * sent;
    return sent;
  }

  /**
   * Encodes an application message, checking it at the sender.
   * @throws {TypeError} for a message that is not an object, a bad type or bad headers.
   */
  encodeMessage(message: SocketMessage, flags?: RouteFlags): AnyFrame {
    return this.codec.encode(messageEnvelope(message, flags?.from));
  }
}

function connectionOf(session: Session<unknown>): ServerConnection {
  return session.connection;
}

function self<S>(session: S): S {
  return session;
}

/** True for a connection this server is closing with a code that ends its session. */
function ending(connection: ServerConnection): boolean {
  const code = connection._closeCode;
  return code !== undefined && endsSession(code);
}
