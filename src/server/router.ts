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
import type { Session } from './session.js';
import type { SessionRegistry } from './session-registry.js';

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
 */
export class Router<P> {
  constructor(
    private readonly adapter: AbstractSocketServer,
    private readonly codec: Codec,
    private readonly registry: SessionRegistry<P>,
    private readonly metrics: ServerMetrics,
  ) {}

  /**
   * Sends an application message to one admitted client.
   * @returns false when no such client is connected here.
   */
  toClient(clientId: string, message: SocketMessage, flags?: RouteFlags): boolean {
    const session = this.registry.byId.get(clientId);
    if (session === undefined) return false;
    const frame = this.encodeMessage(message, flags);
    return this.#send(session.connection, frame, flags?.volatile === true ? VOLATILE : undefined);
  }

  /**
   * Sends an application message to a selection of clients, encoded once.
   * @returns the number of clients it was handed to.
   */
  broadcast(selection: Selection, message: SocketMessage, flags?: RouteFlags): number {
    const connections = this.#collect(selection, connectionOf);
    if (connections.length === 0) return 0;
    const frame = this.encodeMessage(message, flags);
    return this.#sendMany(connections, frame, flags?.volatile === true ? VOLATILE : undefined);
  }

  /** The admitted clients of a selection on this node, each once. */
  select(selection: Selection): Session<P>[] {
    return this.#collect(selection, (session) => session);
  }

  /** `pick` of each admitted client of a selection, each once: one array, one pass. */
  #collect<T>(selection: Selection, pick: (session: Session<P>) => T): T[] {
    const { topics, except, filter } = selection;
    const single = typeof except === 'string' ? except : undefined;
    const excluded =
      except === undefined || single !== undefined
        ? undefined
        : new Set(except as Iterable<string>);
    let candidates: Iterable<Session<P>>;
    if (topics === undefined) candidates = this.registry.byId.values();
    else if (topics.length === 1) {
      const members = this.registry.topics.get(topics[0]);
      if (members === undefined) return [];
      candidates = members;
    } else {
      const union = new Set<Session<P>>();
      for (const topic of topics) {
        const members = this.registry.topics.get(topic);
        if (members !== undefined) for (const session of members) union.add(session);
      }
      candidates = union;
    }
    const out: T[] = [];
    for (const session of candidates) {
      if (session.id === single || (excluded !== undefined && excluded.has(session.id))) continue;
      if (filter !== undefined && !filter(session as Session<never>)) continue;
      out.push(pick(session));
    }
    return out;
  }

  /** Sends a protocol frame (welcome, ack, request, …) to one session. */
  toSession(session: Session<P>, envelope: object): boolean {
    return this.#send(session.connection, this.codec.encode(envelope));
  }

  /** Encodes a protocol frame once, for {@link sendFrame}. */
  encodeEnvelope(envelope: object): AnyFrame {
    return this.codec.encode(envelope);
  }

  /** Sends one encoded frame to many connections. @returns how many it was handed to. */
  sendFrame(connections: readonly ServerConnection[], frame: AnyFrame): number {
    return connections.length === 0 ? 0 : this.#sendMany(connections, frame);
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
