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
 * @internal The context a handler and its middleware get for one request or message. Its abort
 * signal is made on first read (most handlers never read it); a request's answer goes to its
 * sink with no closure per call.
 */
export class Call<P> implements InboundContext<P> {
  /** Set once the chain reached the handler (which then answers). */
  reachedHandler = false;
  answered = false;
  /** Aborts the request's signal: the client cancelled or left. */
  readonly abort = new LazyAbort();

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
    // A message's signal is its sender's: it aborts when the client goes.
    return this.sink === undefined ? this.session.goneSignal : this.abort.signal;
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
