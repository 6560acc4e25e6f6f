import type { Middleware } from './middleware.js';

const NONE: readonly never[] = [];

/**
 * @internal The application middleware of a server: global (`server.use`) and per namespace
 * (`server.ns('/chat').use`). {@link chainFor} builds the chain for one name; with nothing
 * registered it returns one shared empty array, so the pipeline costs nothing.
 */
export class MiddlewareStack<P> {
  /** Replaced, never changed in place: a chain being run keeps the array it started with. */
  #global: readonly Middleware<P>[] = [];
  /** Namespace middleware by prefix (`chat/`, `chat/room/`). */
  readonly #byPrefix = new Map<string, Middleware<P>[]>();

  /** True when any middleware is registered. */
  get active(): boolean {
    return this.#global.length > 0 || this.#byPrefix.size > 0;
  }

  /** Adds middleware for every name under `prefix` (`''` for every name). */
  add(prefix: string, fn: Middleware<P>): void {
    if (typeof fn !== 'function') throw new TypeError('middleware must be a function');
    if (prefix === '') this.#global = [...this.#global, fn];
    else {
      const list = this.#byPrefix.get(prefix);
      if (list === undefined) this.#byPrefix.set(prefix, [fn]);
      else list.push(fn);
    }
  }

  /**
   * The chain for `name`: global middleware, then each enclosing namespace's from the outside in,
   * then `own` (the handler's).
   */
  chainFor(name: string, own: readonly Middleware<P>[] = NONE): readonly Middleware<P>[] {
    if (!this.active) return own;
    // The common case, global middleware only: the one array, not a copy per frame.
    if (this.#byPrefix.size === 0 && own.length === 0) return this.#global;
    const chain = [...this.#global];
    if (this.#byPrefix.size > 0) {
      for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
        const list = this.#byPrefix.get(name.slice(0, i + 1));
        if (list !== undefined) chain.push(...list);
      }
    }
    if (own.length > 0) chain.push(...own);
    return chain;
  }
}
