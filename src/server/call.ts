import type { PlugSocketError } from '../errors.js';
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
 * @internal The context a handler and its middleware get for one request. Its abort
 * signal is made on first read (most handlers never read it); a request's answer goes to its
 * sink with no closure per call.
 */
export class Call<P> implements InboundContext<P> {
  /** Set once the chain reached the handler (which then answers). */
  reachedHandler = false;
  answered = false;
  /** True once the request was cancelled or its client left. */
  cancelled = false;
  /** Made on first read of `signal`: most handlers never read it, and a signal costs microseconds. */
  #controller: AbortController | undefined;

  constructor(
    readonly kind: 'message' | 'request',
    readonly name: string,
    public payload: unknown,
    readonly headers: Record<string, unknown> | undefined,
    readonly session: Session<P>,
    /** The request's id; -1 for a message. */
    readonly id: number,
    /** Where the answer goes; undefined for a message. */
    readonly sink: AnswerSink<P> | undefined,
    /** The handler to run (requests), or undefined. */
    readonly entry: HandlerEntry<P> | undefined,
    /** The client a forwarded request goes to, or undefined. */
    readonly to: RequestTarget | undefined,
  ) {}

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.cancelled) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  /** @internal the client cancelled the request, or left. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.#controller?.abort();
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
    if (this.answered || this.sink === undefined) return;
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
