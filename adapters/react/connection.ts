// The client's connection state as React state: one store per client, read with
// useSyncExternalStore so every component sees the same state in the same render.
import { useSyncExternalStore } from 'react';
import type { ClientStateChange, SocketClient, Unsubscribe } from '../../src/index.js';
import { usePlugSocket } from './context.js';

/**
 * What {@link useConnectionState} returns: the client's state, and on `open` what the connect did
 * to the session — `resumed: true` when it continued the one before, else `resumed: false` with
 * the `reason` (`initial` on a first connect; `expired`, `overflow`, `denied` or `disabled` after
 * a reconnect that could not resume: fetch again what you may have missed). The same object as
 * the client's `state$` emits.
 */
export type ConnectionState = ClientStateChange;

/** What the server renders: there is no connection there. The same object on every call. */
const SERVER_SNAPSHOT: ConnectionState = Object.freeze({ state: 'idle' });

/** The latest change of `client`: `state$` replays it synchronously to a new observer. */
function currentChange(client: SocketClient): ConnectionState {
  let change: ConnectionState = { state: client.state } as ConnectionState;
  client.state$.subscribe((c) => (change = c)).unsubscribe();
  return change;
}

/**
 * @internal The connection state of one client, for any number of components. It watches
 * `state$` while someone listens; the client completes `state$` on `disconnect()` and makes a new
 * one on the next `connect()`, so the store also watches `onOpen` to follow the new stream.
 */
class ConnectionStore {
  readonly #client: SocketClient;
  readonly #listeners = new Set<() => void>();
  #snapshot: ConnectionState;
  #stop: Unsubscribe | undefined;

  constructor(client: SocketClient) {
    this.#client = client;
    this.#snapshot = currentChange(client);
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    if (this.#listeners.size === 1) this.#start();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) {
        this.#stop?.();
        this.#stop = undefined;
      }
    };
  };

  /** The same object until the state changes (React compares snapshots with `Object.is`). */
  readonly getSnapshot = (): ConnectionState => {
    // Nobody listens, so nothing kept the snapshot current: read it (same object if unchanged).
    if (this.#stop === undefined) this.#snapshot = currentChange(this.#client);
    return this.#snapshot;
  };

  #start(): void {
    let subscription = this.#watch();
    const offOpen = this.#client.onOpen(() => {
      // A connect() after disconnect(): the old stream completed, follow the new one.
      if (subscription.closed) subscription = this.#watch();
    });
    this.#stop = () => {
      subscription.unsubscribe();
      offOpen();
    };
  }

  #watch(): { closed: boolean; unsubscribe(): void } {
    return this.#client.state$.subscribe({
      next: (change) => this.#set(change),
      complete: () => this.#set(currentChange(this.#client)),
    });
  }

  #set(change: ConnectionState): void {
    if (change === this.#snapshot) return;
    this.#snapshot = change;
    for (const listener of [...this.#listeners]) listener();
  }
}

const stores = new WeakMap<SocketClient, ConnectionStore>();

/** @internal The connection store of `client`, made on first use. */
export function connectionStore(client: SocketClient): ConnectionStore {
  let store = stores.get(client);
  if (store === undefined) stores.set(client, (store = new ConnectionStore(client)));
  return store;
}

const getServerSnapshot = (): ConnectionState => SERVER_SNAPSHOT;

/**
 * The provider's client's connection state, re-rendering the component on every change:
 * `idle` → `connecting` → `open` → (connection lost) `reconnecting` → `open` …, `closing`,
 * `closed`. Read with `useSyncExternalStore`: no tearing between components, and the returned
 * object stays the same until the state changes, so it is safe in dependency arrays.
 *
 * On the server (`renderToString`, hydration) it is `{ state: 'idle' }`.
 *
 * After `disconnect()` followed by a new `connect()`, the client starts a new `state$` stream;
 * the hook follows it from `open` on (the `connecting` in between is not seen).
 *
 * @example
 * ```tsx
 * function Status() {
 *   const connection = useConnectionState();
 *   if (connection.state === 'open' && !connection.resumed && connection.reason !== 'initial')
 *     return <p>Reconnected — some updates may have been missed.</p>;
 *   return <p>{connection.state}</p>;
 * }
 * ```
 * @throws {Error} outside a {@link PlugSocketProvider}.
 */
export function useConnectionState(): ConnectionState {
  const store = connectionStore(usePlugSocket());
  return useSyncExternalStore(store.subscribe, store.getSnapshot, getServerSnapshot);
}
