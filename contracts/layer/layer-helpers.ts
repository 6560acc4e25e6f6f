import { expect, show } from '../assert.js';
import {
  PlugSocketError,
  type AuthorizationStrategy,
  type ErrorCode,
  type SocketClient,
  type SocketMessage,
  type SocketServer,
} from '../../src/index.js';
import { waitFor, withTimeout } from '../helpers.js';

/**
 * The timeout of the requests that tests let time out: short, since the suite runs over real
 * transports and cannot use fake timers, yet long enough for every answer that should arrive.
 */
export const SHORT_TIMEOUT = 300;

/** Reconnect settings short enough for a contract run. */
export const QUICK_RECONNECT = { retries: 20, minDelay: 20, maxDelay: 100 } as const;

/**
 * The least time, measured by a test, in which a request with {@link SHORT_TIMEOUT} may time out.
 * Node starts a timer from the event loop's cached clock, which lags the wall clock by however long
 * the current tick has run, so on a busy machine a timer fires early by that much; half the timeout
 * still tells a honoured timeout from none at all.
 */
export const SHORT_TIMEOUT_FLOOR = SHORT_TIMEOUT / 2;

/**
 * Asserts that `error` is a `PlugSocketError` with `code`, and returns it for further checks.
 * `what` says, in words, where the error came from (the call that should have failed); the failure
 * compares the codes, and names the error's message, or the value that came instead of a
 * `PlugSocketError`, as in `connect() of a banned client: the PlugSocketError code (its message:
 * "boom"): expected "SERVER_ERROR" to equal "UNAUTHORIZED"`.
 */
export function expectCode(error: unknown, code: ErrorCode, what: string): PlugSocketError {
  // Same check as `PlugSocketError.is(error, code)`, but on the code, so the failure shows both.
  const actual = PlugSocketError.is(error)
    ? error.code
    : error === undefined
      ? 'no error at all'
      : `${show(error)}, not a PlugSocketError`;
  const message = PlugSocketError.is(error) ? ` (its message: ${show(error.message)})` : '';
  expect(actual, `${what}: the PlugSocketError code${message}`).to.equal(code);
  return error as PlugSocketError;
}

/** Every message of `type` that `client` receives from now on, in order. */
export function inbox(client: SocketClient, type: string): SocketMessage[] {
  const got: SocketMessage[] = [];
  client.subscribe(type, (_payload, message) => void got.push(message));
  return got;
}

/** Every payload of `type` that `client` receives from now on, in order. */
export function received(
  client: { subscribe: (t: string, f: (p: unknown, m: SocketMessage) => void) => unknown },
  type: string,
): unknown[] {
  const got: unknown[] = [];
  client.subscribe(type, (payload) => void got.push(payload));
  return got;
}

/**
 * A promise that resolves once `signal` aborts (at once if it already has): the body of a handler
 * that never answers by itself, so the test can see its `signal` abort.
 */
export function untilAborted(signal: AbortSignal): Promise<'aborted'> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve('aborted');
    else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
}

let flushes = 0;

/**
 * Resolves once `client` has received a marker the server sends it now. Frames on one connection
 * arrive in order, so everything the server sent that client before has arrived by then: a test
 * can assert that something did *not* arrive without a fixed sleep.
 */
export async function flushed(
  server: SocketServer,
  client: SocketClient,
  ms: number,
): Promise<void> {
  const marker = ++flushes;
  let seen = false;
  const off = client.subscribe('$flush', (payload) => {
    if (payload === marker) seen = true;
  });
  try {
    expect(
      server.sendToClient(client.id!, { type: '$flush', payload: marker }),
      `sendToClient of a flush marker to client ${client.id} (the test expects it connected)`,
    ).to.equal(true);
    await waitFor(() => seen, ms, `the flush marker at client ${client.id}`);
  } finally {
    off();
  }
}

/**
 * Milliseconds `promise` takes to settle, with its value or rejection reason; rejects (naming
 * `what`) when it has not settled within `bound` ms.
 */
export async function timed<T>(
  promise: Promise<T>,
  bound: number,
  what: string,
): Promise<{ ms: number; value?: T; error?: unknown }> {
  const start = Date.now();
  const outcome = await withTimeout(
    promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    bound,
    what,
  );
  return { ms: Date.now() - start, ...outcome };
}

/** A principal with an `id`, which the server's default `principalId` reads. */
export interface User {
  readonly id: string;
}

/**
 * An authorization strategy that hands out the given user ids in admission order, so that a test
 * that connects its clients one after the other knows who is who without needing a handshake
 * capability of the transport.
 */
export function usersInOrder(...ids: string[]): AuthorizationStrategy<User> {
  const queue = [...ids];
  return {
    applyAuthorization: (options) => options,
    authorize: () => {
      const id = queue.shift();
      return id === undefined
        ? { ok: false, reason: 'no user left' }
        : { ok: true, principal: { id } };
    },
  };
}
