// Who is in a topic, by an application-level message convention (plugsocket has no presence in
// the domain yet).
import { useEffect, useState } from 'react';
import { usePlugSocket } from './context.js';
import { useTopicHold } from './topics.js';

/** One member of a topic, as the server lists it in a {@link PresenceMessage}. */
export interface PresenceMember {
  /** The member's id: a client id, or a user id when the server lists users. */
  readonly id: string;
  /** What the server tells about the member (a display name, an avatar, …). */
  readonly user?: unknown;
}

/**
 * The payload of the presence convention: the server sends it, as a message of type `presence`
 * (or the type given to {@link usePresence}), to a topic's subscribers whenever its members
 * change — the full list each time, not a difference. See docs/react.md for a server that does.
 */
export interface PresenceMessage {
  /** The topic the list is for. */
  readonly topic: string;
  /** Everyone in the topic now. */
  readonly members: readonly PresenceMember[];
}

/** Options of {@link usePresence}. */
export interface UsePresenceOptions {
  /** The message type the server sends the member lists as. @default 'presence' */
  readonly event?: string;
  /**
   * Join the topic while mounted, as {@link useTopic} does (the server sends the lists to the
   * topic's subscribers only). With `false` the component only listens: something else joins.
   * @default true
   */
  readonly join?: boolean;
}

const NOBODY: readonly PresenceMember[] = Object.freeze([]);

function isPresenceMessage(value: unknown): value is PresenceMessage {
  if (typeof value !== 'object' || value === null) return false;
  const { topic, members } = value as { topic?: unknown; members?: unknown };
  return (
    typeof topic === 'string' &&
    Array.isArray(members) &&
    members.every(
      (m) => typeof m === 'object' && m !== null && typeof (m as { id?: unknown }).id === 'string',
    )
  );
}

/**
 * The members of `topic`, from the latest presence list the server sent for it; empty before the
 * first. Joins the topic while mounted (unless `join: false`).
 *
 * Presence is an application-level **convention** until plugsocket's domain has presence: the
 * server sends a message of type `event` with payload `{ topic, members: [{ id, user? }] }`
 * ({@link PresenceMessage}) to the topic's subscribers when its members change. Messages of that
 * type for other topics, or of another shape, are ignored. docs/react.md has a server that follows
 * the convention.
 *
 * The list starts empty again whenever `topic` (or `event`, or the client) changes, back to an
 * earlier topic included. While the connection is down the last list received is kept as is — it
 * is what the server last said, not who is there now: use {@link useTopic}'s `joined` (false
 * while offline) or {@link useConnectionState} to show it as stale. A new list arrives after the
 * reconnect only when the server sends one (the convention's server does on each join).
 *
 * @example
 * ```tsx
 * function WhoIsHere({ room }: { room: string }) {
 *   const members = usePresence(room);
 *   return <ul>{members.map((m) => <li key={m.id}>{m.id}</li>)}</ul>;
 * }
 * ```
 * @throws {Error} outside a {@link PlugSocketProvider}.
 */
export function usePresence(
  topic: string,
  options: UsePresenceOptions = {},
): readonly PresenceMember[] {
  const { event = 'presence', join = true } = options;
  const client = usePlugSocket();
  useTopicHold(topic, join);
  const [latest, setLatest] = useState<{
    readonly key: readonly [unknown, string, string];
    readonly members: readonly PresenceMember[];
  }>({ key: [client, event, topic], members: NOBODY });
  useEffect(() => {
    const key = [client, event, topic] as const;
    const unsubscribe = client.subscribe(event, (payload) => {
      if (!isPresenceMessage(payload) || payload.topic !== topic) return;
      setLatest({ key, members: payload.members });
    });
    return () => {
      unsubscribe();
      // The list is of this subscription: coming back to the topic later must not show it.
      setLatest((l) => (l.members === NOBODY ? l : { key: l.key, members: NOBODY }));
    };
  }, [client, event, topic]);
  const [c, e, t] = latest.key;
  return c === client && e === event && t === topic ? latest.members : NOBODY;
}
