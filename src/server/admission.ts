import { PlugSocketError } from '../errors.js';
import type { ServerConnection } from '../ports/abstract-socket-server.js';
import type {
  AuthorizationResult,
  AuthorizationStrategy,
} from '../ports/authorization-strategy.js';
import { CloseCodes } from '../ports/close.js';
import { normalizeHandshake } from '../ports/handshake.js';
import type { AnyFrame, Handshake } from '../ports/types.js';
import type { AuthEnvelope, ClientEnvelope } from '../protocol/envelope.js';
import { frameSize } from '../protocol/frame-size.js';
import { isPromiseLike } from '../shared/is-promise-like.js';
import type { AuthThrottle } from './auth-throttle.js';
import { sendNack, type ServerCore } from './core.js';
import {
  isDone,
  runChain,
  type ConnectionContext,
  type ConnectionMiddleware,
} from './middleware.js';
import type { ResumeClaim } from './resume.js';
import { Session, type AdmissionState } from './session.js';

/** Admission settings, as the facade resolved them. */
export interface AdmissionSettings<P> {
  authorization: AuthorizationStrategy<P>;
  timeout: number;
  /** How long a first-frame client has to send its `auth` frame. */
  authTimeout: number;
  maxPendingFrames: number;
  maxPendingBytes: number;
  maxPendingBytesTotal: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  throttle: AuthThrottle | undefined;
  generateId: () => string;
  principalId: (principal: P) => string | undefined;
  /** Reads a client frame (for the first-frame `auth`). */
  read: (frame: AnyFrame) => ClientEnvelope;
  /** Asks `access.join` again for each of a session's topics; resolves with those it may not keep. */
  revalidateTopics: (session: Session<P>) => Promise<string[]>;
  /**
   * The resume step, with resume on: the session an admitted connection continues (when it asked
   * to resume one and may) or its own, and what its welcome says about it.
   */
  resume:
    | {
        claim: (
          session: Session<P>,
          principalKey: string | undefined,
        ) => ResumeClaim<P> | Promise<ResumeClaim<P>>;
        /** The connection went while an asynchronous claim was answered: the session waits again. */
        abandon: (claim: ResumeClaim<P>, session: Session<P>) => void;
      }
    | undefined;
}

/** The longest a timer may be set for; a later expiry is checked again when it fires. */
const MAX_TIMER = 2 ** 31 - 1;

/**
 * @internal From an accepted connection to `welcome`: connection middleware, then the
 * authorization strategy, then admission. A peer not yet trusted is bounded in time (the whole
 * admission must finish in `handshakeTimeout`, else 4408) and in memory (frames it sends
 * meanwhile are held up to `maxPendingFrames` and `maxPayload` bytes, else 1008).
 */
export class Admission<P> {
  readonly #middleware: ConnectionMiddleware[] = [];
  /** Bytes held for every session in admission together. */
  #pendingTotal = 0;
  /** Live connections by remote address (only for transports that report one). */
  readonly #perAddress = new Map<string, number>();
  /** Sessions with a credential refresh in progress. */
  readonly #refreshing = new WeakSet<Session<P>>();

  constructor(
    private readonly core: ServerCore<P>,
    private readonly settings: AdmissionSettings<P>,
    /** Called with a session the strategy admitted; sends `welcome` and announces it. */
    private readonly admitted: (session: Session<P>, outcome: ResumeClaim<P>) => void,
  ) {}

  use(fn: ConnectionMiddleware): void {
    if (typeof fn !== 'function') throw new TypeError('middleware must be a function');
    this.#middleware.push(fn);
  }

  /** Bytes held for sessions in admission now (for tests and metrics). */
  get pendingBytes(): number {
    return this.#pendingTotal;
  }

  /** A connection the transport accepted. */
  accept(connection: ServerConnection, handshake: Handshake): void {
    const { settings } = this;
    // Counted before this connection is registered: the caps are on connections at once.
    // Parked sessions (connection lost, may resume) count: each holds memory for its window.
    const { byConnection, parked } = this.core.registry;
    if (byConnection.size + parked.size >= settings.maxConnections) {
      this.core.metrics.refusedCapacity++;
      refuse(connection, CloseCodes.TRY_AGAIN_LATER, 'server full');
      return;
    }
    const address = handshake.remoteAddress;
    if (address !== undefined) {
      if ((this.#perAddress.get(address) ?? 0) >= settings.maxConnectionsPerAddress) {
        this.core.metrics.refusedCapacity++;
        refuse(connection, CloseCodes.TRY_AGAIN_LATER, 'too many connections from this address');
        return;
      }
      if (settings.throttle?.blocked(address) === true) {
        this.core.metrics.refusedAuth++;
        refuse(connection, CloseCodes.RATE_LIMITED, 'too many failed authentications');
        return;
      }
    }
    let id: string;
    try {
      id = this.#newId();
    } catch (error) {
      this.core.report(undefined, PlugSocketError.from(error));
      void connection.close(CloseCodes.INTERNAL_ERROR, 'could not assign a client id');
      return;
    }
    const session = new Session<P>(id, connection, handshake);
    this.core.registry.byConnection.set(connection, session);
    if (address !== undefined)
      this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    if (this.#middleware.length === 0) {
      this.#authenticate(session);
      return;
    }
    let reached = false;
    const ctx: ConnectionContext = {
      handshake,
      get: (key) => session.get(key),
      set: (key, value) => session.set(key, value),
    };
    let result: void | Promise<void>;
    try {
      result = runChain(this.#middleware, ctx, () => {
        reached = true;
      });
    } catch (error) {
      this.#refused(session, error);
      return;
    }
    const then = (): void => {
      if (session.status !== 'authorizing') return;
      if (reached) this.#authenticate(session);
      else this.#close(session, CloseCodes.UNAUTHORIZED, 'refused');
    };
    if (isDone(result)) then();
    else {
      this.#startTimer(session);
      (result as Promise<void>).then(then, (error: unknown) => this.#refused(session, error));
    }
  }

  /** A frame from a connection still in admission: held, bounded, until it is admitted. */
  hold(session: Session<P>, frame: AnyFrame): void {
    const state = session.admission;
    if (state === undefined) return;
    if (state.awaitingCredentials) {
      this.#credentials(session, state, frame);
      return;
    }
    const pending = state.pending;
    if (pending === undefined) return;
    const { maxPendingBytes, maxPendingBytesTotal, maxPendingFrames } = this.settings;
    const size = frameSize(frame, maxPendingBytes);
    state.bytes += size;
    this.#pendingTotal += size;
    if (
      pending.length >= maxPendingFrames ||
      state.bytes > maxPendingBytes ||
      this.#pendingTotal > maxPendingBytesTotal
    ) {
      this.#close(session, CloseCodes.POLICY_VIOLATION, 'too much data before authorization');
    } else pending.push(frame);
  }

  /** The connection went: its place in the per-address count and its held bytes are freed. */
  release(session: Session<P>): void {
    this.#releasePending(session);
    const address = session.handshake.remoteAddress;
    if (address === undefined) return;
    const count = this.#perAddress.get(address);
    if (count === undefined) return;
    if (count <= 1) this.#perAddress.delete(address);
    else this.#perAddress.set(address, count - 1);
  }

  /**
   * A client was cut off for abuse (it kept sending past its rate limit): its address is
   * counted as if it had failed to authenticate, so reconnecting to flood again is slowed down
   * and then refused like guessing is.
   */
  penalize(session: Session<P>): void {
    const address = session.handshake.remoteAddress;
    if (address !== undefined) this.settings.throttle?.failed(address);
  }

  /**
   * An admitted client's `auth` frame: its fresh credentials are verified by the strategy (as
   * `handshake.auth`); on success the principal and its expiry are replaced and the topics the
   * new principal may not hold are left, and listed in the `ack`. A refusal is a `nack`; the
   * connection keeps its current credentials until they expire.
   */
  refresh(session: Session<P>, envelope: AuthEnvelope): void {
    const { id } = envelope;
    const address = session.handshake.remoteAddress;
    const throttle = this.settings.throttle;
    if (address !== undefined && throttle?.blocked(address) === true) {
      end(session, CloseCodes.RATE_LIMITED, 'too many failed authentications');
      return;
    }
    if (this.#refreshing.has(session)) {
      sendNack(
        this.core,
        session,
        id,
        new PlugSocketError('TOO_MANY_REQUESTS', 'a refresh is already in progress'),
      );
      return;
    }
    this.#refreshing.add(session);
    const handshake = withCredentials(session.handshake, envelope.credentials);
    const verify = async (): Promise<void> => {
      const delay = address === undefined ? 0 : (throttle?.delay(address) ?? 0);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      // A parked session's refresh is answered too: the client counted its auth frame as taken,
      // and gets the answer on resume.
      if (!session.live) return;
      const result = await this.settings.authorization.authorize(handshake);
      if (!session.live) return;
      if (!isVerdict(result)) {
        throw new TypeError(
          'authorize() must return { ok: true, principal } or { ok: false, reason }',
        );
      }
      if (!result.ok) {
        if (result.code !== 'UNAUTHORIZED' && address !== undefined) throttle?.failed(address);
        const code = result.code === 'UNAUTHORIZED' ? 'UNAUTHORIZED' : 'AUTHENTICATION_FAILED';
        sendNack(this.core, session, id, new PlugSocketError(code, String(result.reason ?? '')));
        return;
      }
      const key = this.settings.principalId(result.principal);
      if (session.principalKey !== undefined && key !== session.principalKey) {
        sendNack(
          this.core,
          session,
          id,
          new PlugSocketError('UNAUTHORIZED', 'the credentials name a different principal'),
        );
        return;
      }
      session.principal = result.principal;
      this.#armExpiry(session, result.expiresAt);
      const left = await this.settings.revalidateTopics(session);
      if (session.live) this.core.router.toSession(session, { k: 'ack', id, result: { left } });
    };
    verify()
      .catch((error: unknown) => {
        this.core.report(
          session.id,
          new PlugSocketError('SERVER_ERROR', 'authorization strategy failed', { cause: error }),
        );
        sendNack(
          this.core,
          session,
          id,
          new PlugSocketError('SERVER_ERROR', 'could not verify the credentials'),
        );
      })
      .finally(() => this.#refreshing.delete(session));
  }

  /** After connection middleware: wait for a first `auth` frame, or authorize the handshake. */
  #authenticate(session: Session<P>): void {
    const strategy = this.settings.authorization;
    let firstFrame: boolean;
    try {
      firstFrame = strategy.expectsFirstFrame?.(session.handshake) === true;
    } catch (error) {
      this.#strategyFailed(session, error);
      return;
    }
    if (!firstFrame) {
      this.#throttled(session, session.handshake);
      return;
    }
    const state = session.admission;
    if (state === undefined) return;
    state.awaitingCredentials = true;
    state.timer ??= setTimeout(() => {
      if (session.status !== 'authorizing') return;
      this.#close(session, CloseCodes.HANDSHAKE_TIMEOUT, 'no credentials in time');
    }, this.settings.authTimeout);
  }

  /** The first frame of a client whose strategy expects credentials in it. */
  #credentials(session: Session<P>, state: AdmissionState, frame: AnyFrame): void {
    state.awaitingCredentials = false;
    if (state.timer !== undefined) clearTimeout(state.timer);
    state.timer = undefined;
    const limit = this.settings.maxPendingBytes;
    if (frameSize(frame, limit) > limit) {
      this.#close(session, CloseCodes.POLICY_VIOLATION, 'credentials too large');
      return;
    }
    let envelope: ClientEnvelope;
    try {
      envelope = this.settings.read(frame);
    } catch {
      this.#close(session, CloseCodes.AUTHENTICATION_FAILED, 'expected an auth frame first');
      return;
    }
    if (envelope.k !== 'auth') {
      this.#close(session, CloseCodes.AUTHENTICATION_FAILED, 'expected an auth frame first');
      return;
    }
    this.#throttled(session, withCredentials(session.handshake, envelope.credentials));
  }

  /** Authorizes, after the delay the throttle sets for the client's address. */
  #throttled(session: Session<P>, handshake: Handshake): void {
    const address = session.handshake.remoteAddress;
    const delay = address === undefined ? 0 : (this.settings.throttle?.delay(address) ?? 0);
    if (delay === 0) {
      this.#authorize(session, handshake);
      return;
    }
    this.#startTimer(session);
    setTimeout(() => {
      if (session.status === 'authorizing') this.#authorize(session, handshake);
    }, delay);
  }

  #authorize(session: Session<P>, handshake: Handshake): void {
    let verdict: AuthorizationResult<P> | Promise<AuthorizationResult<P>>;
    try {
      verdict = this.settings.authorization.authorize(handshake);
    } catch (error) {
      this.#strategyFailed(session, error);
      return;
    }
    if (!isPromiseLike(verdict)) {
      this.#admitSafely(session, verdict);
      return;
    }
    this.#startTimer(session);
    verdict.then(
      (result) => this.#admitSafely(session, result),
      (error: unknown) => this.#strategyFailed(session, error),
    );
  }

  #startTimer(session: Session<P>): void {
    const state = session.admission;
    if (state === undefined) return;
    state.pending ??= [];
    state.timer ??= setTimeout(() => {
      if (session.status !== 'authorizing') return;
      this.#close(session, CloseCodes.HANDSHAKE_TIMEOUT, 'authorization timed out');
    }, this.settings.timeout);
  }

  /** Admits or refuses; anything that throws in doing so closes the connection with 1011. */
  #admitSafely(session: Session<P>, result: AuthorizationResult<P>): void {
    if (session.status !== 'authorizing' || !session.connection.isOpen) return;
    try {
      this.#admit(session, result);
    } catch (error) {
      this.core.report(session.id, PlugSocketError.from(error));
      this.#close(session, CloseCodes.INTERNAL_ERROR, 'could not admit the client');
    }
  }

  #admit(session: Session<P>, result: AuthorizationResult<P>): void {
    if (!isVerdict(result)) {
      this.#strategyFailed(
        session,
        new TypeError('authorize() must return { ok: true, principal } or { ok: false, reason }'),
      );
      return;
    }
    if (!result.ok) {
      this.core.logger.debug('connection refused', { code: result.code, reason: result.reason });
      const address = session.handshake.remoteAddress;
      if (result.code !== 'UNAUTHORIZED' && address !== undefined) {
        this.settings.throttle?.failed(address);
      }
      this.#close(
        session,
        result.code === 'UNAUTHORIZED' ? CloseCodes.UNAUTHORIZED : CloseCodes.AUTHENTICATION_FAILED,
        String(result.reason ?? ''),
      );
      return;
    }
    if (typeof result.expiresAt === 'number' && result.expiresAt <= Date.now()) {
      this.#close(session, CloseCodes.TOKEN_EXPIRED, 'credentials expired');
      return;
    }
    const principalKey = this.settings.principalId(result.principal);
    const resume = this.settings.resume;
    if (resume === undefined) {
      this.#welcome(session, result, principalKey, { session });
      return;
    }
    const outcome = resume.claim(session, principalKey);
    if (!isPromiseLike(outcome)) {
      this.#welcome(session, result, principalKey, outcome);
      return;
    }
    this.#startTimer(session);
    outcome.then(
      (settled) => {
        if (session.status !== 'authorizing' || !session.connection.isOpen) {
          resume.abandon(settled, session);
          return;
        }
        try {
          this.#welcome(session, result, principalKey, settled);
        } catch (error) {
          this.core.report(session.id, PlugSocketError.from(error));
          this.#close(session, CloseCodes.INTERNAL_ERROR, 'could not admit the client');
        }
      },
      (error: unknown) => this.#strategyFailed(session, error),
    );
  }

  /**
   * Admission's last step: the connection joins its session — its own, or the one it resumed,
   * which takes over its connection and the frames it sent meanwhile — and is welcomed.
   */
  #welcome(
    session: Session<P>,
    result: AuthorizationResult<P> & { ok: true },
    principalKey: string | undefined,
    outcome: ResumeClaim<P>,
  ): void {
    const state = session.admission;
    if (state?.timer !== undefined) clearTimeout(state.timer);
    if (state !== undefined) state.timer = undefined;
    this.#releasePending(session);
    let target = session;
    if (outcome.session !== session) {
      target = outcome.session;
      target.attach(session.connection, session.handshake);
      target.admission = state;
      session.admission = undefined;
      session.status = 'gone';
      this.core.registry.byConnection.set(target.connection, target);
    }
    target.principal = result.principal;
    target.principalKey = principalKey;
    target.status = 'open';
    this.#armExpiry(target, result.expiresAt);
    this.admitted(target, outcome);
    // A resumed session keeps its topics under fresh credentials: `access.join` is asked again,
    // as for an in-band refresh, and a topic it refuses is left.
    if (outcome.resumed === true && target.topics.size > 0) {
      this.settings.revalidateTopics(target).catch((error: unknown) => {
        this.core.report(target.id, PlugSocketError.from(error));
      });
    }
  }

  #refused(session: Session<P>, error: unknown): void {
    if (session.status !== 'authorizing') return;
    if (PlugSocketError.is(error)) {
      this.#close(
        session,
        error.code === 'AUTHENTICATION_FAILED'
          ? CloseCodes.AUTHENTICATION_FAILED
          : CloseCodes.UNAUTHORIZED,
        error.message,
      );
      return;
    }
    this.core.report(
      undefined,
      new PlugSocketError('SERVER_ERROR', 'connection middleware failed', { cause: error }),
    );
    this.#close(session, CloseCodes.INTERNAL_ERROR, 'connection middleware failed');
  }

  #strategyFailed(session: Session<P>, error: unknown): void {
    if (session.status !== 'authorizing') return;
    this.core.report(
      undefined,
      new PlugSocketError('SERVER_ERROR', 'authorization strategy failed', { cause: error }),
    );
    this.#close(session, CloseCodes.INTERNAL_ERROR, 'authorization failed');
  }

  /** Ends a connection admission refused, counting the refusal by its reason. */
  #close(session: Session<P>, code: number, reason: string): void {
    // 1008 is only ever sent here for data over the admission bounds, 1011 for our own failures
    // (counted as errors); every other refusal of admission is about credentials.
    const metrics = this.core.metrics;
    if (code === CloseCodes.POLICY_VIOLATION) metrics.refusedPayload++;
    else if (code !== CloseCodes.INTERNAL_ERROR) metrics.refusedAuth++;
    this.#releasePending(session);
    session.dispose();
    void session.connection.close(code, truncateReason(reason)).catch(() => undefined);
  }

  #releasePending(session: Session<P>): void {
    const state = session.admission;
    if (state === undefined) return;
    this.#pendingTotal -= state.bytes;
    state.bytes = 0;
  }

  /** Closes the connection with 4419 when its credentials expire (replacing an earlier timer). */
  #armExpiry(session: Session<P>, expiresAt: number | undefined): void {
    if (session.expiryTimer !== undefined) clearTimeout(session.expiryTimer);
    session.expiryTimer = undefined;
    if (typeof expiresAt !== 'number' || Number.isNaN(expiresAt)) return;
    const check = (): void => {
      session.expiryTimer = undefined;
      if (session.status !== 'open') return;
      const left = expiresAt - Date.now();
      if (left > 0) {
        session.expiryTimer = setTimeout(check, Math.min(left, MAX_TIMER));
        return;
      }
      this.core.logger.debug('credentials expired', { clientId: session.id });
      end(session, CloseCodes.TOKEN_EXPIRED, 'credentials expired');
    };
    check();
  }

  #newId(): string {
    for (let attempt = 0; attempt < 10; attempt++) {
      const id = this.settings.generateId();
      const { byId, parked } = this.core.registry;
      if (typeof id === 'string' && id !== '' && !byId.has(id) && !parked.has(id)) return id;
    }
    throw new PlugSocketError(
      'SERVER_ERROR',
      'generateId() did not return a fresh non-empty string',
    );
  }
}

function isVerdict(result: unknown): result is AuthorizationResult<unknown> {
  return (
    typeof result === 'object' &&
    result !== null &&
    typeof (result as { ok?: unknown }).ok === 'boolean'
  );
}

/**
 * The handshake with in-band credentials as its `auth`, made safe the way a transport's are
 * (prototype keys dropped, nesting bounded, frozen), whatever codec decoded them.
 */
function withCredentials(handshake: Handshake, credentials: Record<string, unknown>): Handshake {
  return normalizeHandshake({ ...handshake, auth: credentials });
}

/** Closes an admitted session's connection; the transport's disconnect then ends the session. */
function end<P>(session: Session<P>, code: number, reason: string): void {
  void session.connection.close(code, reason).catch(() => undefined);
}

function refuse(connection: ServerConnection, code: number, reason: string): void {
  void connection.close(code, reason).catch(() => undefined);
}

/** The default `principalId`: a string principal, or a principal's string or number `id`. */
export function defaultPrincipalId(principal: unknown): string | undefined {
  if (typeof principal === 'string') return principal;
  if (typeof principal === 'object' && principal !== null) {
    const id = (principal as { id?: unknown }).id;
    if (typeof id === 'string') return id;
    if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  }
  return undefined;
}

const encoder = new TextEncoder();
/** Close reasons are limited to 123 bytes; cut long ones on a character boundary. */
export function truncateReason(reason: string): string {
  if (encoder.encode(reason).byteLength <= 123) return reason;
  let out = reason.slice(0, 123);
  while (encoder.encode(out).byteLength > 120) out = out.slice(0, -1);
  return `${out}…`;
}
