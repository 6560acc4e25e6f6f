import type { Observable } from 'rxjs';
import { PlugSocketError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { MessageOf, SocketMessage } from '../message.js';
import type { CloseInfo, Unsubscribe } from '../ports/types.js';
import type { Schema, ServerMessages } from '../schema.js';
import { EventListeners } from '../shared/event-listeners.js';
import { Listeners } from '../shared/listeners.js';
import { SafeObservable, SafeSubject } from '../shared/safe-observable.js';
import type { ResumeOutcome } from './resume.js';
import {
  ClientEvents,
  type AnyServerEventListener,
  type ServerEventListener,
} from './client-events.js';

/** Life cycle of a `SocketClient`. */
export type ClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closing' | 'closed';

/**
 * One change of a client's state, as `state$` emits it. On `open` it says what the connect did to
 * the session: `resumed: true` when it continued the one before (nothing lost or doubled), else
 * `resumed: false` with the reason — `initial` on a first connect; after a reconnect, the
 * discontinuity signal: `expired`, `overflow`, `denied` or `disabled` (fetch again what you may
 * have missed; docs/delivery-guarantees.md).
 */
export type ClientStateChange =
  { readonly state: Exclude<ClientState, 'open'> } | ({ readonly state: 'open' } & ResumeOutcome);

/**
 * What a client tells the application — open, close, messages by type, errors — as callbacks,
 * `EventEmitter`-style listeners and streams. The base of `SocketClient`; a callback, listener or
 * observer that throws is reported on `onError` and never stops the others or ends the process.
 */
export abstract class ClientNotifications<S extends Schema> {
  readonly #onOpen = new Listeners<() => void>((e) => this.threw(e));
  readonly #onClose = new Listeners<(info: CloseInfo) => void>((e) => this.threw(e));
  readonly #onReconnecting = new Listeners<(attempt: number, delay: number) => void>((e) =>
    this.threw(e),
  );
  readonly #onReconnected = new Listeners<(outcome: ResumeOutcome) => void>((e) => this.threw(e));
  readonly #onReconnectFailed = new Listeners<(error: PlugSocketError) => void>((e) =>
    this.threw(e),
  );
  readonly #onMessage = new Listeners<(message: MessageOf<ServerMessages<S>>) => void>((e) =>
    this.threw(e),
  );
  readonly #onError = new Listeners<(error: PlugSocketError) => void>((e) =>
    this.logger.error('onError handler threw', { error: e }),
  );
  readonly #observerThrew = (error: unknown): void =>
    this.report(new PlugSocketError('SERVER_ERROR', 'an observer threw', { cause: error }));
  readonly #list = new EventListeners<ServerEventListener<never>, AnyServerEventListener>(
    (error, name) =>
      this.report(
        new PlugSocketError('SERVER_ERROR', `a listener of "${name}" threw`, { cause: error }),
      ),
    (name, count) =>
      this.logger.warn(`"${name}" has ${count} listeners: a likely leak`, { name, count }),
  );
  /** The messages this client receives, by type, with the `EventEmitter` surface. */
  readonly events = new ClientEvents<ServerMessages<S>>(this.#list);
  /** The last change `state$` emitted (replayed to a new observer). */
  #change: ClientStateChange = { state: 'idle' };
  #state$ = new SafeSubject<ClientStateChange>(this.#observerThrew, () => this.#change);
  #message$ = new SafeSubject<MessageOf<ServerMessages<S>>>(this.#observerThrew);

  /** The current state. */
  abstract get state(): ClientState;

  /** @internal where diagnostics go. */
  protected abstract get logger(): Logger;

  /**
   * The state's changes, as a stream that replays the latest. Each `open` says whether the
   * session was resumed (see {@link ClientStateChange}):
   * ```ts
   * client.state$.subscribe((change) => {
   *   if (change.state === 'open' && !change.resumed && change.reason !== 'initial') refetch();
   * });
   * ```
   * Completes after `disconnect()`.
   */
  get state$(): Observable<ClientStateChange> {
    return this.#state$.observable;
  }

  /**
   * Every application message, as a stream. Completes after `disconnect()`. An observer that
   * throws (or an error nobody handles in a `.pipe()` from it) is reported on {@link onError} and
   * never ends the process; streams made by `merge`, `combineLatest` and the like are not guarded.
   */
  get message$(): Observable<MessageOf<ServerMessages<S>>> {
    return this.#message$.observable;
  }

  /** The payloads of messages of `type`, as a stream. Completes after `disconnect()`. */
  on$<K extends keyof ServerMessages<S> & string>(type: K): Observable<ServerMessages<S>[K]> {
    return new SafeObservable<ServerMessages<S>[K]>(this.#observerThrew, (subscriber) => {
      const listener: ServerEventListener<never> = (payload) => subscriber.next(payload);
      this.#list.on(type, listener);
      const done = this.#message$.observable.subscribe({ complete: () => subscriber.complete() });
      return () => {
        this.#list.off(type, listener);
        done.unsubscribe();
      };
    });
  }

  /** Called when the server has admitted this client. */
  onOpen(handler: () => void): Unsubscribe {
    return this.#onOpen.add(handler);
  }

  /** Called when an admitted connection has closed, with the code and reason. */
  onClose(handler: (info: CloseInfo) => void): Unsubscribe {
    return this.#onClose.add(handler);
  }

  /** Called for every application message, after the per-type listeners. */
  onMessage(handler: (message: MessageOf<ServerMessages<S>>) => void): Unsubscribe {
    return this.#onMessage.add(handler);
  }

  /** Called for errors the server reported, frames this client could not read, and listeners that threw. */
  onError(handler: (error: PlugSocketError) => void): Unsubscribe {
    return this.#onError.add(handler);
  }

  /** @internal starts new streams if `disconnect()` completed the old ones. */
  /**
   * Called when the client, having lost its connection, schedules attempt `attempt` (from 1) to
   * reconnect in `delay` milliseconds.
   */
  onReconnecting(handler: (attempt: number, delay: number) => void): Unsubscribe {
    return this.#onReconnecting.add(handler);
  }

  /**
   * Called when a reconnect attempt succeeded (after `onOpen`), with what it did to the session:
   * `{ resumed: true }` when it continued it (topics kept, missed messages delivered, requests in
   * flight still answered), else `{ resumed: false, reason }` — a new session whose topics were
   * joined again, and the signal to fetch again what may have been missed.
   */
  onReconnected(handler: (outcome: ResumeOutcome) => void): Unsubscribe {
    return this.#onReconnected.add(handler);
  }

  /**
   * Called when the client gave up reconnecting: `retries` attempts failed, or one was refused
   * for its credentials (`AUTHENTICATION_FAILED`, `UNAUTHORIZED`, `TOKEN_EXPIRED`). The state is
   * then `closed`.
   */
  onReconnectFailed(handler: (error: PlugSocketError) => void): Unsubscribe {
    return this.#onReconnectFailed.add(handler);
  }

  /** @internal */
  protected notifyReconnecting(attempt: number, delay: number): void {
    this.#onReconnecting.call(attempt, delay);
  }

  /** @internal */
  protected notifyReconnected(outcome: ResumeOutcome): void {
    this.#onReconnected.call(outcome);
  }

  /** @internal */
  protected notifyReconnectFailed(error: PlugSocketError): void {
    this.#onReconnectFailed.call(error);
  }

  protected renewStreams(): void {
    if (this.#state$.closed)
      this.#state$ = new SafeSubject(this.#observerThrew, () => this.#change);
    if (this.#message$.closed) this.#message$ = new SafeSubject(this.#observerThrew);
  }

  /** @internal completes the streams (after `disconnect()`). */
  protected completeStreams(): void {
    this.#state$.complete();
    this.#message$.complete();
  }

  /** @internal the state changed (to `open` with what happened to the session). */
  protected stateChanged(state: ClientState, outcome?: ResumeOutcome): void {
    const change = (
      state === 'open'
        ? { state, ...(outcome ?? { resumed: false, reason: 'initial' }) }
        : { state }
    ) as ClientStateChange;
    this.#change = change;
    this.#state$.next(change);
  }

  /** @internal the server admitted this client. */
  protected notifyOpen(): void {
    this.#onOpen.call();
  }

  /** @internal an admitted connection closed. */
  protected notifyClose(info: CloseInfo): void {
    this.#onClose.call(info);
  }

  /** @internal a message from the server: listeners of its type, catch-alls, callbacks, stream. */
  protected deliver(message: SocketMessage): void {
    const { type, payload } = message;
    this.#list.emit(type, [payload as never, message as never], [type, payload, message]);
    const typed = message as MessageOf<ServerMessages<S>>;
    if (this.#onMessage.size > 0) this.#onMessage.call(typed);
    if (this.#message$.observed) this.#message$.next(typed);
  }

  /** @internal reports on `onError`. */
  protected readonly report = (error: PlugSocketError): void => {
    this.errorsReported++;
    this.logger.debug('error', { code: error.code, message: error.message });
    this.#onError.call(error);
  };

  /** @internal errors reported on `onError` so far. */
  protected errorsReported = 0;

  /** @internal an application callback threw. */
  protected threw(error: unknown): void {
    this.report(new PlugSocketError('SERVER_ERROR', 'a handler threw', { cause: error }));
  }
}
