// What the chat server and the chat page say to each other: one schema, shared by both sides, so
// the compiler checks every message, request name, payload and result on each. Types only: the
// page (DOM) and the server (Node) both import it, so it must not import anything that runs.
import type { Schema } from 'plugsocket';

/** A posted chat line, as kept in a room's history and sent to its members. */
export interface ChatLine {
  /** Increasing over the whole server (and across its restarts): the page drops a repeat by it. */
  id: number;
  room: string;
  user: string;
  text: string;
  /** Milliseconds since the epoch. */
  at: number;
}

/** One connection in a room. A user with two tabs open is two members with the same `user`. */
export interface Member {
  /** The connection's client id (what a relayed event's `from` names). */
  id: string;
  /** Who it is: the user name the server admitted it as. */
  user?: unknown;
}

/**
 * Sent to a room's subscribers whenever its membership changes (a join, a leave, a lost
 * connection, a resumed one): the whole list, not a difference, so a missed one does no harm. The
 * same convention as the React binding's presence hook.
 */
export interface Presence {
  topic: string;
  members: Member[];
}

/** What joining a room answers: its last lines and who is in it. */
export interface JoinResult {
  room: string;
  history: ChatLine[];
  members: Member[];
}

/** What `say` takes. */
export interface SayPayload {
  room: string;
  text: string;
  /** The sender's id for this line, the same on every try: the server posts a key once. */
  key?: string;
}

/** What a dice roll answers. */
export interface RollResult {
  user: string;
  sides: number;
  value: number;
}

export interface ChatSchema extends Schema {
  clientMessages: {
    /** "I am typing in this room": relayed to the room's other members, marked with `from`. */
    typing: { room: string };
  };
  serverMessages: {
    message: ChatLine;
    presence: Presence;
    /** A relayed `typing`; `message.from` is the typist's client id. */
    typing: { room: string };
  };
  serverHandlers: {
    /** Join a room (leaving the one the client was in): its history and members. */
    join(payload: { room: string }): JoinResult;
    /** Lines of a room after a line id, to catch up after a reconnect. */
    history(payload: { room: string; after?: number }): ChatLine[];
    /**
     * Post a line to a room the client is in; answers with the line as posted. A request, not a
     * message, so that a line is never dropped without its sender knowing: it fails with
     * `UNAUTHORIZED` when the client is not in `room` (e.g. a new session after a restart that
     * forgot it: join again, then send again), `INVALID_MESSAGE` for an empty or bad line.
     * `key` (optional, up to 64 characters) makes sending again safe: a line whose key the server
     * already posted for this user is answered with that line, not posted twice.
     */
    say(payload: SayPayload): ChatLine;
    /** Roll a die on the server. */
    roll(payload: { sides?: number }): RollResult;
  };
}

/** The lines `join` returns, at most. */
export const HISTORY_ON_JOIN = 20;

/** Room names: letters, digits, `-` and `_`, 1 to 32 of them. */
export const ROOM_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
