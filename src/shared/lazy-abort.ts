/**
 * An abort signal made only if someone asks for it. Creating an `AbortSignal` costs a few
 * microseconds (an `EventTarget` on Node), a real share of a request's round trip, and most
 * handlers never read theirs; until then, aborting only sets a flag.
 */
export class LazyAbort {
  #controller: AbortController | undefined;
  #aborted = false;

  /** True once {@link abort} was called. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** The signal, made on first read (already aborted if {@link abort} came first). */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#controller?.abort();
  }
}
