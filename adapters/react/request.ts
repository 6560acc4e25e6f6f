// A server request as React state: call it from an event handler, render loading, data, error.
import { useCallback, useEffect, useRef, useState } from 'react';
import type {
  AnySchema,
  ClientRequestOptions,
  HandlerName,
  PayloadOf,
  PlugSocketError,
  ResultOf,
  Schema,
  ServerHandlers,
} from '../../src/index.js';
import { usePlugSocket } from './context.js';

/** The names of the server's handlers under schema `S`. */
export type RequestName<S extends Schema> = HandlerName<ServerHandlers<S>>;

/** What {@link useRequest} returns. */
export interface RequestState<Payload, Result> {
  /**
   * Calls the server's handler with `payload` (and the client's request options: `timeout`,
   * `headers`, `signal`) and resolves with its result, or rejects with the error — a
   * `PlugSocketError` with the code the handler threw, `TIMEOUT`, `NOT_CONNECTED`, … (catch it,
   * or `void call(…).catch(() => {})` when you only render {@link error}). The state follows the
   * latest call only: an earlier call that settles later changes nothing. Stable across renders.
   */
  readonly call: (payload: Payload, options?: ClientRequestOptions) => Promise<Result>;
  /** The result of the latest call that succeeded; kept while a new call runs. */
  readonly data: Result | undefined;
  /** The error of the latest call, when it failed; cleared when a new call starts. */
  readonly error: PlugSocketError | Error | undefined;
  /** True while the latest call runs. */
  readonly loading: boolean;
  /** Forgets `data` and `error` (and ignores a call still running). Stable across renders. */
  readonly reset: () => void;
}

interface Snapshot<Result> {
  readonly data: Result | undefined;
  readonly error: PlugSocketError | Error | undefined;
  readonly loading: boolean;
}

/** A snapshot with the client and handler name it belongs to: another pair shows {@link IDLE}. */
interface Keyed<Result> extends Snapshot<Result> {
  readonly client: unknown;
  readonly name: string;
}

const IDLE: Snapshot<never> = Object.freeze({ data: undefined, error: undefined, loading: false });

/** Calls a set-up's clean-up will abort a macrotask later, unless the same set-up runs again. */
interface PendingAbort {
  readonly client: unknown;
  readonly name: string;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * The server's request handler `name` as state: `call(payload)` runs it; `loading`, `data` and
 * `error` render its progress. When the component unmounts, or `name` or the client changes,
 * calls still running are aborted a macrotask later (`ABORTED`; the server is told to stop), their
 * results ignored and `loading` turned false; the state of another `name` or client starts empty.
 * StrictMode's simulated unmount, and an `<Activity>` hidden and shown again within the same
 * macrotask, abort nothing: the set-up that follows at once cancels the abort.
 *
 * @typeParam S the client's {@link Schema}: `name`, the payload and the result are checked by it.
 * @typeParam K the handler name.
 *
 * @example
 * ```tsx
 * function Adder() {
 *   const add = useRequest<Calc, 'add'>('add');
 *   return (
 *     <>
 *       <button onClick={() => void add.call({ a: 1, b: 2 }).catch(() => {})}>add</button>
 *       {add.loading ? 'working…' : add.error ? add.error.message : add.data}
 *     </>
 *   );
 * }
 * ```
 * @throws {Error} outside a {@link PlugSocketProvider}.
 */
export function useRequest<S extends Schema = AnySchema, K extends RequestName<S> = RequestName<S>>(
  name: K,
): RequestState<PayloadOf<ServerHandlers<S>, K>, ResultOf<ServerHandlers<S>, K>> {
  type Result = ResultOf<ServerHandlers<S>, K>;
  const client = usePlugSocket<S>();
  const [stored, setStored] = useState<Keyed<Result>>(() => ({ client, name, ...IDLE }));
  /** Which call the state follows: a call settling with another number is ignored. */
  const latest = useRef(0);
  /** Calls still running, aborted when the component unmounts or `client`/`name` changes. */
  const running = useRef(new Set<AbortController>());
  /** Calls aborted by a clean-up: they end without an error in the state. */
  const dropped = useRef(new WeakSet<AbortController>());
  const pending = useRef<PendingAbort | undefined>(undefined);

  useEffect(() => {
    const waiting = pending.current;
    if (waiting !== undefined && waiting.client === client && waiting.name === name) {
      // StrictMode's simulated unmount (or an <Activity> shown again at once): keep the calls.
      clearTimeout(waiting.timer);
      pending.current = undefined;
    }
    const calls = running.current;
    return () => {
      const owned = [...calls];
      const entry: PendingAbort = {
        client,
        name,
        timer: setTimeout(() => {
          if (pending.current === entry) pending.current = undefined;
          for (const controller of owned) {
            if (!calls.delete(controller)) continue;
            dropped.current.add(controller);
            controller.abort();
          }
        }, 0),
      };
      pending.current = entry;
    };
  }, [client, name]);

  const call = useCallback(
    async (payload: PayloadOf<ServerHandlers<S>, K>, options: ClientRequestOptions = {}) => {
      const id = ++latest.current;
      const mine = (s: Keyed<Result>): boolean =>
        id === latest.current && s.client === client && s.name === name;
      const controller = new AbortController();
      const outer = options.signal;
      const forward = (): void => controller.abort(outer?.reason);
      if (outer?.aborted === true) forward();
      else outer?.addEventListener('abort', forward, { once: true });
      running.current.add(controller);
      setStored((s) => {
        const base = s.client === client && s.name === name ? s : { client, name, ...IDLE };
        return base.loading && base.error === undefined && base === s
          ? s
          : { ...base, error: undefined, loading: true };
      });
      try {
        const result = await client.request(name, payload, {
          ...options,
          signal: controller.signal,
        });
        setStored((s) =>
          mine(s) ? { client, name, data: result, error: undefined, loading: false } : s,
        );
        return result;
      } catch (error) {
        const quiet = dropped.current.has(controller);
        setStored((s) => {
          if (!mine(s)) return s;
          if (quiet) return s.loading ? { ...s, loading: false } : s;
          return {
            ...s,
            error: error instanceof Error ? error : new Error(String(error)),
            loading: false,
          };
        });
        throw error;
      } finally {
        outer?.removeEventListener('abort', forward);
        running.current.delete(controller);
      }
    },
    [client, name],
  );

  const reset = useCallback(() => {
    latest.current++;
    setStored((s) =>
      s.loading || s.data !== undefined || s.error !== undefined ? { ...s, ...IDLE } : s,
    );
  }, []);

  const snapshot: Snapshot<Result> =
    stored.client === client && stored.name === name ? stored : IDLE;
  return { call, reset, data: snapshot.data, error: snapshot.error, loading: snapshot.loading };
}
