import { PlugSocketError } from '../errors.js';

/** Ids 1, 2, 3, … for requests, wrapping before they stop being safe integers. */
export function idCounter(): () => number {
  let next = 1;
  return () => {
    const id = next;
    next = id >= Number.MAX_SAFE_INTEGER ? 1 : id + 1;
    return id;
  };
}

/** Options of one call to {@link PendingRequests.start}. */
export interface PendingOptions {
  /** Milliseconds before the call fails with `TIMEOUT`. */
  timeout: number;
  /** Fails the call with `ABORTED` when it aborts. */
  signal?: AbortSignal | undefined;
  /** What the call is, for error messages: `request "add"`; a function is called only then. */
  what: string | (() => string);
  /** Called once when the call ends without an answer (timeout, abort, failAll). */
  onGiveUp?: ((id: number, reason: PlugSocketError) => void) | undefined;
}

function describe(what: PendingOptions['what']): string {
  return typeof what === 'string' ? what : what();
}

/** The longest delay `setTimeout` honours, in ms (about 24.8 days). */
const MAX_TIMER_DELAY = 2_147_483_647;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  onGiveUp: PendingOptions['onGiveUp'];
}

/**
 * Calls waiting for an answer, by id: one per side of a connection (the client's requests to the
 * server, the server's requests to one client). Every call ends exactly once — answered, timed
 * out, aborted, or failed by {@link failAll} when the connection goes — and releases its timer
 * and abort listener when it does, so nothing outlives the connection. A late answer (after a
 * timeout) finds no entry and is dropped quietly.
 */
export class PendingRequests {
  readonly #calls = new Map<number, Pending>();

  /**
   * @param limit the most calls in flight at once; one more fails at once with
   *   `TOO_MANY_REQUESTS`.
   * @param nextId makes ids; a server shares one across its clients, so that one request frame
   *   can be sent to many. @default a counter of this instance
   */
  constructor(
    readonly limit: number,
    nextId?: () => number,
  ) {
    if (nextId !== undefined) this.#makeId = nextId;
  }

  #makeId = idCounter();

  /** Calls in flight. */
  get size(): number {
    return this.#calls.size;
  }

  /**
   * Starts a call: reserves an id (or uses `id`), hands it to `send` (which writes the request
   * frame) and resolves with the answer given to {@link settle}.
   */
  start<T>(options: PendingOptions, send: (id: number) => void, id?: number): Promise<T> {
    const { signal } = options;
    if (signal?.aborted === true) {
      return Promise.reject(
        new PlugSocketError('ABORTED', `${describe(options.what)} was aborted`),
      );
    }
    if (this.#calls.size >= this.limit) {
      return Promise.reject(
        new PlugSocketError(
          'TOO_MANY_REQUESTS',
          `${describe(options.what)}: ${this.limit} requests are already in flight`,
        ),
      );
    }
    const callId = id ?? this.#makeId();
    if (this.#calls.has(callId)) {
      return Promise.reject(
        new RangeError(`${describe(options.what)}: id ${callId} is already in flight`),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const call: Pending = {
        resolve: resolve,
        reject,
        timer: undefined,
        signal,
        onAbort: undefined,
        onGiveUp: options.onGiveUp,
      };
      this.#calls.set(callId, call);
      if (options.timeout !== Infinity) {
        call.timer = setTimeout(
          () =>
            this.#giveUp(
              callId,
              new PlugSocketError(
                'TIMEOUT',
                `no answer to ${describe(options.what)} in ${options.timeout} ms`,
              ),
            ),
          // setTimeout fires at once (after 1 ms) for a delay past 2^31 - 1 ms: wait that long instead.
          Math.min(options.timeout, MAX_TIMER_DELAY),
        );
      }
      if (signal !== undefined) {
        call.onAbort = () =>
          this.#giveUp(
            callId,
            new PlugSocketError('ABORTED', `${describe(options.what)} was aborted`),
          );
        signal.addEventListener('abort', call.onAbort, { once: true });
      }
      try {
        send(callId);
      } catch (error) {
        this.#end(callId);
        // A frame that cannot be encoded (a BigInt, a cycle) is the caller's mistake: its TypeError.
        reject(error instanceof Error ? error : new TypeError(String(error)));
      }
    });
  }

  /**
   * Settles call `id` with an answer. @returns false when no such call is waiting (a late or
   * unknown answer, to be dropped).
   */
  settle(id: number, error: PlugSocketError | undefined, result?: unknown): boolean {
    const call = this.#end(id);
    if (call === undefined) return false;
    if (error === undefined) call.resolve(result);
    else call.reject(error);
    return true;
  }

  /** Fails every call in flight with `error` (the connection went). */
  failAll(error: PlugSocketError): void {
    for (const id of [...this.#calls.keys()]) this.#giveUp(id, error);
  }

  #giveUp(id: number, error: PlugSocketError): void {
    const call = this.#end(id);
    if (call === undefined) return;
    call.reject(error);
    call.onGiveUp?.(id, error);
  }

  #end(id: number): Pending | undefined {
    const call = this.#calls.get(id);
    if (call === undefined) return undefined;
    this.#calls.delete(id);
    if (call.timer !== undefined) clearTimeout(call.timer);
    if (call.onAbort !== undefined) call.signal?.removeEventListener('abort', call.onAbort);
    return call;
  }
}
