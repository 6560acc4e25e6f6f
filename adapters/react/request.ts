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

const IDLE: Snapshot<never> = Object.freeze({ data: undefined, error: undefined, loading: false });

/**
 * The server's request handler `name` as state: `call(payload)` runs it; `loading`, `data` and
 * `error` render its progress. When the component unmounts, calls still running are aborted
 * (`ABORTED`; the server is told to stop) and their results ignored.
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
  const [snapshot, setSnapshot] = useState<Snapshot<Result>>(IDLE);
  /** Which call the state follows: a call settling with another number is ignored. */
  const latest = useRef(0);
  /** Aborts every call still running when the component unmounts. */
  const running = useRef(new Set<AbortController>());

  useEffect(() => {
    const calls = running.current;
    return () => {
      latest.current++;
      for (const controller of calls) controller.abort();
      calls.clear();
    };
  }, []);

  const call = useCallback(
    async (payload: PayloadOf<ServerHandlers<S>, K>, options: ClientRequestOptions = {}) => {
      const id = ++latest.current;
      const controller = new AbortController();
      const outer = options.signal;
      const forward = (): void => controller.abort(outer?.reason);
      if (outer?.aborted === true) forward();
      else outer?.addEventListener('abort', forward, { once: true });
      running.current.add(controller);
      setSnapshot((s) =>
        s.loading && s.error === undefined ? s : { ...s, error: undefined, loading: true },
      );
      try {
        const result = await client.request(name, payload, {
          ...options,
          signal: controller.signal,
        });
        if (id === latest.current) setSnapshot({ data: result, error: undefined, loading: false });
        return result;
      } catch (error) {
        if (id === latest.current)
          setSnapshot((s) => ({
            data: s.data,
            error: error instanceof Error ? error : new Error(String(error)),
            loading: false,
          }));
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
    setSnapshot(IDLE);
  }, []);

  return { call, reset, ...snapshot };
}
