import { PlugSocketError } from '../errors.js';
import { isPromiseLike } from '../shared/is-promise-like.js';
import { LazyAbort } from '../shared/lazy-abort.js';
import type { RequestEnvelope, RequestTarget } from '../protocol/envelope.js';
import { idCounter, PendingRequests } from '../shared/pending-requests.js';

/** Options of one request a client makes. */
export interface ClientRequestOptions {
  /** Milliseconds to wait for the answer. @default the client's `requestTimeout` (10000) */
  timeout?: number;
  /** Gives up (`ABORTED`) when it aborts; the server (and a target client) is told to stop. */
  signal?: AbortSignal;
  /** Metadata for the handler (`ctx.headers`). */
  headers?: Record<string, unknown>;
}

/** What a client handler gets besides the payload. */
export interface ClientHandlerContext {
  /** The handler name, with its namespace prefix. */
  readonly name: string;
  /** The id of the client that asked, for a client-to-client request; undefined from the server. */
  readonly from: string | undefined;
  /** The request's headers, if it had any. */
  readonly headers: Readonly<Record<string, unknown>> | undefined;
  /** Aborts when the asker gave up (timeout, abort) or the connection closed. */
  readonly signal: AbortSignal;
}

/** A client handler: answers the server's (or another client's) request. */
export type ClientRequestHandler<T = unknown, R = unknown> = (
  payload: T,
  ctx: ClientHandlerContext,
) => R | Promise<R>;

/** @internal How the client's requests reach the wire. */
export interface RequestWire {
  /** Sends a protocol frame; false when the connection is not open. */
  send(envelope: object): boolean;
  /** Reports an error on the client's `onError`. */
  report(error: PlugSocketError): void;
}

/**
 * @internal Request/response on the client: its requests to the server and, through it, to
 * other clients (ids, timeouts, abort, a bound on requests in flight), and its handlers for
 * requests the server forwards to it. {@link connectionLost} fails what waits and aborts what
 * runs, so nothing outlives a connection.
 */
export class ClientRequests {
  readonly #handlers = new Map<string, ClientRequestHandler>();
  readonly #running = new Map<number, LazyAbort>();
  readonly pending: PendingRequests;
  /** Tells the server a request is given up (made once, not per request). */
  readonly #cancel = (id: number): void => void this.wire.send({ k: 'cancel', id });
  /**
   * Joins and leaves: not bounded by `maxRequestsInFlight` (a reconnect joins every topic again
   * at once). Ids come from the same counter as requests', since answers are matched by id.
   */
  readonly #topicCalls: PendingRequests;
  readonly #makeId = idCounter();

  constructor(
    private readonly wire: RequestWire,
    private readonly timeout: number,
    private readonly maxInFlight: number,
  ) {
    this.pending = new PendingRequests(maxInFlight, this.#makeId);
    this.#topicCalls = new PendingRequests(Infinity, this.#makeId);
  }

  /** Sends request `name` (to the server, or to another client with `to`) and awaits the answer. */
  request(
    name: string,
    payload: unknown,
    options: ClientRequestOptions,
    to?: RequestTarget,
  ): Promise<unknown> {
    return this.pending.start(
      {
        timeout: options.timeout ?? this.timeout,
        signal: options.signal,
        what: `request "${name}"`,
        onGiveUp: this.#cancel,
      },
      (id) => {
        const envelope: Record<string, unknown> =
          payload === undefined ? { k: 'req', id, name } : { k: 'req', id, name, payload };
        if (options.headers !== undefined) envelope.headers = options.headers;
        if (to !== undefined) envelope.to = to;
        if (!this.wire.send(envelope)) {
          throw new PlugSocketError(
            'NOT_CONNECTED',
            `cannot send request "${name}": not connected`,
          );
        }
      },
    );
  }

  /** Asks the server to join or leave a topic; resolves on its `ack`. */
  topic(kind: 'join' | 'leave', topic: string): Promise<void> {
    return this.#control(`${kind} ${JSON.stringify(topic)}`, (id) => ({ k: kind, id, topic }));
  }

  /** Sends fresh credentials (`auth`); resolves with the `ack`'s result. */
  auth(credentials: Record<string, unknown>): Promise<unknown> {
    return this.#control('refresh', (id) => ({ k: 'auth', id, credentials }));
  }

  /** A control request (join, leave, auth): not bounded by `maxRequestsInFlight`. */
  #control<T>(what: string, envelope: (id: number) => object): Promise<T> {
    return this.#topicCalls.start<T>({ timeout: this.timeout, what }, (id) => {
      if (!this.wire.send(envelope(id))) {
        throw new PlugSocketError('NOT_CONNECTED', `cannot ${what}: not connected`);
      }
    });
  }

  /** True while request `id` waits for its answer (not timed out, aborted or answered). */
  isWaiting(id: number): boolean {
    return this.pending.has(id);
  }

  /** The server's answer to one of this client's requests (or a join/leave). */
  answered(id: number, error: PlugSocketError | undefined, result: unknown): void {
    if (!this.pending.settle(id, error, result)) this.#topicCalls.settle(id, error, result);
  }

  handle(name: string, fn: ClientRequestHandler): void {
    if (typeof fn !== 'function') throw new TypeError('handler must be a function');
    if (this.#handlers.has(name)) throw new Error(`a handler for "${name}" is already registered`);
    this.#handlers.set(name, fn);
  }

  removeHandler(name: string): boolean {
    return this.#handlers.delete(name);
  }

  hasHandler(name: string): boolean {
    return this.#handlers.has(name);
  }

  /** A request from the server (or another client through it). */
  incoming(envelope: RequestEnvelope): void {
    const { id, name } = envelope;
    const fail = (error: PlugSocketError): void => {
      this.wire.send({ k: 'nack', id, error: error.toJSON() });
    };
    if (this.#running.has(id)) return; // a duplicate id: the first one answers
    if (this.#running.size >= this.maxInFlight) {
      fail(
        new PlugSocketError(
          'TOO_MANY_REQUESTS',
          `at most ${this.maxInFlight} requests may be in flight`,
        ),
      );
      return;
    }
    const handler = this.#handlers.get(name);
    if (handler === undefined) {
      fail(new PlugSocketError('HANDLER_NOT_FOUND', `no handler for "${name}" on this client`));
      return;
    }
    const abort = new LazyAbort();
    this.#running.set(id, abort);
    const done = (error: unknown, result?: unknown): void => {
      if (this.#running.get(id) !== abort) return;
      this.#running.delete(id);
      if (abort.aborted) return;
      if (error === undefined) {
        try {
          this.wire.send(result === undefined ? { k: 'ack', id } : { k: 'ack', id, result });
        } catch (encodeError) {
          this.wire.report(
            new PlugSocketError('SERVER_ERROR', `the result of "${name}" could not be encoded`, {
              cause: encodeError,
            }),
          );
          fail(new PlugSocketError('SERVER_ERROR', 'the request failed on the client'));
        }
      } else if (PlugSocketError.is(error)) fail(error);
      else {
        this.wire.report(
          new PlugSocketError('SERVER_ERROR', `handler "${name}" failed`, { cause: error }),
        );
        fail(new PlugSocketError('SERVER_ERROR', 'the request failed on the client'));
      }
    };
    const ctx: ClientHandlerContext = {
      name,
      from: envelope.from,
      headers: envelope.headers,
      // Made on first read: most handlers never look at it.
      get signal() {
        return abort.signal;
      },
    };
    try {
      const value = handler(envelope.payload, ctx);
      if (isPromiseLike(value)) {
        Promise.resolve(value).then(
          (result) => done(undefined, result),
          (error: unknown) => done(error ?? new Error('handler rejected')),
        );
      } else done(undefined, value);
    } catch (error) {
      done(error ?? new Error('handler threw'));
    }
  }

  /** The asker gave up on request `id`: abort its handler. */
  cancelled(id: number): void {
    const abort = this.#running.get(id);
    if (abort === undefined) return;
    this.#running.delete(id);
    abort.abort();
  }

  /**
   * The connection closed (or the session it was in ended): fail what waits with
   * `NOT_CONNECTED` — but the requests in `keep`, still in the offline queue — and abort what
   * runs. No cancel is sent: the server side of those requests is gone.
   */
  connectionLost(keep?: ReadonlySet<number>): void {
    const lost = new PlugSocketError(
      'NOT_CONNECTED',
      'connection closed before the server answered',
    );
    this.pending.failAll(lost, keep, true);
    this.#topicCalls.failAll(lost, undefined, true);
    for (const abort of this.#running.values()) abort.abort();
    this.#running.clear();
  }
}
