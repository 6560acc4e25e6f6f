import type { AnyFrame } from '../ports/types.js';
import { frameSize } from '../protocol/frame-size.js';

/** How much a session keeps of what it sent, for a resume. */
export interface ResumeLogLimits {
  /** Frames kept at most. @default 1000 */
  readonly maxMessages: number;
  /** Bytes of frames kept at most (a broadcast counts in each session it went to). @default 1 MiB */
  readonly maxBytes: number;
}

/** The first ring's size. */
const FIRST_RING = 8;
/** A ring larger than this is let go when it empties. */
const SMALL_RING = 64;

/**
 * @internal One session's side of the resume protocol: what it sent (the stream frames, by
 * position, kept until the client acknowledges them with `got` or the limits push the oldest
 * out) and how many stream frames it took from the client. A broadcast frame is the same object
 * in every recipient's log: a log holds references, its bytes are counted, not copied.
 *
 * The log is a ring: a power-of-two array of frames and one of their sizes, from `#head`, grown by
 * doubling when full (up to the first power of two above `maxMessages`) and let go when it empties
 * after growing past {@link SMALL_RING}. Adding a frame and dropping the oldest are O(1).
 */
export class ResumeLog {
  /**
   * The secret before the last renewal, still accepted: a connection that dropped before the
   * client read the welcome carrying the new one leaves it with the old.
   */
  previousSecret: string | undefined;
  /** Stream frames taken from the client. */
  received = 0;
  /** `received` when the last `got` went out. */
  gotSent = 0;
  /** Stream position of the first frame kept. */
  start = 0;
  /** The ring of frames kept, oldest at `#head`; created on the first one. */
  #frames: (AnyFrame | undefined)[] | undefined;
  /** Their sizes, in step with `#frames`. */
  #sizes: Float64Array | undefined;
  #head = 0;
  #bytes = 0;
  /** The frames sent in this session: the position the next one takes. */
  sent = 0;

  constructor(
    /** The secret of the resume token the client presents next. */
    public secret: string,
    private readonly limits: ResumeLogLimits,
  ) {}

  /**
   * Which of this session's secrets `secret` is: `current`, `previous` (the client never read the
   * welcome that renewed it), or undefined for neither.
   */
  accepts(secret: string): 'current' | 'previous' | undefined {
    if (this.secret !== '' && sameSecret(this.secret, secret)) return 'current';
    const previous = this.previousSecret;
    return previous !== undefined && sameSecret(previous, secret) ? 'previous' : undefined;
  }

  /**
   * Renews the secret for the next welcome. The one it replaces stays acceptable unless the
   * client presented the previous one (it never read the last welcome): that one stays then.
   */
  renew(secret: string, keepPrevious: boolean): void {
    if (!keepPrevious && this.secret !== '') this.previousSecret = this.secret;
    this.secret = secret;
  }

  /** Frames kept now. */
  get length(): number {
    return this.sent - this.start;
  }

  /** Bytes kept now. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Keeps a stream frame sent (or to be sent) to the client: it takes the next position. `size`
   * is the frame's {@link logSize}, measured once for all the logs a broadcast goes to.
   */
  push(frame: AnyFrame, size: number): void {
    let frames = this.#frames;
    const length = this.sent - this.start;
    if (frames === undefined || length === frames.length) frames = this.#grow(length);
    const at = (this.#head + length) & (frames.length - 1);
    frames[at] = frame;
    this.#sizes![at] = size;
    this.sent++;
    this.#bytes += size;
    const { maxMessages, maxBytes } = this.limits;
    while (this.sent - this.start > maxMessages || (this.#bytes > maxBytes && this.length > 0)) {
      this.#dropFirst();
    }
  }

  /**
   * The client took the first `n` frames: those before `n` are dropped.
   * @returns false when `n` is beyond what was sent (a peer that does not count right).
   */
  acknowledge(n: number): boolean {
    if (n > this.sent) return false;
    while (this.start < n) this.#dropFirst();
    return true;
  }

  /**
   * The frames from position `n` on, for a client that has received `n`: undefined when some of
   * them were dropped (the log overflowed) or `n` is beyond what was sent.
   */
  from(n: number): AnyFrame[] | undefined {
    if (n < this.start || n > this.sent) return undefined;
    return this.#range(n - this.start);
  }

  /** True when the frames from position `n` on are all kept (a client that has `n` may resume). */
  has(n: number): boolean {
    return n >= this.start && n <= this.sent;
  }

  /** Every frame kept, oldest first (for a record). */
  kept(): AnyFrame[] {
    return this.#range(0);
  }

  /** Refills the log from a record: `frames` are positions `start`, `start + 1`, … */
  restore(start: number, frames: readonly AnyFrame[], received: number): void {
    this.start = start;
    this.sent = start;
    this.received = received;
    this.gotSent = received;
    for (const frame of frames) this.push(frame, logSize(frame, this.limits.maxBytes));
  }

  /** Frees what is kept. */
  clear(): void {
    this.start = this.sent;
    this.#frames = undefined;
    this.#sizes = undefined;
    this.#head = 0;
    this.#bytes = 0;
  }

  /** The frames kept from the `skip`-th on, oldest first. */
  #range(skip: number): AnyFrame[] {
    const frames = this.#frames;
    const out: AnyFrame[] = [];
    if (frames === undefined) return out;
    const mask = frames.length - 1;
    for (let i = skip, length = this.length; i < length; i++) {
      out.push(frames[(this.#head + i) & mask]!);
    }
    return out;
  }

  /** A ring twice as large (or the first one), the frames kept moved to its front. */
  #grow(length: number): (AnyFrame | undefined)[] {
    const old = this.#frames;
    const oldSizes = this.#sizes;
    const capacity = old === undefined ? FIRST_RING : old.length * 2;
    const frames = new Array<AnyFrame | undefined>(capacity);
    const sizes = new Float64Array(capacity);
    if (old !== undefined && oldSizes !== undefined) {
      const mask = old.length - 1;
      for (let i = 0; i < length; i++) {
        const from = (this.#head + i) & mask;
        frames[i] = old[from];
        sizes[i] = oldSizes[from];
      }
    }
    this.#frames = frames;
    this.#sizes = sizes;
    this.#head = 0;
    return frames;
  }

  #dropFirst(): void {
    const frames = this.#frames!;
    const head = this.#head;
    this.#bytes -= this.#sizes![head];
    frames[head] = undefined;
    this.#head = (head + 1) & (frames.length - 1);
    this.start++;
    // Emptied after a burst: the large ring goes, an idle session keeps none of it.
    if (this.start === this.sent && frames.length > SMALL_RING) {
      this.#frames = undefined;
      this.#sizes = undefined;
      this.#head = 0;
    }
  }
}

/** A frame's size as a log counts it: text and binary by length, a structured frame by its JSON. */
export function logSize(frame: AnyFrame, limit: number): number {
  if (typeof frame === 'string') return frame.length;
  return frameSize(frame, limit);
}

/** Compares two secrets in a time that does not depend on where they differ. */
export function sameSecret(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
