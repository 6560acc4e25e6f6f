import type { ConnectedClient } from './session.js';
import type { Handshake } from '../ports/types.js';

/**
 * What one inbound application frame — a message or a request — carries through the middleware
 * and to its handler.
 */
export interface InboundContext<P = unknown> {
  /** `'message'` for an event (`emit`), `'request'` for a call that expects an answer. */
  readonly kind: 'message' | 'request';
  /** The message type or handler name, with its namespace prefix (`chat/say`). */
  readonly name: string;
  /** The payload; middleware may replace it before the handler sees it. */
  payload: unknown;
  /** The frame's headers, if it had any. */
  readonly headers: Readonly<Record<string, unknown>> | undefined;
  /** The sender's id. */
  readonly clientId: string;
  /** The sender's principal, as the authorization strategy decided. */
  readonly principal: P;
  /** The sender. */
  readonly client: ConnectedClient<P>;
  /**
   * Aborts when the answer is no longer wanted: the sender disconnected, or cancelled its
   * request. Pass it on to anything slow the handler starts.
   */
  readonly signal: AbortSignal;
  /** Reads a value stored on the sender's connection (by any middleware or handler). */
  get<T = unknown>(key: string): T | undefined;
  /** Stores a value on the sender's connection, for every later frame of the same client. */
  set(key: string, value: unknown): void;
  /**
   * Requests only: answers now, with `result`, without running the rest of the chain or the
   * handler. A second answer is ignored. For a message it is a no-op.
   */
  reply(result?: unknown): void;
}

/**
 * Application middleware: `use(fn)`. Runs in declaration order, global middleware first, then
 * the namespace's, then the handler's own.
 *
 * - Call `await next()` to go on; code after it runs once the rest of the chain has finished.
 * - Short-circuit a request with `ctx.reply(result)`, or with `throw new PlugSocketError(code,
 *   message)`, which the sender receives as that typed error. Anything else thrown reaches the
 *   sender as `SERVER_ERROR` with a generic message (the server's `onError` gets the original).
 * - Not calling `next()` drops a message; a request that ends that way, without a reply, is
 *   answered with `UNAUTHORIZED`.
 */
export type Middleware<P = unknown> = (
  ctx: InboundContext<P>,
  next: () => Promise<void>,
) => void | Promise<void>;

/** What connection middleware sees: the handshake of a client not yet admitted. */
export interface ConnectionContext {
  /** What the client presented. */
  readonly handshake: Handshake;
  /** Stores a value on the connection; handlers read it later with `ctx.get`. */
  set(key: string, value: unknown): void;
  /** Reads a value an earlier connection middleware stored. */
  get<T = unknown>(key: string): T | undefined;
}

/**
 * Connection middleware: `useConnection(fn)`. Runs on the handshake before authorization, in
 * declaration order. Refuse by throwing a `PlugSocketError`: `AUTHENTICATION_FAILED` closes
 * with 4401, any other code with 4403, its message as the close reason. A middleware that does
 * not call `next()` refuses with 4403; any other throw closes with 1011.
 */
export type ConnectionMiddleware = (
  ctx: ConnectionContext,
  next: () => Promise<void>,
) => void | Promise<void>;

/** The promise `next()` returns when the rest of the chain finished synchronously. */
export const DONE: Promise<void> = Promise.resolve();

/**
 * Runs `chain` then `last` with koa-style `next()`. Synchronous middleware costs no promise: the
 * result is {@link DONE} (or undefined) when everything finished synchronously, otherwise a
 * promise that settles when the chain has.
 * @throws what a synchronous step threw (the returned promise rejects for an asynchronous one).
 */
export function runChain<C>(
  chain: readonly Step<C>[],
  ctx: C,
  last: (ctx: C) => void | Promise<void>,
): void | Promise<void> {
  return step(chain, ctx, last, 0);
}

type Step<C> = (ctx: C, next: () => Promise<void>) => void | Promise<void>;

// A module function, not a closure per message: only `next` is made per step, since it must know
// whether its own step already called it.
function step<C>(
  chain: readonly Step<C>[],
  ctx: C,
  last: (ctx: C) => void | Promise<void>,
  i: number,
): void | Promise<void> {
  if (i === chain.length) return last(ctx);
  let called = false;
  return chain[i](ctx, () => {
    if (called) return Promise.reject(new Error('next() called more than once'));
    called = true;
    const result = step(chain, ctx, last, i + 1);
    return result === undefined ? DONE : result;
  });
}

/** True when a step's result means "finished synchronously". */
export function isDone(result: void | Promise<void>): boolean {
  return result === undefined || result === DONE;
}
