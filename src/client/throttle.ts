import type { AnyFrame } from '../ports/types.js';

/**
 * @internal The client's `maxRate`: frames go out at most `rate` per second on average, with a
 * burst of one second's worth after a quiet spell. Past it they wait in a queue, in order, and
 * one timer sends them as tokens come back — no busy loop, nothing dropped while connected. A
 * frame never overtakes one queued before it.
 */
export class SendThrottle {
  #tokens: number;
  #last = Date.now();
  readonly #queue: AnyFrame[] = [];
  /** The caller's tag of each queued frame, handed back with it. */
  readonly #tags: number[] = [];
  #head = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** While paused nothing is written: what waits is kept for when the connection is back. */
  #paused = false;

  constructor(
    private readonly rate: number,
    private readonly write: (frame: AnyFrame, tag: number) => boolean,
  ) {
    this.#tokens = rate;
  }

  /** Frames waiting. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /**
   * Sends `frame` now if the rate allows and nothing waits, else queues it. `tag` is handed to
   * `write` with the frame, whenever it goes.
   */
  send(frame: AnyFrame, tag: number): boolean {
    if (this.queued === 0 && !this.#paused) {
      this.#refill();
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return this.write(frame, tag);
      }
    }
    this.#queue.push(frame);
    this.#tags.push(tag);
    this.#schedule();
    return true;
  }

  /**
   * Stops writing and keeps what waits (the connection is lost, and the session may resume): on
   * {@link resume} it goes out at the rate, as if nothing had happened.
   */
  pause(): void {
    this.#paused = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Writes again what waits, at the rate. */
  resume(): void {
    this.#paused = false;
    if (this.queued > 0) this.#schedule();
  }

  /** Drops what waits (the connection it was for is gone). */
  clear(): void {
    this.#paused = false;
    this.#queue.length = 0;
    this.#tags.length = 0;
    this.#head = 0;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #refill(): void {
    const now = Date.now();
    if (now > this.#last) {
      this.#tokens = Math.min(this.rate, this.#tokens + ((now - this.#last) * this.rate) / 1000);
      this.#last = now;
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#paused) return;
    const wait = Math.max(1, Math.ceil(((1 - this.#tokens) * 1000) / this.rate));
    this.#timer = setTimeout(this.#drain, wait);
  }

  readonly #drain = (): void => {
    this.#timer = undefined;
    this.#refill();
    while (this.queued > 0 && this.#tokens >= 1) {
      this.#tokens -= 1;
      const frame = this.#queue[this.#head];
      const tag = this.#tags[this.#head];
      this.#queue[this.#head++] = '';
      this.write(frame, tag);
    }
    if (this.queued === 0) {
      this.#queue.length = 0;
      this.#tags.length = 0;
      this.#head = 0;
    } else this.#schedule();
  };
}
