import type { PlugSocketError } from '../errors.js';
import type { InboundContext } from './middleware.js';
import type { ConnectedClient, Session } from './session.js';

/** The context a handler and its middleware get for one request or message. */
/** @internal */
export class Call<P> implements InboundContext<P> {
  /** Set once the chain reached the handler (which then answers). */
  reachedHandler = false;
  answered = false;

  constructor(
    readonly kind: 'message' | 'request',
    readonly name: string,
    public payload: unknown,
    readonly headers: Record<string, unknown> | undefined,
    readonly session: Session<P>,
    readonly signal: AbortSignal,
    private readonly answer:
      ((error: PlugSocketError | undefined, result?: unknown) => void) | undefined,
  ) {}

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
    if (this.answered || this.answer === undefined) return;
    this.answered = true;
    this.answer(error, result);
  }
}
