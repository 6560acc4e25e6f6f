import type { AnyMessageMap, MessageMap, SocketMessage } from '../message.js';
import type { AnyHandlerMap, HandlerName, PayloadOf, ResultOf } from '../schema.js';
import type { BroadcastReplies } from './requests.js';

/** @internal What an operator ends in: the server's delivery and its request to many. */
export interface BroadcastTarget {
  deliver(
    topics: readonly string[] | undefined,
    except: readonly string[] | undefined,
    message: SocketMessage,
    volatile: boolean,
  ): number;
  requestMany(
    topics: readonly string[] | undefined,
    except: readonly string[] | undefined,
    name: string,
    payload: unknown,
    timeout: number | undefined,
  ): Promise<BroadcastReplies>;
}

/**
 * A broadcast being described, read as a sentence:
 * `server.to('room').except(clientId).emit('chat', payload)`, or, collecting answers,
 * `server.to('room').timeout(5000).request('vote', question)`, or, for frames a newer one soon
 * replaces, `server.to('room').volatile.emit('position', xy)`.
 *
 * Immutable: `to`, `except`, `timeout` and `volatile` return a new operator, so a prefix can be stored and
 * reused. Only `emit` and `request` send, with the frame encoded once for all recipients. A client
 * in several of the chosen topics receives it once.
 *
 * @typeParam Out messages the server sends (type → payload).
 * @typeParam H requests clients answer (name → handler signature).
 */
export class BroadcastOperator<
  Out extends MessageMap = AnyMessageMap,
  H extends object = AnyHandlerMap,
> {
  readonly #target: BroadcastTarget;
  readonly #topics: readonly string[] | undefined;
  readonly #except: readonly string[];
  readonly #timeout: number | undefined;
  readonly #prefix: string;
  readonly #volatile: boolean;

  /** @internal created by `SocketServer.to()` / `SocketServer.except()` and namespaces. */
  constructor(
    target: BroadcastTarget,
    topics: readonly string[] | undefined,
    except: readonly string[],
    timeout?: number,
    prefix = '',
    volatile = false,
  ) {
    this.#target = target;
    this.#topics = topics;
    this.#except = except;
    this.#timeout = timeout;
    this.#prefix = prefix;
    this.#volatile = volatile;
  }

  /** @internal where this operator ends, for namespaces that derive a prefixed one. */
  get target(): BroadcastTarget {
    return this.#target;
  }

  /** Adds topics: the message goes to subscribers of any of them. */
  to(topic: string | readonly string[]): BroadcastOperator<Out, H> {
    const more = typeof topic === 'string' ? [topic] : topic;
    return this.#with([...(this.#topics ?? []), ...more], this.#except, this.#timeout);
  }

  /** Leaves out one or more clients. */
  except(clientId: string | readonly string[]): BroadcastOperator<Out, H> {
    const more = typeof clientId === 'string' ? [clientId] : clientId;
    return this.#with(this.#topics, [...this.#except, ...more], this.#timeout);
  }

  /**
   * How long {@link request} waits for the answers, in milliseconds.
   * @default the server's `requestTimeout`
   */
  timeout(ms: number): BroadcastOperator<Out, H> {
    if (typeof ms !== 'number' || !(ms > 0))
      throw new RangeError('timeout must be a positive number');
    return this.#with(this.#topics, this.#except, ms);
  }

  /**
   * The same broadcast, volatile (Socket.IO's `volatile`): a recipient whose send backlog is above
   * the transport's `highWaterMark` (a slow or stalled reader) is skipped instead of having the
   * message queued, while the others receive it. For messages a newer one soon replaces
   * (positions, tickers, typing indicators); see docs/backpressure.md. Applies to {@link emit}:
   * a {@link request} is never volatile, as a skipped one would only time out.
   * @example server.to('game-7').volatile.emit('positions', frame)
   */
  get volatile(): BroadcastOperator<Out, H> {
    if (this.#volatile) return this;
    return new BroadcastOperator<Out, H>(
      this.#target,
      this.#topics,
      this.#except,
      this.#timeout,
      this.#prefix,
      true,
    );
  }

  /**
   * Sends `{ type, payload, headers }` to the chosen clients.
   * @returns the number of clients it was handed to (on a {@link volatile} operator, saturated
   *   recipients that were skipped are not counted).
   */
  emit<K extends keyof Out & string>(
    type: K,
    payload: Out[K],
    headers?: Record<string, unknown>,
  ): number {
    const full = this.#prefix + type;
    const message: SocketMessage =
      headers === undefined ? { type: full, payload } : { type: full, payload, headers };
    return this.#target.deliver(
      this.#topics,
      this.#except.length === 0 ? undefined : this.#except,
      message,
      this.#volatile,
    );
  }

  /**
   * Asks every chosen client (one frame, encoded once) and resolves when each has answered,
   * failed or timed out: the answers and errors by client id, and the ids that did not answer in
   * time. Never rejects for a client's failure.
   */
  request<K extends HandlerName<H>>(
    name: K,
    payload: PayloadOf<H, K>,
  ): Promise<BroadcastReplies<ResultOf<H, K>>> {
    return this.#target.requestMany(
      this.#topics,
      this.#except.length === 0 ? undefined : this.#except,
      this.#prefix + name,
      payload,
      this.#timeout,
    ) as Promise<BroadcastReplies<ResultOf<H, K>>>;
  }

  #with(
    topics: readonly string[] | undefined,
    except: readonly string[],
    timeout: number | undefined,
  ): BroadcastOperator<Out, H> {
    return new BroadcastOperator<Out, H>(
      this.#target,
      topics,
      except,
      timeout,
      this.#prefix,
      this.#volatile,
    );
  }
}
