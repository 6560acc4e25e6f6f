import type { Observable } from 'rxjs';
import { PlugSocketError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { MessageOf, SocketMessage } from '../message.js';
import type { CloseInfo, Unsubscribe } from '../ports/types.js';
import type { ClientMessages, Schema } from '../schema.js';
import { Listeners } from '../shared/listeners.js';
import { SafeSubject } from '../shared/safe-observable.js';
import type { ConnectedClient, Session } from './session.js';

/** A client message together with the id of its sender, as `message$` emits it. */
export interface ClientMessageEvent<In extends object = Record<string, unknown>> {
  /** The sender's id. */
  readonly clientId: string;
  /** What it sent. */
  readonly message: MessageOf<In>;
}

/** A departed client, as `disconnection$` emits it. */
export interface DisconnectionEvent {
  /** The departed client's id. */
  readonly clientId: string;
  /** The close code (1006 when it vanished). */
  readonly code: number;
  /** The close reason. */
  readonly reason: string;
}

/**
 * What a server tells the application — clients admitted and gone, messages, errors — as
 * callbacks and as streams. The base of `SocketServer`; a callback or observer that throws is
 * reported on `onError` and never stops the others or ends the process.
 */
export abstract class ServerNotifications<S extends Schema, P> {
  readonly #onConnection = new Listeners<(client: ConnectedClient<P>) => void>((e, [c]) =>
    this.threw(c.id, e),
  );
  readonly #onDisconnection = new Listeners<(clientId: string, info: CloseInfo) => void>(
    (e, [id]) => this.threw(id, e),
  );
  readonly #onMessage = new Listeners<
    (clientId: string, message: MessageOf<ClientMessages<S>>) => void
  >((e, [id]) => this.threw(id, e));
  readonly #onClientTimeout = new Listeners<(clientId: string) => void>((e, [id]) =>
    this.threw(id, e),
  );
  readonly #onError = new Listeners<(clientId: string | undefined, error: PlugSocketError) => void>(
    (e) => this.logger.error('onError handler threw', { error: e }),
  );
  readonly #observerThrew = (error: unknown): void =>
    this.reportError(
      undefined,
      new PlugSocketError('SERVER_ERROR', 'an observer threw', { cause: error }),
    );
  readonly #connection$ = new SafeSubject<ConnectedClient<P>>(this.#observerThrew);
  readonly #disconnection$ = new SafeSubject<DisconnectionEvent>(this.#observerThrew);
  readonly #message$ = new SafeSubject<ClientMessageEvent<ClientMessages<S>>>(this.#observerThrew);
  readonly #timeout$ = new SafeSubject<string>(this.#observerThrew);

  /** @internal where diagnostics go. */
  protected abstract get logger(): Logger;

  /** Called when a client has been admitted (after authorization). */
  onConnection(handler: (client: ConnectedClient<P>) => void): Unsubscribe {
    return this.#onConnection.add(handler);
  }

  /** Called when an admitted client has gone, with the close code and reason. */
  onDisconnection(handler: (clientId: string, info: CloseInfo) => void): Unsubscribe {
    return this.#onDisconnection.add(handler);
  }

  /** Called for every application message from an admitted client, after the middleware. */
  onMessage(
    handler: (clientId: string, message: MessageOf<ClientMessages<S>>) => void,
  ): Unsubscribe {
    return this.#onMessage.add(handler);
  }

  /**
   * Called with the id of a client that stopped answering heartbeats (no pong and no frame within
   * `heartbeatTimeout` of a ping), just before its connection is ended; `onDisconnection` follows
   * with 1006.
   */
  onClientTimeout(handler: (clientId: string) => void): Unsubscribe {
    return this.#onClientTimeout.add(handler);
  }

  /**
   * Called for errors: frames a client got wrong (`INVALID_MESSAGE`, `PAYLOAD_TOO_LARGE`), handlers,
   * listeners and observers that threw (`SERVER_ERROR`), transport failures. `clientId` is
   * undefined for server-wide ones.
   */
  onError(handler: (clientId: string | undefined, error: PlugSocketError) => void): Unsubscribe {
    return this.#onError.add(handler);
  }

  /** Admitted clients, as a stream. Completes on shutdown. */
  get connection$(): Observable<ConnectedClient<P>> {
    return this.#connection$.observable;
  }

  /** Departed clients, as a stream. Completes on shutdown. */
  get disconnection$(): Observable<DisconnectionEvent> {
    return this.#disconnection$.observable;
  }

  /**
   * Client messages, as a stream. Completes on shutdown. An observer that throws (or an error
   * nobody handles in a `.pipe()` from it) is reported on {@link onError} and never ends the
   * process. Streams made by rxjs creation functions (`merge`, `combineLatest`) are not guarded.
   */
  get message$(): Observable<ClientMessageEvent<ClientMessages<S>>> {
    return this.#message$.observable;
  }

  /** Ids of clients that stopped answering heartbeats, as a stream. Completes on shutdown. */
  get timeout$(): Observable<string> {
    return this.#timeout$.observable;
  }

  /** @internal a client missed its heartbeat. */
  protected notifyTimeout(clientId: string): void {
    this.#onClientTimeout.call(clientId);
    this.#timeout$.next(clientId);
  }

  /** @internal a client was admitted. */
  protected notifyAdmitted(session: Session<P>): void {
    this.#onConnection.call(session);
    this.#connection$.next(session);
  }

  /** @internal a message passed the middleware. */
  protected notifyMessage(session: Session<P>, message: SocketMessage): void {
    const typed = message as MessageOf<ClientMessages<S>>;
    if (this.#onMessage.size > 0) this.#onMessage.call(session.id, typed);
    if (this.#message$.observed) this.#message$.next({ clientId: session.id, message: typed });
  }

  /** @internal an admitted client has gone. */
  protected notifyGone(clientId: string, info: CloseInfo): void {
    this.#onDisconnection.call(clientId, info);
    this.#disconnection$.next({ clientId, code: info.code, reason: info.reason });
  }

  /** @internal completes every stream (shutdown). */
  protected completeStreams(): void {
    this.#connection$.complete();
    this.#disconnection$.complete();
    this.#message$.complete();
    this.#timeout$.complete();
  }

  /** @internal reports on `onError`. */
  protected reportError(clientId: string | undefined, error: PlugSocketError): void {
    this.logger.debug('error', { clientId, code: error.code, message: error.message });
    this.#onError.call(clientId, error);
  }

  /** @internal an application callback threw. */
  protected threw(clientId: string | undefined, error: unknown): void {
    this.reportError(
      clientId,
      new PlugSocketError('SERVER_ERROR', 'a handler threw', { cause: error }),
    );
  }
}
