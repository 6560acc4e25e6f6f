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

/** `ref()` / `unref()` a timer where the platform has them (Node); a no-op elsewhere. */
function refTimer(timer: ReturnType<typeof setTimeout> | undefined, ref: boolean): void {
  const t = timer as { ref?: () => void; unref?: () => void } | undefined;
  if (ref) t?.ref?.();
  else t?.unref?.();
}

function describe(what: PendingOptions['what']): string {
  return typeof what === 'string' ? what : what();
}

/** The longest delay `setTimeout` honours, in ms (about 24.8 days). */
const MAX_TIMER_DELAY = 2_147_483_647;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  /** When it times out (`Date.now()` ms), or Infinity. */
  deadline: number;
  what: PendingOptions['what'];
  timeout: number;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  onGiveUp: PendingOptions['onGiveUp'];
}

/**
 * Calls waiting for an answer, by id: one per side of a connection (the client's requests to the
 * server, the server's requests to one client). Every call ends exactly once — answered, timed
 * out, aborted, or failed by {@link failAll} when the connection goes — and releases its abort
 * listener when it does. A late answer (after a timeout) finds no entry and is dropped quietly.
 *
 * Timeouts share one timer, armed for the earliest deadline: a call costs no timer of its own
 * (arming and clearing one per request was a measurable share of a round trip). While no call is
 * waiting the timer is unref'd where the platform allows, so it never keeps a process alive;
 * {@link failAll} clears it.
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
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The deadline the timer is armed for. */
  #timerAt = Infinity;

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
      const { timeout } = options;
      const call: Pending = {
        resolve: resolve,
        reject,
        deadline: timeout === Infinity ? Infinity : Date.now() + timeout,
        what: options.what,
        timeout,
        signal,
        onAbort: undefined,
        onGiveUp: options.onGiveUp,
      };
      this.#calls.set(callId, call);
      if (call.deadline < this.#timerAt) this.#arm(call.deadline);
      else if (this.#calls.size === 1) refTimer(this.#timer, true);
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

  /** True while call `id` waits. */
  has(id: number): boolean {
    return this.#calls.has(id);
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

  /**
   * Fails every call in flight with `error` (the connection went) but those in `keep`, and stops
   * the timer when none is left. `quiet` skips `onGiveUp`: there is nobody left to tell.
   */
  failAll(error: PlugSocketError, keep?: ReadonlySet<number>, quiet = false): void {
    for (const id of [...this.#calls.keys()]) {
      if (keep?.has(id) === true) continue;
      if (quiet) this.#end(id)?.reject(error);
      else this.#giveUp(id, error);
    }
    if (this.#calls.size > 0) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    // setTimeout fires at once (after 1 ms) for a delay past 2^31 - 1 ms: wait that long instead.
    this.#timer = setTimeout(this.#sweep, Math.min(Math.max(at - Date.now(), 0), MAX_TIMER_DELAY));
  }

  /** Times out every call whose deadline passed, then arms the timer for the next deadline. */
  readonly #sweep = (): void => {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [id, call] of [...this.#calls]) {
      if (call.deadline <= now) {
        this.#giveUp(
          id,
          new PlugSocketError(
            'TIMEOUT',
            `no answer to ${describe(call.what)} in ${call.timeout} ms`,
          ),
        );
      } else if (call.deadline < next) next = call.deadline;
    }
    if (next !== Infinity && this.#timer === undefined) this.#arm(next);
  };

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
    // The timer stays armed (most calls end before their deadline), but holds nothing alive.
    if (this.#calls.size === 0) refTimer(this.#timer, false);
    if (call.onAbort !== undefined) call.signal?.removeEventListener('abort', call.onAbort);
    return call;
  }
}
