import type { BackplanePacket } from '../ports/backplane.js';
import type { AnyFrame } from '../ports/types.js';
import { randomId } from '../shared/random-id.js';
import { K, type ClusterWire } from './cluster-wire.js';
import type { ServerCore } from './core.js';
import type { Session } from './session.js';

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

/** How long after a node announced its shutdown claims look again for a missing session. */
const HAND_OVER_WINDOW = 5000;

/**
 * @internal The cluster's streams of frame packets (broadcasts, messages to a client or a user):
 * this node's, which it numbers as it publishes them; how far it read every other node's; the
 * ring of recent frame packets a session handed over from another node catches up from; and
 * which nodes live (under which life), left, or are leaving.
 */
export class ClusterStream<P> {
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
  /** Per node, sessions that arrived with a position past this node's in its stream. */
  readonly #ahead = new Map<string, Map<string, number>>();

  constructor(
    private readonly id: string,
    private readonly core: ServerCore<P>,
    private readonly wire: ClusterWire,
    keepRecent: boolean,
  ) {
    this.#recent = keepRecent ? new Array<Recent | undefined>(RECENT) : undefined;
  }

  /** What this node tells the others of its stream (hello, hi): where it is, in which life. */
  hello(): Record<string, unknown> {
    return { s: this.#seq, l: this.#life };
  }

  /** A frame packet: numbered in this node's stream, and kept a while when resume is on. */
  publish(kind: string, data: Record<string, unknown>, frame: AnyFrame): void {
    const wire = this.wire;
    if (!wire.open) return;
    const seq = ++this.#seq;
    data.s = seq;
    if (this.#recent !== undefined) this.#keep({ origin: this.id, seq, kind, data, frame });
    wire.publish({ kind, data, frame });
  }

  #keep(entry: Recent): void {
    const ring = this.#recent!;
    const old = ring[this.#recentNext];
    if (old !== undefined && old.seq > (this.#evicted.get(old.origin) ?? 0))
      this.#evicted.set(old.origin, old.seq);
    ring[this.#recentNext] = entry;
    this.#recentNext = (this.#recentNext + 1) % ring.length;
  }

  /** Node `node` starts shutting down: it may be handing sessions over for a while. */
  leaving(node: string): void {
    this.#handOverUntil = Date.now() + HAND_OVER_WINDOW;
    this.#leaving.add(node);
  }

  /** The nodes of `nodes` that are not shutting down (they may take sessions over). */
  staying(nodes: string[]): string[] {
    return nodes.filter((node) => !this.#leaving.has(node));
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
    // The other node may have read further than this one has yet (each node reads the broker
    // at its own pace): what it had already logged must not be delivered again when it arrives.
    for (const [origin, read] of Object.entries(cursor)) {
      if (origin === this.id || read <= (this.#seen.get(origin) ?? -1) || gone.has(origin))
        continue;
      let marks = this.#ahead.get(origin);
      if (marks === undefined) this.#ahead.set(origin, (marks = new Map<string, number>()));
      marks.set(session.id, read);
    }
    return true;
  }

  /**
   * Sessions that already have frame packet `seq` of node `from` (they arrived with a position
   * past what this node had read): it is not delivered to them. Undefined when there are none,
   * the common case, checked with one lookup.
   */
  alreadyHave(from: string, seq: number): string[] | undefined {
    const marks = this.#ahead.get(from);
    if (marks === undefined) return undefined;
    let have: string[] | undefined;
    for (const [id, read] of marks) {
      if (seq <= read) (have ??= []).push(id);
      // Past its mark, a session takes this node's stream as it comes.
      if (seq >= read) marks.delete(id);
    }
    if (marks.size === 0) this.#ahead.delete(from);
    return have;
  }

  /** Where node `from` is in its stream, as it told this node it was. */
  learn(from: string, seq: unknown, life: unknown): void {
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

  /** Node `node` left the cluster: nothing it sent is owed to anyone any more. */
  gone(node: string): void {
    this.#forget(node);
    this.#leaving.delete(node);
    this.#gone.delete(node);
    this.#gone.add(node);
    if (this.#gone.size > 1024) this.#gone.delete(this.#gone.values().next().value!);
  }

  /** Drops what this node kept of node `node`'s stream. */
  #forget(node: string): void {
    this.#ahead.delete(node);
    this.#seen.delete(node);
    this.#evicted.delete(node);
    const ring = this.#recent;
    if (ring === undefined) return;
    for (let i = 0; i < ring.length; i++) if (ring[i]?.origin === node) ring[i] = undefined;
  }

  /**
   * A frame packet from `from`: counted in its stream, kept a while.
   * @returns the sessions here that already have it (see {@link alreadyHave}), usually none.
   */
  read(from: string, packet: BackplanePacket, data: Record<string, unknown>): string[] | undefined {
    const seq = data.s;
    if (typeof seq !== 'number' || !Number.isFinite(seq)) return undefined;
    this.#seen.set(from, seq);
    if (this.#recent !== undefined)
      this.#keep({ origin: from, seq, kind: packet.kind, data, frame: packet.frame! });
    return this.#ahead.size === 0 ? undefined : this.alreadyHave(from, seq);
  }
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
export function readCursor(value: unknown): Cursor | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const out: Record<string, number> = {};
  for (const [node, seq] of Object.entries(value as Record<string, unknown>))
    if (typeof seq === 'number' && Number.isFinite(seq)) out[node] = seq;
  return out;
}
