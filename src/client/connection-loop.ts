import { PlugSocketError } from '../errors.js';
import { backoffDelay, mayReconnectAfter, type ReconnectSettings } from './reconnect.js';

/** What the reconnect loop drives: the client it belongs to. */
export interface ReconnectHost {
  /** One connect attempt; rejects when it fails (the client is then `reconnecting`). */
  attempt(): Promise<void>;
  /** The user called `disconnect()`: nothing more is attempted. */
  userClosed(): boolean;
  /** Attempt `attempt` (from 1) is scheduled in `delay` ms; the state becomes `reconnecting`. */
  scheduled(attempt: number, delay: number): void;
  /** An attempt succeeded. */
  reconnected(): void;
  /** The loop gave up: the client closes for good. */
  gaveUp(error: PlugSocketError): void;
}

/** Codes of a refusal for the credentials: coming back with them again would be refused again. */
const FINAL_REFUSALS = new Set(['AUTHENTICATION_FAILED', 'UNAUTHORIZED', 'TOKEN_EXPIRED']);

/**
 * @internal The client's reconnect loop: after a lost connection, attempts again after each
 * backoff delay until one succeeds, `retries` are spent, or the server refuses the credentials.
 * At most one attempt is scheduled at a time; `cancel()` (a `connect()` or `disconnect()` by the
 * user) ends the loop, and an attempt whose loop was cancelled meanwhile changes nothing.
 */
export class ReconnectLoop {
  /** The attempt scheduled or running, or undefined when the loop is idle. */
  #retry: { attempt: number; timer: ReturnType<typeof setTimeout> | undefined } | undefined;

  constructor(
    private readonly host: ReconnectHost,
    private readonly settings: ReconnectSettings | undefined,
  ) {}

  /** True when a connection closed with `code` is to be reconnected. */
  after(code: number): boolean {
    return this.settings !== undefined && mayReconnectAfter(code);
  }

  /** The number (from 1) of the attempt scheduled or running; 0 when the loop is idle. */
  get attempt(): number {
    return this.#retry === undefined ? 0 : this.#retry.attempt + 1;
  }

  /** Schedules attempt `attempt` (from 0) after its backoff delay, or gives up. */
  schedule(attempt: number): void {
    const settings = this.settings;
    if (settings === undefined) return;
    if (attempt >= settings.retries) {
      this.#retry = undefined;
      this.host.gaveUp(
        new PlugSocketError('CONNECTION_FAILED', `gave up after ${attempt} reconnect attempts`),
      );
      return;
    }
    const delay = backoffDelay(settings, attempt);
    const retry: { attempt: number; timer: ReturnType<typeof setTimeout> | undefined } = {
      attempt,
      timer: undefined,
    };
    this.#retry = retry;
    this.host.scheduled(attempt + 1, delay);
    if (this.#retry !== retry) return; // a handler called connect() or disconnect()
    retry.timer = setTimeout(() => {
      retry.timer = undefined;
      void this.#run(retry);
    }, delay);
  }

  /** Ends the loop: the scheduled attempt is not made, the running one changes nothing. */
  cancel(): void {
    const retry = this.#retry;
    if (retry?.timer !== undefined) clearTimeout(retry.timer);
    this.#retry = undefined;
  }

  async #run(retry: { attempt: number }): Promise<void> {
    if (this.#retry !== retry || this.host.userClosed()) return;
    try {
      await this.host.attempt();
    } catch (error) {
      if (this.#retry !== retry || this.host.userClosed()) return;
      const e = PlugSocketError.from(error, 'CONNECTION_FAILED');
      if (FINAL_REFUSALS.has(e.code)) {
        this.#retry = undefined;
        this.host.gaveUp(e);
      } else this.schedule(retry.attempt + 1);
      return;
    }
    if (this.#retry !== retry) return;
    this.#retry = undefined;
    this.host.reconnected();
  }
}
