import type { ServerConnection } from '../ports/abstract-socket-server.js';
import type { RegistryObserver } from './cluster-events.js';
import type { Session } from './session.js';

/**
 * @internal The server's bookkeeping: sessions by connection (from accept), by id and by
 * principal (from admission), and topic membership. Removing a session removes it from every
 * index and topic, and an empty topic is deleted, so nothing outlives the clients that made it.
 */
export class SessionRegistry<P> {
  /** Admitted sessions. */
  readonly byId = new Map<string, Session<P>>();
  /** Every session with a live connection, admitted or not. */
  readonly byConnection = new Map<ServerConnection, Session<P>>();
  readonly topics = new Map<string, Set<Session<P>>>();
  /** Admitted sessions by principal id, most recently admitted last. */
  readonly byPrincipal = new Map<string, Set<Session<P>>>();
  /**
   * Parked sessions (connection lost, resumable) by id. They are in none of the indexes above —
   * not listed, not counted — but still in their topics' {@link parkedTopics}, so what is sent to
   * those topics meanwhile reaches their resume logs.
   */
  readonly parked = new Map<string, Session<P>>();
  readonly parkedTopics = new Map<string, Set<Session<P>>>();
  /** Told of every change presence and the cluster directory follow. */
  observer: RegistryObserver<P> | undefined;

  /** Makes an admitted session reachable by id and by principal. */
  admit(session: Session<P>): void {
    this.byId.set(session.id, session);
    const key = session.principalKey;
    if (key !== undefined) {
      let set = this.byPrincipal.get(key);
      if (set === undefined) this.byPrincipal.set(key, (set = new Set()));
      set.add(session);
    }
    this.observer?.admitted(session);
  }

  /** The most recently admitted session of a principal. */
  latestOf(principalKey: string): Session<P> | undefined {
    const set = this.byPrincipal.get(principalKey);
    if (set === undefined) return undefined;
    let last: Session<P> | undefined;
    for (const session of set) last = session;
    return last;
  }

  subscribe(session: Session<P>, topic: string): boolean {
    const own = (session.topicSet ??= new Set());
    if (own.has(topic)) return false;
    join(session.status === 'parked' ? this.parkedTopics : this.topics, session, topic);
    own.add(topic);
    this.observer?.joined(session, topic);
    return true;
  }

  unsubscribe(session: Session<P>, topic: string): boolean {
    if (session.topicSet?.delete(topic) !== true) return false;
    leave(session.status === 'parked' ? this.parkedTopics : this.topics, session, topic);
    this.observer?.left(session, topic);
    return true;
  }

  /**
   * A session whose connection was lost and that may be resumed: out of every index but
   * {@link parked} and, for its topics, {@link parkedTopics}. Call before `session.park()`.
   */
  park(session: Session<P>): void {
    this.#unindex(session);
    for (const topic of session.topics) {
      leave(this.topics, session, topic);
      join(this.parkedTopics, session, topic);
    }
    this.parked.set(session.id, session);
    this.observer?.parked(session);
  }

  /** A parked session resumed: back in every index, on its new connection. */
  unpark(session: Session<P>): void {
    if (this.parked.get(session.id) === session) this.parked.delete(session.id);
    for (const topic of session.topics) {
      leave(this.parkedTopics, session, topic);
      join(this.topics, session, topic);
    }
    this.byConnection.set(session.connection, session);
  }

  remove(session: Session<P>): void {
    this.observer?.removed(session);
    const topics = session.status === 'parked' ? this.parkedTopics : this.topics;
    for (const topic of session.topics) leave(topics, session, topic);
    session.topicSet = undefined;
    if (this.parked.get(session.id) === session) this.parked.delete(session.id);
    this.#unindex(session);
  }

  #unindex(session: Session<P>): void {
    if (this.byId.get(session.id) === session) this.byId.delete(session.id);
    if (this.byConnection.get(session.connection) === session)
      this.byConnection.delete(session.connection);
    const key = session.principalKey;
    if (key !== undefined) {
      const set = this.byPrincipal.get(key);
      if (set !== undefined && set.delete(session) && set.size === 0) this.byPrincipal.delete(key);
    }
  }
}

function join<P>(index: Map<string, Set<Session<P>>>, session: Session<P>, topic: string): void {
  let members = index.get(topic);
  if (members === undefined) index.set(topic, (members = new Set()));
  members.add(session);
}

function leave<P>(index: Map<string, Set<Session<P>>>, session: Session<P>, topic: string): void {
  const members = index.get(topic);
  if (members === undefined) return;
  members.delete(session);
  if (members.size === 0) index.delete(topic);
}
