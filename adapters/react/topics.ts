// Topic membership held by components: joined while at least one mounted component holds it,
// left when the last lets go. One registry per client, shared by every component.
import { useCallback, useSyncExternalStore } from 'react';
import { PlugSocketError, type SocketClient, type Unsubscribe } from '../../src/index.js';
import { usePlugSocket } from './context.js';

/** What {@link useTopic} returns. */
export interface TopicState {
  /**
   * True while the client is connected and in the topic: the server acknowledged the join (or the
   * session that held it was resumed; after a reconnect that did not resume, once the server
   * answered the join again). False before, while the connection is down, and after a refusal.
   * Not updated when the topic is dropped by something else than this hook: `client.leave()`
   * called by the application, or a `refreshAuthorization()` whose new principal may not hold it
   * (the client has no notification for those yet).
   */
  readonly joined: boolean;
  /**
   * Why the last join failed (`UNAUTHORIZED` when the server refused, `TIMEOUT`, …); cleared by
   * the next join that succeeds.
   */
  readonly error: PlugSocketError | undefined;
}

const NOT_JOINED: TopicState = Object.freeze({ joined: false, error: undefined });
const JOINED: TopicState = Object.freeze({ joined: true, error: undefined });

interface Entry {
  refs: number;
  state: TopicState;
  readonly listeners: Set<() => void>;
  /** A join is in flight. */
  joining: boolean;
  /** The leave in flight, if any: a holder that comes back waits for it, then joins. */
  leaving: Promise<void> | undefined;
  /**
   * The registry's own join put the client in the topic (the client was not in it already), so
   * the registry leaves it when the last holder lets go. A topic the application joined itself
   * is never left by the registry.
   */
  owned: boolean;
  /** The leave scheduled when the last holder let go (cancelled if one comes back first). */
  leaveTimer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * @internal The topics components hold on one client. A topic is joined when the first holder
 * mounts (or as soon as the client is open), and left a macrotask after the last one unmounts —
 * so StrictMode's unmount-and-mount-again, or a holder replaced by another in the same commit,
 * does not leave and join again. Only topics the registry's own join added are left: a topic the
 * application joined with `client.join()` stays. A holder that mounts while the leave is in
 * flight waits for it, then joins again. While the connection is down the client keeps its
 * topics and joins them again by itself after a reconnect; the registry marks them joined when
 * the session was resumed, and otherwise only once a join of its own (answered after the
 * client's re-join) is acknowledged. It joins what the client does not hold, and leaves, once
 * open, what nobody holds any more.
 */
class TopicRegistry {
  readonly #client: SocketClient;
  readonly #entries = new Map<string, Entry>();
  /** Topics let go of while not open, which the client will join again: left on the next open. */
  readonly #leaveOnOpen = new Set<string>();
  #stop: Unsubscribe | undefined;

  constructor(client: SocketClient) {
    this.#client = client;
  }

  state(topic: string): TopicState {
    return this.#entries.get(topic)?.state ?? NOT_JOINED;
  }

  /** Listens to the state of `topic` (without holding it). */
  listen(topic: string, listener: () => void): () => void {
    const entry = this.#entry(topic);
    entry.listeners.add(listener);
    return () => {
      entry.listeners.delete(listener);
      this.#prune(topic, entry);
    };
  }

  /** Holds `topic`: joins it unless held already. Returns the release. */
  hold(topic: string): () => void {
    const entry = this.#entry(topic);
    entry.refs++;
    // Let go of while offline and held again before the reconnect: still ours, nothing to leave.
    if (this.#leaveOnOpen.delete(topic)) entry.owned = true;
    if (entry.leaveTimer !== undefined) {
      clearTimeout(entry.leaveTimer);
      entry.leaveTimer = undefined;
    } else if (entry.refs === 1) {
      this.#ensureJoined(topic, entry);
    }
    this.#watch();
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      entry.refs--;
      if (entry.refs > 0) return;
      entry.leaveTimer = setTimeout(() => {
        entry.leaveTimer = undefined;
        if (entry.refs === 0) this.#leave(topic, entry);
      }, 0);
    };
  }

  #entry(topic: string): Entry {
    let entry = this.#entries.get(topic);
    if (entry === undefined) {
      entry = {
        refs: 0,
        state: NOT_JOINED,
        listeners: new Set(),
        joining: false,
        leaving: undefined,
        owned: false,
        leaveTimer: undefined,
      };
      this.#entries.set(topic, entry);
    }
    return entry;
  }

  /** Drops an entry nobody holds or listens to. */
  #prune(topic: string, entry: Entry): void {
    if (entry.refs > 0 || entry.listeners.size > 0 || entry.leaveTimer !== undefined) return;
    if (entry.joining || entry.leaving !== undefined || entry.owned) return;
    if (this.#entries.get(topic) === entry) this.#entries.delete(topic);
    if (this.#entries.size === 0 && this.#leaveOnOpen.size === 0) {
      this.#stop?.();
      this.#stop = undefined;
    }
  }

  #set(entry: Entry, state: TopicState): void {
    if (entry.state === state) return;
    entry.state = state;
    for (const listener of [...entry.listeners]) listener();
  }

  /**
   * Joins `topic` when the client is open and not in it (or marks it joined when it is). Waits for
   * a leave in flight: the leave's end joins again when the topic is held by then.
   */
  #ensureJoined(topic: string, entry: Entry): void {
    const client = this.#client;
    if (client.state !== 'open' || entry.joining || entry.leaving !== undefined) return;
    if (client.topics.has(topic)) {
      this.#set(entry, JOINED);
      return;
    }
    this.#join(topic, entry, true);
  }

  /**
   * Sends a join and marks the topic joined once it is acknowledged. `own`: the client was not in
   * the topic, so the registry leaves it when nobody holds it; otherwise the join only confirms
   * the client's own re-join (joining twice is harmless: the server keeps one membership).
   */
  #join(topic: string, entry: Entry, own: boolean): void {
    const client = this.#client;
    entry.joining = true;
    client.join(topic).then(
      () => {
        entry.joining = false;
        if (own) entry.owned = true;
        if (entry.refs === 0 && entry.leaveTimer === undefined) this.#leave(topic, entry);
        else this.#set(entry, client.state === 'open' ? JOINED : NOT_JOINED);
      },
      (error: unknown) => {
        entry.joining = false;
        this.#set(entry, { joined: false, error: PlugSocketError.from(error) });
        this.#prune(topic, entry);
      },
    );
  }

  #leave(topic: string, entry: Entry): void {
    const client = this.#client;
    this.#set(entry, NOT_JOINED);
    const owned = entry.owned;
    entry.owned = false;
    if (owned && client.topics.has(topic)) {
      if (client.state === 'open') {
        const leaving = client
          .leave(topic)
          .catch(() => undefined)
          .then(() => {
            if (entry.leaving === leaving) entry.leaving = undefined;
            // A holder came back while the leave was in flight: join again now.
            if (entry.refs > 0 || entry.leaveTimer !== undefined) this.#ensureJoined(topic, entry);
            else this.#prune(topic, entry);
          });
        entry.leaving = leaving;
      } else {
        // The client will join it again on reconnect: leave it then.
        this.#leaveOnOpen.add(topic);
      }
    }
    this.#prune(topic, entry);
  }

  /** Follows the connection while any topic is held or to be left. */
  #watch(): void {
    if (this.#stop !== undefined) return;
    const client = this.#client;
    const offOpen = client.onOpen(() => {
      for (const topic of [...this.#leaveOnOpen]) {
        this.#leaveOnOpen.delete(topic);
        if (client.topics.has(topic)) client.leave(topic).catch(() => undefined);
      }
      // Topics the client kept across the drop: joined already when the session was resumed;
      // else the client joins them again by itself, and the registry's own join tells when the
      // server has them again.
      const resumed = client.getConnectionInfo().session?.resumed === true;
      for (const [topic, entry] of this.#entries) {
        if (entry.refs === 0 && entry.leaveTimer === undefined) continue;
        if (entry.joining || entry.leaving !== undefined) continue;
        if (client.topics.has(topic) && !resumed) this.#join(topic, entry, false);
        else this.#ensureJoined(topic, entry);
      }
    });
    const offClose = client.onClose(() => {
      for (const entry of this.#entries.values())
        if (entry.state.joined) this.#set(entry, NOT_JOINED);
    });
    // A topic the client failed to join again after a reconnect is dropped from its topics and
    // reported on onError: join it here, to learn why (or to succeed this time).
    const offError = client.onError(() => {
      if (client.state !== 'open') return;
      for (const [topic, entry] of this.#entries)
        if (entry.refs > 0 && entry.state.joined && !client.topics.has(topic)) {
          this.#set(entry, NOT_JOINED);
          this.#ensureJoined(topic, entry);
        }
    });
    this.#stop = () => {
      offOpen();
      offClose();
      offError();
    };
  }
}

const registries = new WeakMap<SocketClient, TopicRegistry>();

/** @internal The topic registry of `client`, made on first use. */
export function topicRegistry(client: SocketClient): TopicRegistry {
  let registry = registries.get(client);
  if (registry === undefined) registries.set(client, (registry = new TopicRegistry(client)));
  return registry;
}

/**
 * @internal Holds `topic` while mounted (when `enabled`) and returns its state. The hold is taken
 * in the store's subscribe, which React calls after commit and again on a change of topic.
 */
export function useTopicHold(topic: string, enabled: boolean): TopicState {
  const registry = topicRegistry(usePlugSocket());
  const subscribe = useCallback(
    (listener: () => void) => {
      const stopListening = registry.listen(topic, listener);
      const release = enabled ? registry.hold(topic) : undefined;
      return () => {
        release?.();
        stopListening();
      };
    },
    [registry, topic, enabled],
  );
  const getSnapshot = useCallback(() => registry.state(topic), [registry, topic]);
  return useSyncExternalStore(subscribe, getSnapshot, getServerSnapshot);
}

const getServerSnapshot = (): TopicState => NOT_JOINED;

/**
 * Joins `topic` while the component is mounted and leaves it when the component unmounts or
 * `topic` changes; returns whether the client is in it. Components that hold the same topic share
 * one membership: it is left only when the last of them unmounts (a macrotask later, so
 * StrictMode's double mount does not leave and join again).
 *
 * While the connection is down `joined` is false; the client joins its topics again by itself
 * after a reconnect (or keeps them when it resumes the session), and `joined` turns true again
 * once the server has the topic again. A topic held before the client is open is joined once it
 * is. A topic the application joined itself with `client.join()` is shown as joined and never
 * left by this hook.
 *
 * @example
 * ```tsx
 * function Room({ name }: { name: string }) {
 *   const { joined, error } = useTopic(`room:${name}`);
 *   if (error) return <p>Not allowed in {name}: {error.code}</p>;
 *   return <p>{joined ? `In ${name}` : 'Joining…'}</p>;
 * }
 * ```
 * @throws {Error} outside a {@link PlugSocketProvider}.
 */
export function useTopic(topic: string): TopicState {
  return useTopicHold(topic, true);
}
