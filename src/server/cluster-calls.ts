import { PlugSocketError, type SerializedError } from '../errors.js';
import type { Backplane, ClusterClient } from '../ports/backplane.js';
import type { ClusterHost, HandOffProof } from './cluster-serving.js';
import type { ClusterReplies } from './cluster-replies.js';
import { readCursor, type Cursor } from './cluster-stream.js';
import { K, type ClusterWire } from './cluster-wire.js';
import type { BroadcastReplies, RequestOptions } from './requests.js';
import type { Selection } from './router.js';

/**
 * The longest a resuming client waits for the node that held its session (one that died without
 * closing does not answer; its client then gets a new session).
 */
const HAND_OFF_TIMEOUT = 3000;

/** Extra wait for another node's answers past the clients' own timeout. */
const GRACE = 1000;

/**
 * @internal What this node asks of the clients other nodes hold: requests, broadcast requests,
 * kicks and session hand-offs, each awaiting its reply in {@link ClusterReplies}.
 */
export class ClusterCalls<P> {
  /** The server the calls are made for (its request timeout); set when the link opens. */
  host: ClusterHost<P> | undefined;

  constructor(
    private readonly id: string,
    private readonly backplane: Backplane,
    private readonly wire: ClusterWire,
    private readonly replies: ClusterReplies,
  ) {}

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
    const timeout = options.timeout ?? this.host!.requestTimeout;
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
      const r = this.replies.expect(
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
        () => this.wire.send(node, { kind: K.cancel, data: { r } }),
      );
      if (signal !== undefined) {
        onAbort = (): void => {
          const pending = this.replies.get(r);
          if (pending === undefined) return;
          this.wire.send(node, { kind: K.cancel, data: { r } });
          pending.reject(new PlugSocketError('ABORTED', 'the request was aborted'));
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
      data.r = r;
      this.replies.sendOrFail(r, node, { kind: K.request, data });
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
          const r = this.replies.expect(
            node,
            timeout + GRACE,
            `request "${name}" to node ${node}`,
            (value) => resolve(readReplies(value)),
            () => resolve(undefined),
          );
          this.replies.sendOrFail(r, node, { kind: K.many, data: { ...data, r } });
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
      const r = this.replies.expect(
        node,
        this.host!.requestTimeout,
        `disconnect ${clientId}`,
        () => resolve(),
        () => resolve(),
      );
      this.replies.sendOrFail(r, node, {
        kind: K.kick,
        data: { r, id: clientId, c: code, m: reason },
      });
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
      const r = this.replies.expect(
        node,
        Math.min(this.host!.requestTimeout, HAND_OFF_TIMEOUT),
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
      this.replies.sendOrFail(r, node, { kind: K.handOff, data });
    });
  }
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
