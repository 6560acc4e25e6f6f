/** Any event listener: the shape every entry of an {@link EventMap} has. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Listener = (...args: any[]) => void;

/** A map from event name to listener signature. */
export type EventMap<E> = { [K in keyof E]: Listener };

/**
 * A small typed event emitter without Node's `EventEmitter` (the ports must not depend on Node).
 * Listener arrays are copied on write, so a listener may add or remove listeners while an event is
 * being dispatched without disturbing that dispatch.
 */
export class Emitter<E extends EventMap<E>> {
  // Stored untyped: the event map's types stay out of the class's private shape, so an emitter of
  // narrower events (an adapter of text frames) is assignable to one of wider events.
  readonly #listeners = new Map<keyof E, Listener[]>();

  /** Adds a listener. The same function added twice is called twice. */
  on<K extends keyof E>(event: K, listener: E[K]): this {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    const list = this.#listeners.get(event);
    this.#listeners.set(event, list === undefined ? [listener] : [...list, listener]);
    return this;
  }

  /** Removes one registration of `listener`; does nothing when it is not registered. */
  off<K extends keyof E>(event: K, listener: E[K]): this {
    const list = this.#listeners.get(event);
    if (list === undefined) return this;
    const index = list.lastIndexOf(listener);
    if (index === -1) return this;
    if (list.length === 1) this.#listeners.delete(event);
    else this.#listeners.set(event, [...list.slice(0, index), ...list.slice(index + 1)]);
    return this;
  }

  /** Number of listeners for `event`, or for all events together when omitted. */
  listenerCount(event?: keyof E): number {
    if (event !== undefined) return this.#listeners.get(event)?.length ?? 0;
    let total = 0;
    for (const list of this.#listeners.values()) total += list.length;
    return total;
  }

  /**
   * Calls every listener of `event` in registration order. Returns false when there were none.
   * A listener that throws does not stop the others; the error goes to {@link onListenerError}.
   */
  protected emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): boolean {
    const list = this.#listeners.get(event);
    if (list === undefined) return false;
    for (let i = 0; i < list.length; i++) {
      try {
        list[i](...args);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
    return true;
  }

  /**
   * Called when a listener throws. Subclasses route it to their `error` event; the default
   * rethrows asynchronously so the failure is visible without corrupting the emitter's caller.
   */
  protected onListenerError(error: unknown, _event: keyof E): void {
    queueMicrotask(() => {
      throw error;
    });
  }
}
