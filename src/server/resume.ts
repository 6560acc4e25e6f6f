import { PlugSocketError } from '../errors.js';
import type { AnyFrame, CloseInfo, Handshake } from '../ports/types.js';
import type { SessionRecord, SessionStore } from '../ports/session-store.js';
import type { ResumeFailure } from '../protocol/envelope.js';
import { isPromiseLike } from '../shared/is-promise-like.js';
import { randomString } from '../shared/random-id.js';
import { unref } from '../shared/unref.js';
import type { ServerCore } from './core.js';
import type { ServerConnection } from '../ports/server-connection.js';
import type { Cursor, HandOffProof } from './cluster.js';
import {
  GOT_EVERY,
  NEW_SESSION,
  RECEIVED_PARAM,
  RESUME_PARAM,
  endsSession,
  isStreamKind,
} from '../protocol/resume.js';
import { ResumeLog, sameSecret, type ResumeLogLimits } from './resume-log.js';

/** Which secret of a stored session `secret` is (see `ResumeLog.accepts`). */
function secretOf(record: SessionRecord, secret: string): 'current' | 'previous' | undefined {
  if (sameSecret(record.secret, secret)) return 'current';
  const previous = record.previousSecret;
  return previous !== undefined && sameSecret(previous, secret) ? 'previous' : undefined;
}
import { PARKED, Session } from './session.js';

export { RESUME_PARAM };

/** Session resume settings, as the facade resolved them. */
export interface ResumeSettings {
  /** How long a session whose connection was lost may be resumed, in ms. */
  readonly window: number;
  readonly limits: ResumeLogLimits;
  readonly store: SessionStore;
  /**
   * False when the store is the server's own default: nobody could read what a shut-down server
   * saved there, so nothing is saved.
   */
  readonly shared: boolean;
  /**
   * On a cluster: asks the node that holds session `id` to hand it to the store (resolves when it
   * did, or cannot), before this node takes it.
   */
  readonly handOff?: ((id: string, proof: HandOffProof) => Promise<Cursor | undefined>) | undefined;
  /**
   * On a cluster: a session taken from the store after a hand-over gets what the handing node
   * had not read yet. False when some of it is lost.
   */
  readonly catchUp?: ((session: Session<unknown>, cursor: Cursor) => boolean) | undefined;
  /** On a cluster: where this node is in every node's stream now (saved with each record). */
  readonly position?: (() => Cursor) | undefined;
  /**
   * On a cluster: true while another node is shutting down and handing its sessions over, so a
   * session missing from the store may be on its way to another node: a claim looks again.
   */
  readonly handOverInProgress?: (() => boolean) | undefined;
}

/**
 * How admission ends for a connection: the session to welcome (a new one, or the one it
 * resumed) and what the welcome says about resuming.
 */
export interface ResumeClaim<P> {
  readonly session: Session<P>;
  /** True when the client asked for a new resumable session (it gets a token, a log, counts). */
  readonly fresh?: boolean;
  /** Absent when the client did not ask to resume; a client that did gets a resumable session. */
  readonly resumed?: boolean;
  readonly reason?: ResumeFailure;
  /** With `resumed`: how many of the session's frames the client has; the rest is replayed. */
  readonly from?: number;
  /** With `resumed`: the client presented the secret before the latest (see `ResumeLog.renew`). */
  readonly viaPrevious?: boolean;
}

/** A resume request read from a handshake. */
interface ResumeRequest {
  readonly id: string;
  readonly secret: string;
  readonly received: number;
}

/**
 * @internal Session resume on the server: which lost connections park their session, parked
 * sessions and their window, a client's claim on a session (by token, here or in the
 * {@link SessionStore}), and handing sessions to the store on shutdown.
 */
export class SessionResume<P> {
  constructor(
    private readonly core: ServerCore<P>,
    private readonly settings: ResumeSettings,
    /**
     * Detaches an open session from its connection (a half-open one a resuming client replaces):
     * parks it and tells the application its connection is gone.
     */
    private readonly replaced: (session: Session<P>) => void,
  ) {}

  /** True when a claim gives a resumable session: the client asked, for a new one or to resume. */
  static resumable<P>(claim: ResumeClaim<P>): boolean {
    return claim.fresh === true || claim.resumed !== undefined;
  }

  /** A newly admitted session starts counting (its log is empty until something is sent). */
  start(session: Session<P>): void {
    // Its first secret comes with its first welcome (renewToken).
    session.resume = new ResumeLog('', this.settings.limits);
  }

  /** The token a welcome gives, renewed each time: the id, a dot, a fresh secret. */
  renewToken(session: Session<P>, claim: ResumeClaim<P>): string {
    const log = session.resume!;
    log.renew(secret(), claim.viaPrevious === true);
    return `${session.id}.${log.secret}`;
  }

  /**
   * True when a session that lost its connection with `info` waits to be resumed: not when the
   * close ends sessions — the one reported, or the one the server itself started (a kick whose
   * close handshake timed out is reported 1006, and still ends the session).
   */
  parks(session: Session<P>, info: CloseInfo): boolean {
    if (session.resume === undefined || endsSession(info.code)) return false;
    const requested = session.connection._closeCode;
    return requested === undefined || !endsSession(requested);
  }

  /** Parks a session for the resume window; it ends if nobody resumes it by then. */
  park(session: Session<P>, ended: (session: Session<P>) => void): void {
    this.core.registry.park(session);
    session.park();
    session.parkedAt = session.resume?.sent ?? 0;
    const window = this.settings.window;
    session.parkedUntil = Date.now() + window;
    this.#armWindow(session, ended);
  }

  /** Ends a parked session when its window is over (re-armed past the longest timer). */
  #armWindow(session: Session<P>, ended: (session: Session<P>) => void): void {
    const left = session.parkedUntil - Date.now();
    const timer = setTimeout(
      () => {
        if (session.status !== 'parked') return;
        if (Date.now() < session.parkedUntil) this.#armWindow(session, ended);
        else ended(session);
      },
      Math.min(Math.max(left, 0), 2 ** 31 - 1),
    );
    unref(timer);
    session.parkTimer = timer;
  }

  /**
   * Admission's resume step, for a connection whose credentials were accepted as `principalKey`:
   * the session it resumes when it asked and may, else `session` (new) with why not.
   */
  claim(
    session: Session<P>,
    principalKey: string | undefined,
  ): ResumeClaim<P> | Promise<ResumeClaim<P>> {
    const request = readRequest(session.handshake);
    if (request === undefined) return { session };
    if (request === NEW_SESSION) return { session, fresh: true };
    if (request === null) return { session, resumed: false, reason: 'denied' };
    const registry = this.core.registry;
    const local = registry.parked.get(request.id) ?? registry.byId.get(request.id);
    if (local !== undefined) return this.#claimLocal(session, local, request, principalKey);
    // Only the holder of the token takes the record: a forged one leaves it in the store.
    const accept = (stored: SessionRecord): boolean =>
      secretOf(stored, request.secret) !== undefined && stored.principalKey === principalKey;
    const handOff = this.settings.handOff;
    if (handOff !== undefined) {
      // Another node may hold it (parked, or half-open there): it goes to the store first.
      const proof = { secret: request.secret, user: principalKey, received: request.received };
      return this.#claimInCluster(session, request, accept, handOff, proof);
    }
    return this.#take(session, request, accept, undefined);
  }

  /**
   * A claim on a cluster: the holder (if any) hands the session over, then it is taken from the
   * store. While a node that shuts down hands its sessions to others, a session that is in
   * neither place yet is looked for again a few times.
   */
  async #claimInCluster(
    session: Session<P>,
    request: ResumeRequest,
    accept: (stored: SessionRecord) => boolean,
    handOff: (id: string, proof: HandOffProof) => Promise<Cursor | undefined>,
    proof: HandOffProof,
  ): Promise<ResumeClaim<P>> {
    const registry = this.core.registry;
    for (let attempt = 0; ; attempt++) {
      const cursor = await handOff(request.id, proof);
      // Meanwhile this node may have got it itself (a node that shut down handed it here).
      const here = registry.parked.get(request.id) ?? registry.byId.get(request.id);
      if (here !== undefined) return this.#claimLocal(session, here, request, proof.user);
      const claim = await this.#take(session, request, accept, cursor);
      if (claim.resumed !== false || claim.reason !== 'expired') return claim;
      // Up to 2 s: a loaded node may take that long to take the session over and list it.
      if (attempt >= 20 || this.settings.handOverInProgress?.() !== true) return claim;
      if (session.connection.state !== 'open') return claim;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  #take(
    session: Session<P>,
    request: ResumeRequest,
    accept: (stored: SessionRecord) => boolean,
    cursor: Cursor | undefined,
  ): ResumeClaim<P> | Promise<ResumeClaim<P>> {
    let record: SessionRecord | undefined | Promise<SessionRecord | undefined>;
    try {
      record = this.settings.store.take(request.id, accept);
    } catch (error) {
      return this.#storeFailed(session, error);
    }
    if (!isPromiseLike(record)) return this.#fromRecord(session, record, request, cursor);
    return Promise.resolve(record).then(
      (taken) => this.#fromRecord(session, taken, request, cursor),
      (error: unknown) => this.#storeFailed(session, error),
    );
  }

  #claimLocal(
    session: Session<P>,
    local: Session<P>,
    request: ResumeRequest,
    principalKey: string | undefined,
  ): ResumeClaim<P> {
    const log = local.resume;
    const matched = log?.accepts(request.secret);
    if (log === undefined || matched === undefined) {
      return { session, resumed: false, reason: 'denied' };
    }
    // A client that claims frames it was never sent does not count right: no resume for it.
    if (local.principalKey !== principalKey || request.received > log.sent) {
      return { session, resumed: false, reason: 'denied' };
    }
    if (local.doomed) {
      // It missed something while it waited (its log let go): it cannot continue.
      if (local.status === 'open') this.replaced(local);
      this.end(local);
      return { session, resumed: false, reason: 'overflow' };
    }
    if (!log.has(request.received)) {
      // What the client missed is gone: its session cannot continue, and waits no longer.
      if (local.status === 'open') this.replaced(local);
      this.end(local);
      return { session, resumed: false, reason: 'overflow' };
    }
    // Half-open: the server had not noticed the old connection go. The new one replaces it.
    if (local.status === 'open') this.replaced(local);
    return {
      session: local,
      resumed: true,
      from: request.received,
      viaPrevious: matched === 'previous',
    };
  }

  /** A record the store handed over: its `accept` already checked the secret and the principal. */
  #fromRecord(
    session: Session<P>,
    record: SessionRecord | undefined,
    request: ResumeRequest,
    cursor: Cursor | undefined,
  ): ResumeClaim<P> {
    // None, expired, or not this client's (a forged token, another principal: the store kept
    // it for its owner). The store cannot say which; each is "no such session" to this client.
    if (record === undefined || record.expiresAt <= Date.now()) {
      return { session, resumed: false, reason: 'expired' };
    }
    const matched = secretOf(record, request.secret);
    if (matched === undefined || request.received > record.logStart + record.log.length) {
      // A record taken for a client that does not count right: it waits no longer.
      return { session, resumed: false, reason: 'denied' };
    }
    const restored = this.#restore(record, session.connection, session.handshake);
    const log = restored.resume!;
    // Where the saver had read when it saved (the moment of the log's copy), else the holder's
    // position when it answered the hand-over.
    const from = record.position ?? cursor;
    const caughtUp = from === undefined || this.#catchUp(restored, from);
    if (!caughtUp || !log.has(request.received)) {
      this.core.registry.remove(restored);
      restored.dispose();
      return { session, resumed: false, reason: 'overflow' };
    }
    return {
      session: restored,
      resumed: true,
      from: request.received,
      viaPrevious: matched === 'previous',
    };
  }

  /** A parked session rebuilt from a record, in its topics (not yet listed anywhere). */
  #restore(record: SessionRecord, connection: ServerConnection, handshake: Handshake): Session<P> {
    const restored = new Session<P>(record.id, connection, handshake);
    restored.status = 'parked';
    const log = new ResumeLog(record.secret, this.settings.limits);
    log.previousSecret = record.previousSecret;
    log.restore(record.logStart, record.log, record.received);
    restored.resume = log;
    restored.principalKey = record.principalKey;
    restored.parkedUntil = record.expiresAt;
    restored.parkedAt = record.logStart + record.log.length;
    for (const [key, value] of record.data) restored.set(key, value);
    for (const topic of record.topics) this.core.registry.subscribe(restored, topic);
    return restored;
  }

  #catchUp(session: Session<P>, cursor: Cursor): boolean {
    const catchUp = this.settings.catchUp;
    return catchUp === undefined || catchUp(session, cursor);
  }

  /**
   * A node that shut down handed session `id` to this one: taken from the store and kept parked
   * here for the rest of its window, getting what is sent to it meanwhile. A session that missed
   * something in the hand-over keeps nothing more: its client is told `overflow`.
   */
  async adopt(id: string, cursor: Cursor, ended: (session: Session<P>) => void): Promise<void> {
    const registry = this.core.registry;
    if (registry.parked.has(id) || registry.byId.has(id)) return;
    let record: SessionRecord | undefined;
    try {
      record = await this.settings.store.take(id, () => true);
    } catch (error) {
      this.core.logger.warn('session store failed', { error });
      return;
    }
    if (record === undefined || record.expiresAt <= Date.now()) return;
    if (registry.parked.has(id) || registry.byId.has(id)) return;
    const restored = this.#restore(record, PARKED, PARKED.handshake);
    restored.park();
    if (!this.#catchUp(restored, record.position ?? cursor)) {
      restored.resume!.clear();
      restored.doomed = true;
    }
    registry.parked.set(id, restored);
    registry.observer?.adopted(restored);
    this.#armWindow(restored, ended);
  }

  /**
   * The frames a resumed client missed, as its welcome goes out. Undefined only when the log
   * overflowed after the claim (frames sent while an asynchronous store answered): reported,
   * since the client was already told it resumed.
   */
  replay(session: Session<P>, from: number): readonly AnyFrame[] {
    const frames = session.resume?.from(from);
    if (frames !== undefined) return frames;
    this.core.report(
      session.id,
      new PlugSocketError('SERVER_ERROR', 'the resume log overflowed while the session resumed'),
    );
    return session.resume?.kept() ?? [];
  }

  /**
   * Admission gave up on a connection after claiming a session for it (it closed while an
   * asynchronous store answered): the session waits again, for the rest of its window.
   */
  abandon(claim: ResumeClaim<P>, connectionSession: Session<P>): void {
    const session = claim.session;
    if (session === connectionSession || session.status !== 'parked') return;
    if (session.parkedUntil <= Date.now()) {
      this.end(session);
      return;
    }
    this.core.registry.parked.set(session.id, session);
    // Restored from the store for that connection, it was never listed: it is now (parked).
    if (!session.listed) this.core.registry.observer?.adopted(session);
    this.#armWindow(session, (s) => this.end(s));
  }

  #storeFailed(session: Session<P>, error: unknown): ResumeClaim<P> {
    this.core.logger.warn('session store failed', { error });
    return { session, resumed: false, reason: 'expired' };
  }

  /** Ends a parked (or replaced) session for good. */
  end(session: Session<P>): void {
    this.core.registry.remove(session);
    session.dispose();
  }

  /**
   * The server is shutting down: every session still here (open or parked) goes to the store
   * with the time left in its window, then ends here.
   */
  persist(sessions: Iterable<Session<P>>): void {
    for (const session of [...sessions]) {
      void this.#persistOne(session);
      this.end(session);
    }
  }

  /**
   * Another node resumes a session held here: it goes to the (shared) store and ends here.
   * Resolves once the store has it.
   */
  /**
   * True when a client presenting `proof` may take `session` (the checks of a resume on this
   * node: the secret, the principal, a count of frames it could have received).
   */
  proves(session: Session<P>, proof: HandOffProof): boolean {
    const log = session.resume;
    return (
      log !== undefined &&
      log.accepts(proof.secret) !== undefined &&
      session.principalKey === proof.user &&
      proof.received <= log.sent
    );
  }

  handOff(session: Session<P>): Promise<void> {
    const saved = this.#persistOne(session);
    this.end(session);
    return saved;
  }

  /** Resolves when every save started so far has finished (failed ones included). */
  async saved(): Promise<void> {
    while (this.#saving.size > 0) await Promise.all([...this.#saving]);
  }

  readonly #saving = new Set<Promise<void>>();

  #persistOne(session: Session<P>): Promise<void> {
    const log = session.resume;
    // A session that already missed something is not worth keeping: its client starts afresh.
    if (log === undefined || session.status === 'gone' || session.doomed || !this.settings.shared)
      return Promise.resolve();
    const now = Date.now();
    const expiresAt =
      session.status === 'parked' ? session.parkedUntil : now + this.settings.window;
    if (expiresAt <= now) return Promise.resolve();
    return this.#save({
      id: session.id,
      secret: log.secret,
      previousSecret: log.previousSecret,
      principal: session.principal,
      principalKey: session.principalKey,
      topics: [...session.topics],
      data: session.data === undefined ? [] : [...session.data],
      received: log.received,
      logStart: log.start,
      log: log.kept(),
      expiresAt,
      position: this.settings.position?.(),
    });
  }

  #save(record: SessionRecord): Promise<void> {
    const ttl = record.expiresAt - Date.now();
    if (ttl <= 0) return Promise.resolve();
    try {
      const saved = this.settings.store.save(record, ttl);
      if (isPromiseLike(saved)) {
        const done: Promise<void> = Promise.resolve(saved).then(
          () => {
            this.#saving.delete(done);
          },
          (error: unknown) => {
            this.#saving.delete(done);
            this.core.logger.warn('session store failed', { error });
          },
        );
        this.#saving.add(done);
        return done;
      }
    } catch (error) {
      this.core.logger.warn('session store failed', { error });
    }
    return Promise.resolve();
  }
}

/**
 * Counts a frame an admitted client sent: every kind but `ping`, `pong` and `got` (undefined for
 * one that did not decode) takes a position in its stream. Every {@link GOT_EVERY} the client is
 * told how many the server has taken, so it can drop what it kept to resend.
 */
export function countTaken<P>(core: ServerCore<P>, session: Session<P>, kind: unknown): void {
  const log = session.resume;
  if (log === undefined || !isStreamKind(kind)) return;
  // The client sends on this connection, so it read the welcome: its old secret is done with.
  log.previousSecret = undefined;
  const received = ++log.received;
  if (received - log.gotSent < GOT_EVERY) return;
  log.gotSent = received;
  core.router.control(session, core.router.encodeEnvelope({ k: 'got', n: received }));
}

/**
 * The resume request in a handshake: undefined when none (a session that ends with its
 * connection), {@link NEW_SESSION} for a new resumable one, null when malformed.
 */
function readRequest(handshake: Handshake): ResumeRequest | typeof NEW_SESSION | undefined | null {
  const token = handshake.query[RESUME_PARAM];
  if (token === undefined) return undefined;
  if (token === NEW_SESSION) return NEW_SESSION;
  const received = handshake.query[RECEIVED_PARAM] ?? '0';
  const dot = token.lastIndexOf('.');
  if (dot <= 0 || dot === token.length - 1 || !/^\d{1,15}$/.test(received)) return null;
  return { id: token.slice(0, dot), secret: token.slice(dot + 1), received: Number(received) };
}

/** 192 random bits, base64url. */
function secret(): string {
  return randomString(32);
}
