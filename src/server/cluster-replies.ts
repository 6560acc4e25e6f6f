import { PlugSocketError, type SerializedError } from '../errors.js';
import type { BackplanePacket } from '../ports/backplane.js';
import { unref } from '../shared/unref.js';
import type { ClusterWire } from './cluster-wire.js';

/** A reply another node owes this one. */
export interface Pending {
  readonly node: string | undefined;
  resolve(value: unknown): void;
  reject(error: PlugSocketError): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * @internal The replies this node waits for from other nodes, by number: each settles once, on
 * its answer, its timeout, the link going down or closing, or its node leaving.
 */
export class ClusterReplies {
  #nextReply = 0;
  readonly #pending = new Map<number, Pending>();

  constructor(private readonly wire: ClusterWire) {}

  /** The reply numbered `r`, while it is awaited. */
  get(r: number): Pending | undefined {
    return this.#pending.get(r);
  }

  /** Registers a reply this node waits for; @returns its number. */
  expect(
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
  sendOrFail(r: number, node: string, packet: BackplanePacket): void {
    if (this.wire.state !== 'connected' || !this.wire.open) {
      this.#pending
        .get(r)
        ?.reject(new PlugSocketError('NOT_CONNECTED', 'the backplane is unreachable'));
      return;
    }
    try {
      this.wire.send(node, packet);
    } catch (error) {
      // A payload the backplane cannot carry (not JSON and bytes).
      this.#pending.get(r)?.reject(
        new PlugSocketError('INVALID_MESSAGE', 'the request cannot cross the backplane', {
          cause: error,
        }),
      );
    }
  }

  /** An answer, a broadcast request's answers, or a done from node `from`. */
  answered(from: string, data: Record<string, unknown>): void {
    const pending = this.#pending.get(data.r as number);
    if (pending === undefined || pending.node !== from) return;
    if (data.e !== undefined) pending.reject(PlugSocketError.fromWire(data.e as SerializedError));
    else pending.resolve(data.v);
  }

  /** Every reply still owed fails with `NOT_CONNECTED` and `reason`. */
  failAll(reason: string): void {
    for (const pending of [...this.#pending.values()])
      pending.reject(new PlugSocketError('NOT_CONNECTED', reason));
  }

  /** Node `node` left: what it owes fails. */
  failFrom(node: string): void {
    for (const pending of [...this.#pending.values()]) {
      if (pending.node === node)
        pending.reject(new PlugSocketError('NOT_CONNECTED', `node ${node} left the cluster`));
    }
  }
}
