import { PlugSocketError } from '../errors.js';
import type { AnyFrame } from '../ports/types.js';

/** What the offline queue does when it is full. */
export type QueueOverflow = 'drop-oldest' | 'reject';

interface Entry {
  readonly frame: AnyFrame;
  /** The request id, for a request: it is failed if its frame is dropped. */
  readonly id: number | undefined;
}

/**
 * @internal The client's offline queue: messages and requests made while the client is not open
 * (before the first connect, while connecting or reconnecting) wait here, encoded, in order, and
 * are sent first once it is open. Bounded: past `limit`, `reject` refuses the new frame with
 * `QUEUE_FULL`, `drop-oldest` drops the oldest (a request among the dropped is failed with
 * `QUEUE_FULL`).
 */
export class Outbox {
  #entries: Entry[] = [];

  constructor(
    private readonly limit: number,
    private readonly overflow: QueueOverflow,
    /** Fails a queued request whose frame will never be sent. */
    private readonly fail: (id: number, error: PlugSocketError) => void,
  ) {}

  /** Frames waiting. */
  get size(): number {
    return this.#entries.length;
  }

  /** Queues a frame. @throws {PlugSocketError} `QUEUE_FULL` when full and the policy is `reject`. */
  push(frame: AnyFrame, id: number | undefined): void {
    if (this.#entries.length >= this.limit) {
      const full = new PlugSocketError(
        'QUEUE_FULL',
        `the offline queue holds ${this.limit} frames already`,
      );
      if (this.overflow === 'reject') throw full;
      const oldest = this.#entries.shift();
      if (oldest?.id !== undefined) this.fail(oldest.id, full);
    }
    this.#entries.push({ frame, id });
  }

  /** Removes the queued request `id` (given up before it was sent). @returns whether it was queued. */
  remove(id: number): boolean {
    const index = this.#entries.findIndex((e) => e.id === id);
    if (index === -1) return false;
    this.#entries.splice(index, 1);
    return true;
  }

  /** The ids of the requests waiting here. */
  requestIds(): Set<number> {
    const ids = new Set<number>();
    for (const entry of this.#entries) if (entry.id !== undefined) ids.add(entry.id);
    return ids;
  }

  /** Takes every queued frame, in order, leaving the queue empty. */
  take(): Entry[] {
    const entries = this.#entries;
    this.#entries = [];
    return entries;
  }

  /** Empties the queue, failing the queued requests with `error` (the client closed for good). */
  clear(error: PlugSocketError): void {
    for (const entry of this.take()) if (entry.id !== undefined) this.fail(entry.id, error);
  }
}

/**
 * @internal The offline queue `messageQueueSize` and `queueOverflow` ask for; undefined when the
 * size is 0 (no queue: sending while not open throws).
 * @throws {RangeError} for a size that is not a number ≥ 0.
 * @throws {TypeError} for an unknown overflow policy.
 */
export function createOutbox(
  size: number | undefined,
  overflow: QueueOverflow | undefined,
  fail: (id: number, error: PlugSocketError) => void,
): Outbox | undefined {
  const limit = size ?? 1000;
  if (typeof limit !== 'number' || !(limit >= 0)) {
    throw new RangeError(`messageQueueSize must be a number ≥ 0, got ${String(limit)}`);
  }
  const policy = overflow ?? 'reject';
  if (policy !== 'reject' && policy !== 'drop-oldest') {
    throw new TypeError(`queueOverflow must be 'reject' or 'drop-oldest', got ${String(policy)}`);
  }
  return limit === 0 ? undefined : new Outbox(limit, policy, fail);
}
