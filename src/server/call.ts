import type { PlugSocketError } from '../errors.js';
import { LazyAbort } from '../shared/lazy-abort.js';
import type { InboundContext, Middleware } from './middleware.js';
import type { ConnectedClient, Session } from './session.js';
import type { RequestTarget } from '../protocol/envelope.js';

/** @internal Where a request's answer goes: the server's request handling. */
export interface AnswerSink<P> {
  answer(call: Call<P>, error: PlugSocketError | undefined, result: unknown): void;
}

/** @internal A request's handler, as registered. */
export interface HandlerEntry<P> {
  readonly fn: (payload: unknown, ctx: InboundContext<P>) => unknown;
  readonly middleware: readonly Middleware<P>[];
}

/**
 * @internal The context a handler and its middleware get for one request. Its abort signal is
 * made on first read (most handlers never read it: {@link LazyAbort}); its answer goes to its
 * sink with no closure per call. The client cancelling or leaving aborts it.
 */
export class Call<P> extends LazyAbort implements InboundContext<P> {
  /** Set once the chain reached the handler (which then answers). */
  reachedHandler = false;
  answered = false;

  constructor(
    readonly name: string,
    public payload: unknown,
    readonly headers: Record<string, unknown> | undefined,
    readonly session: Session<P>,
    /** The request's id, as its client chose it. */
    readonly id: number,
    /** Where the answer goes. */
    readonly sink: AnswerSink<P>,
    /** The handler to run, or undefined (none registered, or a request for another client). */
    readonly entry: HandlerEntry<P> | undefined,
    /** The client a forwarded request goes to, or undefined. */
    readonly to: RequestTarget | undefined,
  ) {
    super();
  }

  get kind(): 'request' {
    return 'request';
  }

  get clientId(): string {
    return this.session.id;
  }

  get principal(): P {
    return this.session.principal;
  }

  get client(): ConnectedClient<P> {
    return this.session;
  }

  get<T = unknown>(key: string): T | undefined {
    return this.session.get<T>(key);
  }

  set(key: string, value: unknown): void {
    this.session.set(key, value);
  }

  reply(result?: unknown): void {
    this.#settle(undefined, result);
  }

  /** @internal */
  fail(error: PlugSocketError): void {
    this.#settle(error);
  }

  #settle(error: PlugSocketError | undefined, result?: unknown): void {
    if (this.answered) return;
    this.answered = true;
    this.sink.answer(this, error, result);
  }
}

/**
 * @internal The context message middleware gets: lighter than a request's {@link Call}, since a
 * message has no id, no answer and no signal of its own (it is made for every message that passes
 * middleware).
 */
export class MessageContext<P> implements InboundContext<P> {
  constructor(
    readonly name: string,
    public payload: unknown,
    readonly headers: Record<string, unknown> | undefined,
    readonly session: Session<P>,
  ) {}

  get kind(): 'message' {
    return 'message';
  }

  /** The sender's signal: it aborts when the client goes. */
  get signal(): AbortSignal {
    return this.session.goneSignal;
  }

  get clientId(): string {
    return this.session.id;
  }

  get principal(): P {
    return this.session.principal;
  }

  get client(): ConnectedClient<P> {
    return this.session;
  }

  get<T = unknown>(key: string): T | undefined {
    return this.session.get<T>(key);
  }

  set(key: string, value: unknown): void {
    this.session.set(key, value);
  }

  /** A message has no answer: a no-op. */
  reply(): void {}
}
