import type { ServerConnection } from '../ports/abstract-socket-server.js';
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

  /** Makes an admitted session reachable by id and by principal. */
  admit(session: Session<P>): void {
    this.byId.set(session.id, session);
    const key = session.principalKey;
    if (key === undefined) return;
    let set = this.byPrincipal.get(key);
    if (set === undefined) this.byPrincipal.set(key, (set = new Set()));
    set.add(session);
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
    let members = this.topics.get(topic);
    if (members === undefined) this.topics.set(topic, (members = new Set()));
    members.add(session);
    own.add(topic);
    return true;
  }

  unsubscribe(session: Session<P>, topic: string): boolean {
    if (session.topicSet?.delete(topic) !== true) return false;
    this.#leave(session, topic);
    return true;
  }

  remove(session: Session<P>): void {
    for (const topic of session.topics) this.#leave(session, topic);
    session.topicSet = undefined;
    if (this.byId.get(session.id) === session) this.byId.delete(session.id);
    this.byConnection.delete(session.connection);
    const key = session.principalKey;
    if (key !== undefined) {
      const set = this.byPrincipal.get(key);
      if (set !== undefined && set.delete(session) && set.size === 0) this.byPrincipal.delete(key);
    }
  }

  #leave(session: Session<P>, topic: string): void {
    const members = this.topics.get(topic);
    if (members === undefined) return;
    members.delete(session);
    if (members.size === 0) this.topics.delete(topic);
  }
}
