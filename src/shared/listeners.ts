import type { Unsubscribe } from '../ports/types.js';

/**
 * An ordered list of callbacks for one domain event. A callback that throws does not stop the
 * others; its error goes to `onThrow` with the call's arguments, so one faulty handler never takes
 * the server down and the error can name the client it concerned.
 */
export class Listeners<F extends (...args: never[]) => void> {
  #list: F[] = [];

  constructor(private readonly onThrow: (error: unknown, args: Parameters<F>) => void) {}

  /** Adds `fn`; the returned function removes it (idempotent). */
  add(fn: F): Unsubscribe {
    if (typeof fn !== 'function') throw new TypeError('handler must be a function');
    this.#list = [...this.#list, fn];
    return () => {
      const index = this.#list.indexOf(fn);
      if (index !== -1)
        this.#list = [...this.#list.slice(0, index), ...this.#list.slice(index + 1)];
    };
  }

  /** Number of registered callbacks. */
  get size(): number {
    return this.#list.length;
  }

  /** Calls every callback with `args`, in registration order. */
  call(...args: Parameters<F>): void {
    const list = this.#list;
    for (let i = 0; i < list.length; i++) {
      try {
        list[i](...args);
      } catch (error) {
        this.onThrow(error, args);
      }
    }
  }

  /** Removes every callback. */
  clear(): void {
    this.#list = [];
  }
}
