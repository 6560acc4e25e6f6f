/**
 * An application message: a type that selects the handler, a payload, and optional headers
 * (correlation ids, trace context, …).
 */
export interface SocketMessage<
  Payload = unknown,
  Headers extends Record<string, unknown> = Record<string, unknown>,
> {
  /** Selects the handler: 1–256 characters. */
  type: string;
  /** The data; any JSON-compatible value with the default codec. */
  payload: Payload;
  /** Optional metadata (correlation ids, trace context, …). */
  headers?: Headers;
  /**
   * On a message a client receives that the server relayed from another client: that client's
   * id. Set by the server only; ignored when sending.
   */
  from?: string;
}

/**
 * A map from message type to payload type. Give one to `SocketServer`/`SocketClient` to have the
 * compiler check every `type` and `payload` you send and receive.
 *
 * @example
 * ```ts
 * interface ChatIn { say: { text: string } }
 * interface ChatOut { said: { from: string; text: string } }
 * const server = new SocketServer<ChatIn, ChatOut>(adapter);
 * server.to('lobby').emit('said', { from: 'a', text: 'hi' }); // checked
 * ```
 */
export type MessageMap = object;

/** The map used when none is given: any type, any payload. */
export type AnyMessageMap = Record<string, unknown>;

/** The union of typed messages a map allows: `{ type: 'a', payload: A } | { type: 'b', … }`. */
export type MessageOf<M extends MessageMap> = {
  [K in keyof M & string]: SocketMessage<M[K]> & { type: K };
}[keyof M & string];
