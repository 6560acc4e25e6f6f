import { PlugSocketError } from '../errors.js';
import type { ServerConnection } from '../ports/abstract-socket-server.js';
import type {
  AuthorizationResult,
  AuthorizationStrategy,
} from '../ports/authorization-strategy.js';
import { CloseCodes } from '../ports/close.js';
import type { AnyFrame, Handshake } from '../ports/types.js';
import { frameSize } from '../protocol/frame-size.js';
import { isPromiseLike } from '../shared/is-promise-like.js';
import type { ServerCore } from './core.js';
import {
  isDone,
  runChain,
  type ConnectionContext,
  type ConnectionMiddleware,
} from './middleware.js';
import { Session } from './session.js';

/** Admission settings, as the facade resolved them. */
export interface AdmissionSettings<P> {
  authorization: AuthorizationStrategy<P>;
  timeout: number;
  maxPendingFrames: number;
  maxPendingBytes: number;
  generateId: () => string;
  principalId: (principal: P) => string | undefined;
}

/**
 * @internal From an accepted connection to `welcome`: connection middleware, then the
 * authorization strategy, then admission. A peer not yet trusted is bounded in time (the whole
 * admission must finish in `handshakeTimeout`, else 4408) and in memory (frames it sends
 * meanwhile are held up to `maxPendingFrames` and `maxPayload` bytes, else 1008).
 */
export class Admission<P> {
  readonly #middleware: ConnectionMiddleware[] = [];

  constructor(
    private readonly core: ServerCore<P>,
    private readonly settings: AdmissionSettings<P>,
    /** Called with a session the strategy admitted; sends `welcome` and announces it. */
    private readonly admitted: (session: Session<P>) => void,
  ) {}

  use(fn: ConnectionMiddleware): void {
    if (typeof fn !== 'function') throw new TypeError('middleware must be a function');
    this.#middleware.push(fn);
  }

  /** A connection the transport accepted. */
  accept(connection: ServerConnection, handshake: Handshake): void {
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
    if (this.#middleware.length === 0) {
      this.#authorize(session);
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
      if (reached) this.#authorize(session);
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
    const pending = session.pending;
    if (pending === undefined) return;
    session.pendingBytes += frameSize(frame, this.settings.maxPendingBytes);
    if (
      pending.length >= this.settings.maxPendingFrames ||
      session.pendingBytes > this.settings.maxPendingBytes
    ) {
      this.#close(session, CloseCodes.POLICY_VIOLATION, 'too much data before authorization');
    } else pending.push(frame);
  }

  #authorize(session: Session<P>): void {
    let verdict: AuthorizationResult<P> | Promise<AuthorizationResult<P>>;
    try {
      verdict = this.settings.authorization.authorize(session.handshake);
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
    session.pending ??= [];
    session.admissionTimer ??= setTimeout(() => {
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
    if (typeof result !== 'object' || result === null || typeof result.ok !== 'boolean') {
      this.#strategyFailed(
        session,
        new TypeError('authorize() must return { ok: true, principal } or { ok: false, reason }'),
      );
      return;
    }
    if (!result.ok) {
      this.core.logger.debug('connection refused', { code: result.code, reason: result.reason });
      this.#close(
        session,
        result.code === 'UNAUTHORIZED' ? CloseCodes.UNAUTHORIZED : CloseCodes.AUTHENTICATION_FAILED,
        String(result.reason ?? ''),
      );
      return;
    }
    if (session.admissionTimer !== undefined) clearTimeout(session.admissionTimer);
    session.admissionTimer = undefined;
    session.principal = result.principal;
    session.principalKey = this.settings.principalId(result.principal);
    session.status = 'open';
    this.admitted(session);
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

  #close(session: Session<P>, code: number, reason: string): void {
    session.dispose();
    void session.connection.close(code, truncateReason(reason)).catch(() => undefined);
  }

  #newId(): string {
    for (let attempt = 0; attempt < 10; attempt++) {
      const id = this.settings.generateId();
      if (typeof id === 'string' && id !== '' && !this.core.registry.byId.has(id)) return id;
    }
    throw new PlugSocketError(
      'SERVER_ERROR',
      'generateId() did not return a fresh non-empty string',
    );
  }
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
