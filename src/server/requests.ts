import { PlugSocketError } from '../errors.js';
import type { RequestEnvelope } from '../protocol/envelope.js';
import { idCounter, PendingRequests } from '../shared/pending-requests.js';
import { isPromiseLike } from '../shared/is-promise-like.js';
import { sendError, sendNack, type ServerCore } from './core.js';
import { Call, type AnswerSink, type HandlerEntry } from './call.js';
import { isDone, runChain, type InboundContext, type Middleware } from './middleware.js';
import { forwardRequest } from './peer-requests.js';
import type { MiddlewareStack } from './middleware-stack.js';
import type { ConnectedClient, Session } from './session.js';

/** A server handler: answers a client's `request(name, payload)`. */
export type RequestHandler<P = unknown, T = unknown, R = unknown> = (
  payload: T,
  ctx: InboundContext<P>,
) => R | Promise<R>;

/** Options of a request the server makes of a client. */
export interface RequestOptions {
  /** Milliseconds to wait for the answer. @default the server's `requestTimeout` */
  timeout?: number;
  /** Gives up (`ABORTED`) when it aborts; the client is told to stop. */
  signal?: AbortSignal;
}

/** What a request to many clients gathered, by client id. */
export interface BroadcastReplies<R = unknown> {
  /** The answers, by the id of the client that gave them. */
  readonly results: Map<string, R>;
  /** The clients that answered with an error, or left before answering. */
  readonly errors: Map<string, PlugSocketError>;
  /** The clients that did not answer in time. */
  readonly timedOut: string[];
}

/** Request options of the server, as the facade resolved them. */
export interface ServerRequestSettings<P> {
  timeout: number;
  maxInFlight: number;
  canRequest:
    | ((
        from: ConnectedClient<P>,
        to: ConnectedClient<P>,
        name: string,
      ) => boolean | Promise<boolean>)
    | undefined;
}

/**
 * @internal Request/response on the server: handlers for clients' requests (with middleware,
 * an abort signal and a bound on requests in flight per client), requests to clients, requests
 * to many clients that gather every answer, and client-to-client requests forwarded through the
 * server. Every request id the server makes comes from one counter, so a request to many clients
 * is one frame, encoded once.
 */
export class ServerRequests<P> implements AnswerSink<P> {
  readonly #handlers = new Map<string, HandlerEntry<P>>();
  readonly #makeId = idCounter();

  constructor(
    private readonly core: ServerCore<P>,
    private readonly middleware: MiddlewareStack<P>,
    private readonly settings: ServerRequestSettings<P>,
  ) {}

  /** The server's `requestTimeout`. */
  get defaultTimeout(): number {
    return this.settings.timeout;
  }

  // ---------------------------------------------------------------- handlers

  handle(name: string, fn: RequestHandler<P>, middleware: readonly Middleware<P>[]): void {
    if (typeof fn !== 'function') throw new TypeError('handler must be a function');
    for (const m of middleware)
      if (typeof m !== 'function') throw new TypeError('middleware must be a function');
    if (this.#handlers.has(name)) throw new Error(`a handler for "${name}" is already registered`);
    this.#handlers.set(name, { fn: fn, middleware: [...middleware] });
  }

  remove(name: string): boolean {
    return this.#handlers.delete(name);
  }

  has(name: string): boolean {
    return this.#handlers.has(name);
  }

  names(): string[] {
    return [...this.#handlers.keys()];
  }

  /** A client's `req` frame: through the middleware to its handler, or to another client. */
  incoming(session: Session<P>, envelope: RequestEnvelope): void {
    const { id, name, to } = envelope;
    const incoming = (session.incoming ??= new Map());
    if (incoming.has(id)) {
      // Not a nack: one with this id would settle the request that is in flight.
      const error = new PlugSocketError('INVALID_MESSAGE', `request id ${id} is already in flight`);
      sendError(this.core, session, error);
      this.core.report(session.id, error);
      return;
    }
    if (incoming.size >= this.settings.maxInFlight) {
      sendNack(
        this.core,
        session,
        id,
        new PlugSocketError(
          'TOO_MANY_REQUESTS',
          `at most ${this.settings.maxInFlight} requests may be in flight`,
        ),
      );
      return;
    }
    // A request for another client passes the same middleware, then goes to that client.
    const entry = to === undefined ? this.#handlers.get(name) : undefined;
    const call = new Call<P>(
      name,
      envelope.payload,
      envelope.headers,
      session,
      id,
      this,
      entry,
      to,
    );
    incoming.set(id, call);
    const chain = this.middleware.chainFor(name, entry?.middleware);
    let result: void | Promise<void>;
    try {
      result = chain.length === 0 ? this.#last(call) : runChain(chain, call, this.#last);
    } catch (error) {
      this.#failed(call, error);
      return;
    }
    if (isDone(result)) this.#chainEnded(call);
    else
      (result as Promise<void>).then(
        () => this.#chainEnded(call),
        (error: unknown) => this.#failed(call, error),
      );
  }

  /** The end of every request's chain: the handler, or the client it is for. */
  readonly #last = (call: Call<P>): void | Promise<void> => {
    call.reachedHandler = true;
    if (call.to !== undefined) {
      return forwardRequest(this, this.core, this.settings.canRequest, call, call.to, call.headers);
    }
    const entry = call.entry;
    if (entry === undefined) {
      call.fail(new PlugSocketError('HANDLER_NOT_FOUND', `no handler for "${call.name}"`));
      return;
    }
    const value = entry.fn(call.payload, call);
    if (!isPromiseLike(value)) {
      call.reply(value);
      return;
    }
    return Promise.resolve(value).then(
      (answer) => call.reply(answer),
      (error: unknown) => this.#failed(call, error),
    );
  };

  /** The chain finished: a request nothing answered was refused by middleware. */
  #chainEnded(call: Call<P>): void {
    if (!call.answered && !call.reachedHandler)
      call.fail(new PlugSocketError('UNAUTHORIZED', `request "${call.name}" was refused`));
  }

  /** A handler or middleware threw: typed errors cross as they are, others as SERVER_ERROR. */
  #failed(call: Call<P>, error: unknown): void {
    if (PlugSocketError.is(error)) {
      call.fail(error);
      return;
    }
    this.core.report(
      call.clientId,
      new PlugSocketError('SERVER_ERROR', `handler "${call.name}" failed`, { cause: error }),
    );
    call.fail(new PlugSocketError('SERVER_ERROR', 'the request failed on the server'));
  }

  /** @internal A request's answer (from `Call`): sent unless its client gave up or left. */
  answer(call: Call<P>, error: PlugSocketError | undefined, result: unknown): void {
    const { session, id } = call;
    if (session.incoming?.get(id) !== call) return;
    session.incoming.delete(id);
    if (call.aborted || !session.live) return;
    if (error !== undefined) {
      sendNack(this.core, session, id, error);
      return;
    }
    try {
      this.core.router.toSession(
        session,
        result === undefined ? { k: 'ack', id } : { k: 'ack', id, result },
      );
    } catch (encodeError) {
      // A result JSON cannot carry (a cycle, a BigInt): the client still gets an answer.
      this.core.report(
        session.id,
        new PlugSocketError('SERVER_ERROR', 'a handler result could not be encoded', {
          cause: encodeError,
        }),
      );
      sendNack(
        this.core,
        session,
        id,
        new PlugSocketError('SERVER_ERROR', 'the request failed on the server'),
      );
    }
  }

  /** The client gave up on its request `id`. */
  cancelled(session: Session<P>, id: number): void {
    // The slot stays taken until the handler settles: cancelling must not make room for more
    // work while the cancelled handler still runs.
    session.incoming?.get(id)?.abort();
  }

  // ---------------------------------------------------------------- the server asks

  /** Asks one client; resolves with its answer. */
  request(
    session: Session<P>,
    name: string,
    payload: unknown,
    options: RequestOptions = {},
    from?: string,
    headers?: Record<string, unknown>,
  ): Promise<unknown> {
    // A session that went meanwhile (e.g. while canRequest decided) would never answer; a parked
    // one gets the request in its resume log.
    if (!session.live) {
      return Promise.reject(
        new PlugSocketError('NOT_CONNECTED', `client ${session.id} is not connected`),
      );
    }
    const outgoing = (session.outgoing ??= new PendingRequests(
      this.settings.maxInFlight,
      this.#makeId,
    ));
    return outgoing.start(
      {
        timeout: options.timeout ?? this.settings.timeout,
        signal: options.signal,
        what: `request "${name}" to client ${session.id}`,
        onGiveUp: (id) => this.#cancel(session, id),
      },
      (id) => {
        const envelope: Record<string, unknown> = { k: 'req', id, name };
        if (payload !== undefined) envelope.payload = payload;
        if (headers !== undefined) envelope.headers = headers;
        if (from !== undefined) envelope.from = from;
        if (!this.core.router.toSession(session, envelope)) {
          throw new PlugSocketError('NOT_CONNECTED', `client ${session.id} is not connected`);
        }
      },
    );
  }

  /** Asks many clients with one frame; resolves when every one answered, failed or timed out. */
  async requestMany(
    sessions: readonly Session<P>[],
    name: string,
    payload: unknown,
    timeout: number,
  ): Promise<BroadcastReplies> {
    const replies: BroadcastReplies = { results: new Map(), errors: new Map(), timedOut: [] };
    if (sessions.length === 0) return replies;
    const id = this.#makeId();
    const frame = this.core.router.encodeEnvelope(
      payload === undefined ? { k: 'req', id, name } : { k: 'req', id, name, payload },
    );
    const waits: Promise<void>[] = [];
    const targets: Session<P>[] = [];
    for (const session of sessions) {
      const outgoing = (session.outgoing ??= new PendingRequests(
        this.settings.maxInFlight,
        this.#makeId,
      ));
      waits.push(
        outgoing
          .start(
            {
              timeout,
              what: `request "${name}" to client ${session.id}`,
              onGiveUp: (callId) => this.#cancel(session, callId),
            },
            // Called only for a call that took a slot: a client refused TOO_MANY_REQUESTS is not sent the frame.
            () => void targets.push(session),
            id,
          )
          .then(
            (result) => void replies.results.set(session.id, result),
            (error: PlugSocketError) => {
              if (error.code === 'TIMEOUT') replies.timedOut.push(session.id);
              else replies.errors.set(session.id, error);
            },
          ),
      );
    }
    this.core.router.toSessions(targets, frame);
    await Promise.all(waits);
    return replies;
  }

  /** A client's `ack` / `nack` to a request the server made. */
  answered(
    session: Session<P>,
    id: number,
    error: PlugSocketError | undefined,
    result: unknown,
  ): void {
    session.outgoing?.settle(id, error, result);
  }

  #cancel(session: Session<P>, id: number): void {
    if (session.live) this.core.router.toSession(session, { k: 'cancel', id });
  }
}
