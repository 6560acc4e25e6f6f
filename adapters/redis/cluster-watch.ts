import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  PlugSocketError,
  type BackplanePacket,
  type Logger,
  type RemovedClient,
} from '../../src/index.js';
import { decodeEntry } from './directory.js';
import type { RedisKeys } from './keys.js';
import { CHECK_NODES, REAP_NODE, REGISTER_NODE, RELEASE_REAP, ReapStatus } from './scripts.js';

/** Entries a reap script removes at once. */
const REAP_BATCH = 500;
/** How long a node reported gone is remembered, in `nodeTimeout`s, so late packets find it. */
const REMEMBER_GONE = 10;

/** What the watch needs from the backplane it serves. */
export interface ClusterWatchHost {
  /** This node's id. */
  readonly nodeId: string;
  /** This node's run: the value of its liveness key and of the locks it takes. */
  readonly token: string;
  readonly keys: RedisKeys;
  readonly nodeTimeout: number;
  readonly heartbeatInterval: number;
  readonly logger: Logger;
  /** The command connection. */
  redis(): Redis;
  /** Hands a gone node to the domain (`BackplaneNode.nodeGone`). */
  nodeGone(node: string, removed: readonly RemovedClient[] | undefined): void;
  /** Publishes one of the adapter's own packets to every other node. */
  publishControl(packet: BackplanePacket): void;
}

/** What a reap did. */
export interface ReapResult {
  readonly status: (typeof ReapStatus)[keyof typeof ReapStatus];
  readonly removed: RemovedClient[];
}

/**
 * Watches the other nodes' liveness and tells this node, exactly once, about each node that
 * stopped.
 *
 * Every check lists the nodes (one script: those whose liveness key exists and those whose key
 * expired). For an expired node, the first survivor to take its reap lock removes its entries,
 * gets them as `nodeGone(node, removed)`, and publishes a `gone` packet; the others are told
 * `nodeGone(node, undefined)` on that packet. A node that closed publishes a `leave` packet with
 * the entries it removed; the one receiver that takes the packet's claim key gets them, the
 * others `undefined`. A node missing from two checks in a row, of which no packet told (this
 * node was away when it was sent), is reported `undefined` then. A node back from an outage
 * longer than `nodeTimeout` says so with a `back` packet (and is seen alive by the next check):
 * it is forgotten, so that its next end is reported too.
 */
export class ClusterWatch {
  /** Nodes seen in a check (alive or expired) and not reported gone. */
  readonly #known = new Set<string>();
  /** Nodes reported gone, and when. */
  readonly #reported = new Map<string, number>();
  /** Known nodes missing from the last check. */
  readonly #missing = new Set<string>();
  #checking = false;

  constructor(private readonly host: ClusterWatchHost) {}

  /**
   * Lists this node (its liveness key and its place in the node set). A run of the same id that
   * stopped without `close()` and that no survivor cleaned up yet is cleaned up first, as a
   * survivor would (the others are told, one of them with its entries).
   */
  async join(): Promise<void> {
    const { keys, nodeId, token, nodeTimeout, heartbeatInterval } = this.host;
    const deadline = Date.now() + 2 * nodeTimeout;
    for (;;) {
      const joined = await REGISTER_NODE.run(
        this.host.redis(),
        keys.prefix,
        nodeId,
        token,
        nodeTimeout,
      );
      if (joined === 0) return;
      if (joined === -1)
        throw new PlugSocketError(
          'INVALID_STATE',
          `node id "${nodeId}" is in use: a node with this id is open, or stopped less than nodeTimeout ago without close()`,
        );
      if (Date.now() > deadline)
        throw new PlugSocketError(
          'TIMEOUT',
          `could not remove what an earlier run of node "${nodeId}" left`,
        );
      if (await this.lock(nodeId)) {
        try {
          const result = await this.reap(nodeId, false);
          if (result.status === ReapStatus.Done) this.#publishLeave(result.removed);
        } finally {
          await this.unlock(nodeId, false);
        }
      } else {
        // A survivor is cleaning the earlier run up.
        await new Promise((resolve) => setTimeout(resolve, Math.min(100, heartbeatInterval)));
      }
    }
  }

  /**
   * Removes this node (liveness, entries) and tells the others, one of whom gets the entries.
   * False when a survivor holds this node's lock (its liveness had lapsed): that one cleans up.
   */
  async leave(): Promise<boolean> {
    const { keys, nodeId } = this.host;
    // Holding its own reap lock keeps survivors from removing the entries meanwhile.
    if (!(await this.lock(nodeId))) return false;
    let done = false;
    try {
      await this.host.redis().del(keys.alive(nodeId));
      const result = await this.reap(nodeId, true);
      done = result.status === ReapStatus.Done;
      if (done) this.#publishLeave(result.removed);
    } finally {
      // Unlisted only after the leave packet went out (on the same connection, so first): a
      // survivor's check finds the node gone only once the packet is on its way. Left listed
      // when entries remain (the reap was cut short): a survivor then removes the rest.
      await this.unlock(nodeId, done);
    }
    return true;
  }

  /** One round: renews what this node knows, removes expired nodes, reports gone ones. */
  async check(): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    try {
      const { keys, nodeId } = this.host;
      const started = Date.now();
      const [alive, expired] = (await CHECK_NODES.run(this.host.redis(), keys.prefix)) as [
        string[],
        string[],
      ];
      // A node reported gone while this check was under way (its leave packet came in
      // meanwhile) was seen by a check that is already stale: it stays reported.
      const stale = (id: string): boolean => (this.#reported.get(id) ?? -1) >= started;
      const listed = new Set([...alive, ...expired]);
      for (const id of alive) {
        if (id === nodeId || stale(id)) continue;
        this.#known.add(id);
        this.#reported.delete(id);
        this.#missing.delete(id);
      }
      for (const id of expired) {
        if (id === nodeId || stale(id)) continue;
        this.#missing.delete(id);
        if (!this.#reported.has(id)) this.#known.add(id);
        await this.#reapExpired(id);
      }
      for (const id of [...this.#known]) {
        if (listed.has(id)) continue;
        if (this.#missing.delete(id)) this.#report(id, undefined);
        else this.#missing.add(id);
      }
      this.#forgetOld();
    } finally {
      this.#checking = false;
    }
  }

  /** An adapter packet from node `from` (never this node). */
  onControl(packet: BackplanePacket, from: string): void {
    const data = packet.data as { node?: unknown; claim?: unknown; removed?: unknown } | null;
    const node = data?.node;
    if (typeof node !== 'string' || node === this.host.nodeId) return;
    if (packet.kind === 'back') {
      // Back from an outage that outlasted nodeTimeout: its next end is a new one to report.
      this.#reported.delete(node);
      this.#missing.delete(node);
      this.#known.add(node);
      return;
    }
    if (this.#reported.has(node)) return;
    if (packet.kind === 'gone') {
      this.#report(node, undefined);
    } else if (packet.kind === 'leave') {
      const removed = Array.isArray(data?.removed) ? (data.removed as RemovedClient[]) : [];
      const claim = typeof data?.claim === 'string' ? data.claim : undefined;
      // Marked now, told once the claim is answered: a check meanwhile must not report it too.
      this.#reported.set(node, Date.now());
      this.#known.delete(node);
      this.#missing.delete(node);
      void this.#claim(claim).then((won) => this.host.nodeGone(node, won ? removed : undefined));
    } else {
      this.host.logger.debug('unknown adapter packet ignored', { kind: packet.kind, from });
    }
  }

  /**
   * Takes node `node`'s reap lock (this node's token, expiring after `nodeTimeout`); false when
   * another node holds it.
   */
  async lock(node: string): Promise<boolean> {
    const { keys, token, nodeTimeout } = this.host;
    const ok = await this.host.redis().set(keys.reapLock(node), token, 'PX', nodeTimeout, 'NX');
    return ok === 'OK';
  }

  /** Drops node `node`'s reap lock if this node holds it, and with `unlist` unlists the node. */
  async unlock(node: string, unlist: boolean): Promise<void> {
    const { keys, token } = this.host;
    await RELEASE_REAP.run(this.host.redis(), keys.prefix, node, token, unlist ? '1' : '0');
  }

  /**
   * Removes the entries of node `node`, whose liveness key must be gone, batch by batch, while
   * this node holds its reap lock. With `keepListed` the node stays in the node set (a closing
   * node unlists itself after telling the others).
   */
  async reap(node: string, keepListed: boolean): Promise<ReapResult> {
    const { keys, token } = this.host;
    const removed: RemovedClient[] = [];
    for (;;) {
      const [status, batch] = (await REAP_NODE.run(
        this.host.redis(),
        keys.prefix,
        node,
        REAP_BATCH,
        token,
        keepListed ? '1' : '0',
      )) as [ReapResult['status'], [string, string[], number][]];
      for (const [entry, topics, offline] of batch) {
        removed.push({ ...decodeEntry(entry), topics, userOffline: offline === 1 });
      }
      if (status !== ReapStatus.More) return { status, removed };
    }
  }

  async #reapExpired(node: string): Promise<void> {
    if (!(await this.lock(node))) return; // another survivor is at it: its packet tells
    let result: ReapResult;
    try {
      result = await this.reap(node, false);
    } finally {
      await this.unlock(node, false).catch((error: unknown) =>
        this.host.logger.debug('could not drop a reap lock (it expires)', { node, error }),
      );
    }
    if (result.status !== ReapStatus.Done) return;
    if (this.#reported.has(node)) {
      // The reap of a survivor that died half-way, finished after this node was told.
      if (result.removed.length > 0)
        this.host.logger.warn('removed entries of a node already reported gone', {
          node,
          clients: result.removed.length,
        });
      return;
    }
    this.#report(node, result.removed);
    this.host.publishControl({ kind: 'gone', data: { node } });
  }

  #publishLeave(removed: readonly RemovedClient[]): void {
    this.host.publishControl({
      kind: 'leave',
      data: { node: this.host.nodeId, claim: randomUUID(), removed },
    });
  }

  async #claim(claim: string | undefined): Promise<boolean> {
    if (claim === undefined) return false;
    const { keys, nodeId, nodeTimeout } = this.host;
    try {
      const ok = await this.host
        .redis()
        .set(keys.leaveClaim(claim), nodeId, 'PX', nodeTimeout, 'NX');
      return ok === 'OK';
    } catch {
      return false;
    }
  }

  #report(node: string, removed: readonly RemovedClient[] | undefined): void {
    this.#reported.set(node, Date.now());
    this.#known.delete(node);
    this.#missing.delete(node);
    this.host.nodeGone(node, removed);
  }

  #forgetOld(): void {
    const before = Date.now() - REMEMBER_GONE * this.host.nodeTimeout;
    for (const [node, at] of this.#reported) if (at < before) this.#reported.delete(node);
  }
}
