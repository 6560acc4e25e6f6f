import type { AnyMessageMap, MessageMap, SocketMessage } from './message.js';

/** @internal the server's delivery function the operator ends in. */
export type DeliverFn = (
  topics: readonly string[] | undefined,
  except: readonly string[] | undefined,
  message: SocketMessage,
) => number;

/**
 * A broadcast being described, read as a sentence:
 * `server.to('room').except(clientId).emit('chat', payload)`.
 *
 * Immutable: `to` and `except` return a new operator, so a prefix can be stored and reused. Only
 * `emit` sends, with the message encoded once for all recipients. A client in several of the
 * chosen topics receives the message once.
 */
export class BroadcastOperator<Out extends MessageMap = AnyMessageMap> {
  readonly #deliver: DeliverFn;
  readonly #topics: readonly string[] | undefined;
  readonly #except: readonly string[];

  /** @internal created by `SocketServer.to()` / `SocketServer.except()`. */
  constructor(
    deliver: DeliverFn,
    topics: readonly string[] | undefined,
    except: readonly string[],
  ) {
    this.#deliver = deliver;
    this.#topics = topics;
    this.#except = except;
  }

  /** Adds topics: the message goes to subscribers of any of them. */
  to(topic: string | readonly string[]): BroadcastOperator<Out> {
    const more = typeof topic === 'string' ? [topic] : topic;
    return new BroadcastOperator<Out>(
      this.#deliver,
      [...(this.#topics ?? []), ...more],
      this.#except,
    );
  }

  /** Leaves out one or more clients. */
  except(clientId: string | readonly string[]): BroadcastOperator<Out> {
    const more = typeof clientId === 'string' ? [clientId] : clientId;
    return new BroadcastOperator<Out>(this.#deliver, this.#topics, [...this.#except, ...more]);
  }

  /**
   * Sends `{ type, payload, headers }` to the chosen clients.
   * @returns the number of clients it was handed to.
   */
  emit<K extends keyof Out & string>(
    type: K,
    payload: Out[K],
    headers?: Record<string, unknown>,
  ): number {
    const message: SocketMessage =
      headers === undefined ? { type, payload } : { type, payload, headers };
    return this.#deliver(
      this.#topics,
      this.#except.length === 0 ? undefined : this.#except,
      message,
    );
  }
}
