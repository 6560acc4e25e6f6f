/** One registered listener. */
interface Entry<F> {
  readonly fn: F;
  readonly once: boolean;
}

/**
 * Listeners by event name, with the surface of Node's `EventEmitter` (`on`, `once`, `off`,
 * `prependListener`, …) plus a catch-all. Used by the server for client events and by the client
 * for server messages.
 *
 * A listener that throws does not stop the others: its error goes to `onThrow`. Lists are
 * copied on change, never on emit, so emitting allocates nothing and a listener added or removed
 * during an emit takes effect from the next one.
 */
export class EventListeners<
  F extends (...args: never[]) => unknown,
  A extends (...args: never[]) => unknown,
> {
  readonly #byName = new Map<string, readonly Entry<F>[]>();
  #any: readonly Entry<A>[] = [];
  #max = 10;
  readonly #warned = new Set<string>();

  /**
   * @param onThrow receives what a listener threw, with the event name.
   * @param onTooMany told once per name when a name has more listeners than the maximum (a
   *   likely leak), as Node's `MaxListenersExceededWarning`.
   */
  constructor(
    private readonly onThrow: (error: unknown, name: string | undefined) => void,
    private readonly onTooMany: (name: string, count: number) => void,
  ) {}

  /** Adds `fn` for `name`, after the others. */
  on(name: string, fn: F): void {
    this.#add(name, { fn, once: false }, false);
  }

  /** Adds `fn` for the next `name` event only. */
  once(name: string, fn: F): void {
    this.#add(name, { fn, once: true }, false);
  }

  /** Adds `fn` for `name`, before the others. */
  prepend(name: string, fn: F, once: boolean): void {
    this.#add(name, { fn, once }, true);
  }

  /** Removes `fn` from `name` (its last registration), or every listener of `name` without `fn`. */
  off(name: string, fn?: F): void {
    const list = this.#byName.get(name);
    if (list === undefined) return;
    if (fn === undefined) {
      this.#byName.delete(name);
      return;
    }
    let index = -1;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i].fn === fn) {
        index = i;
        break;
      }
    }
    if (index === -1) return;
    if (list.length === 1) this.#byName.delete(name);
    else this.#byName.set(name, [...list.slice(0, index), ...list.slice(index + 1)]);
  }

  /** Removes every listener of `name`, or of every name (catch-alls too) without one. */
  clear(name?: string): void {
    if (name !== undefined) {
      this.#byName.delete(name);
      return;
    }
    this.#byName.clear();
    this.#any = [];
  }

  /** Adds a catch-all, called for every event after the listeners of its name. */
  onAny(fn: A, prepend = false): void {
    if (typeof fn !== 'function') throw new TypeError('listener must be a function');
    const entry = { fn, once: false };
    this.#any = prepend ? [entry, ...this.#any] : [...this.#any, entry];
  }

  /** Removes a catch-all, or every catch-all without `fn`. */
  offAny(fn?: A): void {
    this.#any = fn === undefined ? [] : this.#any.filter((e) => e.fn !== fn);
  }

  /** The listeners of `name`. */
  count(name: string): number {
    return this.#byName.get(name)?.length ?? 0;
  }

  /** True when `name` has a listener (catch-alls not counted). */
  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** The number of names that have listeners. */
  get nameCount(): number {
    return this.#byName.size;
  }

  /** True when any catch-all is registered. */
  get hasAny(): boolean {
    return this.#any.length > 0;
  }

  /** The names that have listeners. */
  names(): string[] {
    return [...this.#byName.keys()];
  }

  /** The listener functions of `name`, in call order. */
  listeners(name: string): F[] {
    return (this.#byName.get(name) ?? []).map((e) => e.fn);
  }

  /** The most listeners one name may have before `onTooMany` is told (0 = no limit). */
  get max(): number {
    return this.#max;
  }

  set max(n: number) {
    if (!Number.isInteger(n) || n < 0) throw new RangeError('max listeners must be an integer ≥ 0');
    this.#max = n;
  }

  /**
   * Calls the listeners of `name` with `args`, then the catch-alls with `anyArgs`.
   * @returns true when at least one listener (of the name or catch-all) was called.
   */
  emit(name: string, args: Parameters<F>, anyArgs: Parameters<A>): boolean {
    const list = this.#byName.get(name);
    const any = this.#any;
    if (list !== undefined) {
      for (let i = 0; i < list.length; i++) {
        const entry = list[i];
        // This registration, not the function's last one (it may also be registered with `on`).
        if (entry.once) this.#remove(name, entry);
        try {
          entry.fn(...args);
        } catch (error) {
          this.onThrow(error, name);
        }
      }
    }
    for (let i = 0; i < any.length; i++) {
      try {
        any[i].fn(...anyArgs);
      } catch (error) {
        this.onThrow(error, name);
      }
    }
    return list !== undefined || any.length > 0;
  }

  /** Removes one registration, if it is still there. */
  #remove(name: string, entry: Entry<F>): void {
    const list = this.#byName.get(name);
    const index = list === undefined ? -1 : list.indexOf(entry);
    if (list === undefined || index === -1) return;
    if (list.length === 1) this.#byName.delete(name);
    else this.#byName.set(name, [...list.slice(0, index), ...list.slice(index + 1)]);
  }

  #add(name: string, entry: Entry<F>, prepend: boolean): void {
    if (typeof name !== 'string') throw new TypeError('event name must be a string');
    if (typeof entry.fn !== 'function') throw new TypeError('listener must be a function');
    const list = this.#byName.get(name) ?? [];
    const next = prepend ? [entry, ...list] : [...list, entry];
    this.#byName.set(name, next);
    if (this.#max > 0 && next.length > this.#max && !this.#warned.has(name)) {
      this.#warned.add(name);
      this.onTooMany(name, next.length);
    }
  }
}
