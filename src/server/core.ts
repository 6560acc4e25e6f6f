import type { PlugSocketError } from '../errors.js';
import { partLogger, type Logger } from '../logger.js';
import type { ServerMetrics } from './metrics.js';
import type { AbstractSocketServer } from '../ports/abstract-socket-server.js';
import type { Router } from './router.js';
import type { Session } from './session.js';
import type { SessionRegistry } from './session-registry.js';

/**
 * @internal What the server's collaborators share: the transport, the registry, the router, the
 * counters and the error channel. Made once by `SocketServer`; each collaborator keeps a
 * reference (or the copy {@link coreFor} makes with its own logger).
 */
export interface ServerCore<P> {
  readonly adapter: AbstractSocketServer;
  readonly registry: SessionRegistry<P>;
  readonly router: Router<P>;
  readonly logger: Logger;
  /** The server's counters: each collaborator bumps those of what it sees. */
  readonly metrics: ServerMetrics;
  /** Reports an error on the server's `onError` channel. */
  report(clientId: string | undefined, error: PlugSocketError): void;
  /** A pong from `session` (the protocol's `pong` frame): handed to the heartbeat, if on. */
  pong(session: Session<P>): void;
}

/**
 * @internal The core as one part of the server sees it: the same transport, registry, router,
 * counters and error channel, with that part's logger (`plugsocket:server:<part>` by default).
 */
export function coreFor<P>(core: ServerCore<P>, part: string): ServerCore<P> {
  return { ...core, logger: partLogger(core.logger, part) };
}

/** @internal Sends an `error` frame: a frame of the client's was refused, its connection stays. */
export function sendError<P>(
  core: ServerCore<P>,
  session: Session<P>,
  error: PlugSocketError,
): void {
  if (session.live) core.router.toSession(session, { k: 'error', error: error.toJSON() });
}

/** @internal Sends the protocol's `nack` for request `id`. */
export function sendNack<P>(
  core: ServerCore<P>,
  session: Session<P>,
  id: number,
  error: PlugSocketError,
): void {
  if (session.live) core.router.toSession(session, { k: 'nack', id, error: error.toJSON() });
}
