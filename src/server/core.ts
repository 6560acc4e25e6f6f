import type { PlugSocketError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AbstractSocketServer } from '../ports/abstract-socket-server.js';
import type { Router } from './router.js';
import type { Session } from './session.js';
import type { SessionRegistry } from './session-registry.js';

/**
 * @internal What the server's collaborators share: the transport, the registry, the router and
 * the error channel. Made once by `SocketServer`; each collaborator keeps a reference.
 */
export interface ServerCore<P> {
  readonly adapter: AbstractSocketServer;
  readonly registry: SessionRegistry<P>;
  readonly router: Router<P>;
  readonly logger: Logger;
  /** Reports an error on the server's `onError` channel. */
  report(clientId: string | undefined, error: PlugSocketError): void;
}

/** @internal Sends an `error` frame: a frame of the client's was refused, its connection stays. */
export function sendError<P>(
  core: ServerCore<P>,
  session: Session<P>,
  error: PlugSocketError,
): void {
  if (session.status === 'open')
    core.router.toSession(session, { k: 'error', error: error.toJSON() });
}

/** @internal Sends the protocol's `nack` for request `id`. */
export function sendNack<P>(
  core: ServerCore<P>,
  session: Session<P>,
  id: number,
  error: PlugSocketError,
): void {
  if (session.status === 'open')
    core.router.toSession(session, { k: 'nack', id, error: error.toJSON() });
}
