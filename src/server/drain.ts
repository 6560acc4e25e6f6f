import { PlugSocketError } from '../errors.js';
import type { AnyFrame } from '../ports/types.js';
import type { ClientEnvelope } from '../protocol/envelope.js';
import { takeStructuredSize } from '../protocol/structured.js';
import { sendError, sendNack, type ServerCore } from './core.js';
import { countTaken } from './resume.js';
import type { Session } from './session.js';

/** The longest a timer may be set for; a longer drain timeout waits without one. */
const MAX_TIMER = 2 ** 31 - 1;

/** A request being handled, as `Session.incoming` holds it. */
type IncomingCall = { abort(): void };

/**
 * A session's `incoming` requests that tell the drain when the last one is answered. The request
 * handling deletes an entry just before it sends the answer, in the same turn; the drain reacts in
 * a microtask, so the answer is on the wire before any close.
 */
class WatchedCalls extends Map<number, IncomingCall> {
  constructor(
    calls: Iterable<[number, IncomingCall]>,
    private readonly emptied: () => void,
  ) {
    super(calls);
  }

  override delete(id: number): boolean {
    const deleted = super.delete(id);
    if (deleted && this.size === 0) queueMicrotask(this.emptied);
    return deleted;
  }
}

/**
 * @internal The drain of a graceful shutdown: waits, up to a timeout, until every request
 * clients made of the server that was being handled when shutdown began has been answered, and
 * refuses new work meanwhile. A request (`req`) or topic `join` is answered with a
 * `NOT_CONNECTED` nack and a message (`msg`) is dropped, its sender told once with a
 * `NOT_CONNECTED` error frame; everything else (answers to the server's own requests, `cancel`,
 * `leave`, credential refreshes) goes on through the inbound pipeline, since requests still being
 * handled may depend on it. At the timeout, what still runs is aborted (its signal fires).
 */
export class Drain<P> {
  /** Admitted sessions with requests still being handled. */
  readonly #busy = new Set<Session<P>>();
  /** Sessions already told that their messages are refused. */
  readonly #told = new WeakSet<Session<P>>();
  /** Resumable sessions whose stream stopped being taken (see {@link frame}). */
  readonly #held = new WeakSet<Session<P>>();
  #finish: (() => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly core: ServerCore<P>,
    /** Reads a client frame, to tell what kind of work it asks for. */
    private readonly read: (frame: AnyFrame) => ClientEnvelope,
    /** The inbound pipeline, for the frames the drain lets through. */
    private readonly pass: (session: Session<P>, frame: AnyFrame) => void,
    /** True when sessions outlive this server (resume on, with a shared `SessionStore`). */
    private readonly handsOver = false,
  ) {}

  /**
   * Waits until every admitted (or parked) client's requests in flight are answered, or `timeout` ms have
   * passed (then aborts them). Resolves at once, with no timer, when nothing is in flight.
   */
  run(timeout: number): Promise<void> {
    const { byId, parked } = this.core.registry;
    // Parked sessions too: their answers go to their logs, for the server they resume on.
    for (const session of [...byId.values(), ...parked.values()]) {
      const incoming = session.incoming;
      if (incoming === undefined || incoming.size === 0) continue;
      session.incoming = new WatchedCalls(incoming, () => this.#settled(session));
      this.#busy.add(session);
    }
    if (this.#busy.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#finish = resolve;
      if (timeout <= MAX_TIMER) this.#timer = setTimeout(this.#timedOut, timeout);
    });
  }

  /** A client went (its requests were aborted with it): it no longer holds the drain up. */
  gone(session: Session<P>): void {
    if (this.#busy.delete(session)) this.#check();
  }

  /**
   * A frame from an admitted client while draining: new work is refused, the rest passes. When
   * sessions go to a shared store for the next server, a resumable session's new work is not
   * refused but left untaken: from its first such frame on, nothing more of its stream is counted
   * or handled, so the client sends it all again to the server it resumes on.
   */
  frame(session: Session<P>, frame: AnyFrame): void {
    const resumable = this.handsOver && session.resume !== undefined;
    if (resumable && this.#held.has(session)) return;
    let envelope: ClientEnvelope;
    try {
      envelope = this.read(frame);
      takeStructuredSize(); // not needed here; the pipeline measures again if it gets the frame
    } catch {
      // The pipeline answers a frame that does not decode, as it always does.
      this.pass(session, frame);
      return;
    }
    const k = envelope.k;
    if (k === 'req' || k === 'join' || k === 'msg') {
      if (resumable) {
        this.#held.add(session);
        return;
      }
      countTaken(this.core, session, k);
    }
    switch (envelope.k) {
      case 'req':
        // A nack for an id in flight would settle that request on the client: refused as the
        // pipeline refuses a duplicate id.
        if (session.incoming?.has(envelope.id) === true) {
          sendError(
            this.core,
            session,
            new PlugSocketError(
              'INVALID_MESSAGE',
              `request id ${envelope.id} is already in flight`,
            ),
          );
          return;
        }
        sendNack(this.core, session, envelope.id, refusal());
        return;
      case 'join':
        sendNack(this.core, session, envelope.id, refusal());
        return;
      case 'msg':
        // Told once: refusing a stream of messages must not become a stream of error frames.
        if (this.#told.has(session)) return;
        this.#told.add(session);
        sendError(this.core, session, refusal());
        return;
      default:
        this.pass(session, frame);
    }
  }

  #settled(session: Session<P>): void {
    if (session.incoming === undefined || session.incoming.size === 0) this.gone(session);
  }

  #check(): void {
    if (this.#busy.size > 0 || this.#finish === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const finish = this.#finish;
    this.#finish = undefined;
    finish();
  }

  readonly #timedOut = (): void => {
    this.#timer = undefined;
    for (const session of this.#busy) {
      for (const call of session.incoming?.values() ?? []) call.abort();
    }
    this.#busy.clear();
    this.#check();
  };
}

function refusal(): PlugSocketError {
  return new PlugSocketError('NOT_CONNECTED', 'server shutting down');
}
