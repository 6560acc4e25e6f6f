import { unref } from '../shared/unref.js';
import type { PlugSocketError } from '../errors.js';

/** Milliseconds between two checks of the transport's backlog while someone waits. */
const CHECK_INTERVAL = 10;

/**
 * @internal The producers waiting in `drained()`. The client port has no drain event (not every
 * transport reports one), so while anyone waits one timer asks `isDrained` every 10 ms; nobody
 * waiting, no timer.
 */
export class DrainWatch {
  #waiters: { resolve: () => void; reject: (error: PlugSocketError) => void }[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly isDrained: () => boolean) {}

  /** Resolves once `isDrained()` holds (checked now, then every 10 ms). */
  wait(): Promise<void> {
    if (this.isDrained()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      if (this.#timer === undefined) {
        this.#timer = setInterval(this.#check, CHECK_INTERVAL);
        // A wait alone does not keep the process alive (a client that never connects, say).
        unref(this.#timer);
      }
    });
  }

  /** Rejects every waiter with `error` (the client closed for good). */
  fail(error: PlugSocketError): void {
    this.#settle(error);
  }

  readonly #check = (): void => {
    if (this.isDrained()) this.#settle(undefined);
  };

  #settle(error: PlugSocketError | undefined): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    for (const waiter of waiters) {
      if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
  }
}
