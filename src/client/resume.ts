import type { AnyFrame } from '../ports/types.js';
import type { ResumeFailure, WelcomeEnvelope } from '../protocol/envelope.js';
import { GOT_EVERY, NEW_SESSION, RECEIVED_PARAM, RESUME_PARAM } from '../protocol/resume.js';

export type { ResumeFailure };

/**
 * What a (re)connect did to the session: continued it (`resumed: true`: nothing was lost or
 * doubled, see docs/delivery-guarantees.md), or started a new one — the first connect
 * (`initial`), or a resume that could not be (`expired`, `overflow`, `denied`, `disabled`), after
 * which the application should fetch again what it may have missed.
 */
export type ResumeOutcome =
  | { readonly resumed: true }
  | { readonly resumed: false; readonly reason: ResumeFailure | 'initial' };

/**
 * @internal The client's side of the resume protocol: the session token, how many stream frames
 * it took from the server, and every stream frame it sent that the server has not acknowledged
 * (with `got`) — including those made while the connection was down, which go out on resume.
 */
export class ClientResume {
  /** The token the last welcome gave; undefined with no resumable session. */
  token: string | undefined;
  /** Stream frames taken from the server in this session. */
  received = 0;
  #gotSent = 0;
  /** Stream position of `#kept[#head]`. */
  #start = 0;
  #kept: AnyFrame[] = [];
  #head = 0;
  /** True when the next connect is the first one (nothing to resume). */
  #first = true;
  /** Why the session ended before the client could ask to resume it, for the next welcome. */
  #ended: ResumeFailure | undefined;

  /** True while there is a session to keep frames for. */
  get active(): boolean {
    return this.token !== undefined;
  }

  /** Frames kept for a resend. */
  get kept(): number {
    return this.#kept.length - this.#head;
  }

  /** The query parameters of a connect: the session to resume, or a request for a new one. */
  query(): Record<string, string> {
    if (this.token === undefined) return { [RESUME_PARAM]: NEW_SESSION };
    return { [RESUME_PARAM]: this.token, [RECEIVED_PARAM]: String(this.received) };
  }

  /** Keeps a stream frame this side sends (or will send on resume). */
  sent(frame: AnyFrame): void {
    this.#kept.push(frame);
  }

  /**
   * Counts a stream frame taken from the server.
   * @returns the count to acknowledge with `got` when one is due, else -1.
   */
  took(): number {
    const received = ++this.received;
    if (received - this.#gotSent < GOT_EVERY) return -1;
    this.#gotSent = received;
    return received;
  }

  /**
   * The server took the first `n` frames: those are dropped.
   * @returns false when `n` is beyond what was sent.
   */
  acknowledged(n: number): boolean {
    if (n > this.#start + this.kept) return false;
    while (this.#start < n) {
      this.#kept[this.#head++] = undefined as unknown as AnyFrame;
      this.#start++;
    }
    if (this.#head === this.#kept.length) {
      this.#kept = [];
      this.#head = 0;
    } else if (this.#head >= 64 && this.#head * 2 >= this.#kept.length) {
      this.#kept = this.#kept.slice(this.#head);
      this.#head = 0;
    }
    return true;
  }

  /**
   * A welcome arrived. Returns what it means for the session and, when it resumed, the frames to
   * send again (those from the position the server has reached).
   */
  welcomed(welcome: WelcomeEnvelope): { outcome: ResumeOutcome; resend: AnyFrame[] } {
    const asked = this.token !== undefined;
    const first = this.#first;
    const ended = this.#ended;
    this.#first = false;
    this.#ended = undefined;
    this.token = welcome.session;
    if (asked && welcome.resumed === true) {
      const from = welcome.received ?? 0;
      // Below what the server acknowledged before, the frames in between are no longer kept: a
      // server that lost count cannot be resumed with (nor beyond what was sent).
      if (from >= this.#start && this.acknowledged(from)) {
        return { outcome: { resumed: true }, resend: this.#kept.slice(this.#head) };
      }
    }
    this.reset(welcome.session);
    const reason: ResumeFailure | 'initial' = first
      ? 'initial'
      : asked
        ? welcome.resumed === false
          ? asFailure(welcome.reason)
          : // The server acknowledged nothing it should have: nothing can be trusted.
            welcome.resumed === true
            ? 'denied'
            : 'disabled'
        : (ended ?? 'disabled');
    return { outcome: { resumed: false, reason }, resend: [] };
  }

  /** A new session (or none): counts start again, nothing is kept. */
  reset(token: string | undefined): void {
    this.token = token;
    this.received = 0;
    this.#gotSent = 0;
    this.#start = 0;
    this.#kept = [];
    this.#head = 0;
  }

  /**
   * The server ended the session (a close that does not leave it to resume): the reconnect that
   * follows starts a new one, and says `expired`.
   */
  ended(): void {
    this.reset(undefined);
    this.#ended = 'expired';
  }

  /** The client closed for good: the next connect starts afresh. */
  forget(): void {
    this.reset(undefined);
    this.#first = true;
    this.#ended = undefined;
  }
}

function asFailure(reason: string | undefined): ResumeFailure {
  return reason === 'overflow' || reason === 'denied' || reason === 'disabled' ? reason : 'expired';
}
