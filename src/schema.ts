import type { AnyMessageMap } from './message.js';

/**
 * What a server and its clients say to each other, as one type both sides share: give it to
 * `SocketServer<S>` and `SocketClient<S>` and the compiler checks every message type, payload,
 * request name, request payload and result, on both sides.
 *
 * Every part is optional; a part left out allows anything. Declare the parts you use as required
 * properties (an optional property counts as left out).
 *
 * @example
 * ```ts
 * interface Chat {
 *   clientMessages: { say: { text: string } };            // client.emit('say', …)
 *   serverMessages: { said: { from: string; text: string } }; // server.to(room).emit('said', …)
 *   serverHandlers: { add(payload: { a: number; b: number }): number }; // client.request('add', …)
 *   clientHandlers: { confirm(payload: string): boolean };  // server.request(id, 'confirm', …)
 * }
 * const server = new SocketServer<Chat>(adapter);
 * const client = new SocketClient<Chat>(transport, { url });
 * const sum: number = await client.request('add', { a: 1, b: 2 });
 * ```
 */
export interface Schema {
  /** Messages (events) clients send: type → payload. */
  clientMessages?: object;
  /** Messages the server sends: type → payload. */
  serverMessages?: object;
  /** Requests the server answers: name → `(payload) => result` (the result may be a promise). */
  serverHandlers?: object;
  /**
   * Requests clients answer, asked by the server (`server.request`) or by another client
   * (`client.requestClient`): name → `(payload) => result`.
   */
  clientHandlers?: object;
}

/** The schema used when none is given: any message, any request. */
export type AnySchema = Schema;

/** Handlers by name when a schema does not say: any payload, any result. */
export type AnyHandlerMap = Record<string, (payload: unknown) => unknown>;

/**
 * One part of a schema (`serverMessages`, `clientHandlers`, …) when `S` declares it as an object,
 * `Fallback` (the untyped map) when it does not.
 */
export type Part<S, K extends keyof Schema, Fallback> = S extends { [P in K]-?: infer M }
  ? M extends object
    ? M
    : Fallback
  : Fallback;

/** Messages clients send, by type. */
export type ClientMessages<S> = Part<S, 'clientMessages', AnyMessageMap>;
/** Messages the server sends, by type. */
export type ServerMessages<S> = Part<S, 'serverMessages', AnyMessageMap>;
/** Requests the server answers, by name. */
export type ServerHandlers<S> = Part<S, 'serverHandlers', AnyHandlerMap>;
/** Requests clients answer, by name. */
export type ClientHandlers<S> = Part<S, 'clientHandlers', AnyHandlerMap>;

/** The names of a handler map. */
export type HandlerName<H> = keyof H & string;

/** The payload a handler of map `H` takes under `name`. */
export type PayloadOf<H, K extends keyof H> = H[K] extends (...args: infer A) => unknown
  ? A extends []
    ? undefined
    : A[0]
  : unknown;

/** What a handler of map `H` answers under `name` (promises unwrapped). */
export type ResultOf<H, K extends keyof H> = H[K] extends (...args: never[]) => infer R
  ? Awaited<R>
  : unknown;
