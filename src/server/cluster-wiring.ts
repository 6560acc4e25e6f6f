import { PlugSocketError } from '../errors.js';
import { CloseCodes } from '../ports/close.js';
import type { CloseInfo } from '../ports/types.js';
import { randomId } from '../shared/random-id.js';
import type { Admission } from './admission.js';
import { ClusterLink, type ClusterHost } from './cluster.js';
import { ClusterEvents, LocalPresence, ServerCluster } from './cluster-events.js';
import { coreFor, type ServerCore } from './core.js';
import type { SocketServerOptions } from './options.js';
import type { RequestOptions, ServerRequests } from './requests.js';
import type { ResumeSettings, SessionResume } from './resume.js';
import type { Session } from './session.js';

/** @internal A server's cluster: its link to the other nodes (if any), events and API. */
export interface ServerClusterParts<P> {
  /** The link to the other nodes; absent without a backplane (a cluster of one). */
  readonly link: ClusterLink<P> | undefined;
  readonly events: ClusterEvents;
  readonly cluster: ServerCluster<P>;
}

/**
 * @internal Joins a server to its cluster. With a `backplane`, a link that the router publishes
 * through and the session registry reports to; without, presence from the server's own registry.
 * @throws {TypeError} when `backplane` or `nodeId` is not valid.
 */
export function joinCluster<P>(
  core: ServerCore<P>,
  options: Pick<SocketServerOptions<P>, 'backplane' | 'nodeId'>,
  keepRecent: boolean,
): ServerClusterParts<P> {
  const backplane = options.backplane;
  if (backplane !== undefined && (backplane === null || typeof backplane.open !== 'function'))
    throw new TypeError('backplane must implement the Backplane port');
  const nodeId = options.nodeId ?? randomId();
  if (typeof nodeId !== 'string' || nodeId === '')
    throw new TypeError('nodeId must be a non-empty string');
  const events = new ClusterEvents((error, event) =>
    core.report(
      undefined,
      new PlugSocketError('SERVER_ERROR', `a cluster "${event}" listener threw`, {
        cause: error,
      }),
    ),
  );
  let link: ClusterLink<P> | undefined;
  if (backplane !== undefined) {
    link = new ClusterLink<P>(coreFor(core, 'cluster'), backplane, events, nodeId, keepRecent);
    core.router.cluster = link;
    core.registry.observer = link.presence;
  } else {
    core.registry.observer = new LocalPresence(core.registry, events, nodeId);
  }
  const cluster = new ServerCluster<P>(core.registry, events, backplane, nodeId);
  return { link, events, cluster };
}

/** @internal What session resume does through the link: hand-overs between nodes, catching up. */
export function resumeOnCluster<P>(
  link: ClusterLink<P> | undefined,
): Pick<ResumeSettings, 'handOff' | 'catchUp' | 'position' | 'handOverInProgress'> {
  if (link === undefined) return {};
  return {
    handOff: (id, proof) => link.handOff(id, proof),
    catchUp: (session, cursor) => link.catchUp(session as Session<P>, cursor),
    position: () => link.cursor(),
    handOverInProgress: () => link.handOverInProgress(),
  };
}

/** @internal The parts of a server its cluster host works with, and what only the server does. */
export interface HostServer<P> {
  readonly core: ServerCore<P>;
  readonly requests: ServerRequests<P>;
  readonly admission: Admission<P>;
  readonly resume: SessionResume<P> | undefined;
  /** The server's `disconnect`. */
  disconnect(clientId: string, code: number, reason: string): Promise<void>;
  /** Tells the application a client's connection is gone. */
  gone(clientId: string, info: CloseInfo): void;
  /** A parked session's window ended: it is gone for good (handed to `park` as is). */
  readonly ended: (session: Session<P>) => void;
  /** True while the server is listening (neither idle nor shutting down). */
  listening(): boolean;
}

/** @internal What the cluster link asks of this server for work other nodes sent. */
export function clusterHost<P>(server: HostServer<P>): ClusterHost<P> {
  const { core, requests, admission, resume } = server;
  return {
    request: (session, name, payload, options, from, headers) =>
      requests.request(session, name, payload, options, from, headers),
    requestMany: (sessions, name, payload, timeout) =>
      requests.requestMany(sessions, name, payload, timeout),
    disconnect: (clientId, code, reason) => server.disconnect(clientId, code, reason),
    handOff: (clientId, proof) => {
      const registry = core.registry;
      const session = registry.byId.get(clientId) ?? registry.parked.get(clientId);
      if (session === undefined || resume === undefined) return Promise.resolve(false);
      // Only the session's own client may move it: a forged token leaves it where it is.
      if (!resume.proves(session, proof)) return Promise.resolve(false);
      if (session.status === 'open') {
        // Half-open here (the client already reconnected elsewhere): this connection goes, as
        // when a client resumes on this node (parked first, so its close is not reported again).
        const connection = session.connection;
        admission.release(session);
        resume.park(session, server.ended);
        server.gone(session.id, {
          code: CloseCodes.ABNORMAL,
          reason: 'resumed on another node',
        });
        core.adapter.terminateConnection(connection);
      }
      return resume.handOff(session).then(() => true);
    },
    adopt: (clientId, cursor) => {
      if (!server.listening()) return;
      resume
        ?.adopt(clientId, cursor, server.ended)
        .catch((error: unknown) =>
          core.report(
            undefined,
            new PlugSocketError('SERVER_ERROR', 'adopting a session failed', { cause: error }),
          ),
        );
    },
    requestTimeout: requests.defaultTimeout,
  };
}

/** @internal A request to a client another node holds. */
export async function requestRemote<P>(
  link: ClusterLink<P>,
  clientId: string,
  name: string,
  payload: unknown,
  options: RequestOptions | undefined,
): Promise<unknown> {
  const where = await link.locate(clientId).catch((error: unknown) => {
    throw new PlugSocketError('NOT_CONNECTED', 'the backplane is unreachable', { cause: error });
  });
  if (where === undefined || where.node === link.id)
    throw new PlugSocketError('NOT_CONNECTED', `client ${clientId} is not connected`);
  return link.request(where.node, clientId, name, payload, options ?? {});
}

/**
 * @internal On shutdown: a server's sessions, saved to the shared store, go to the other nodes.
 * @returns false when there is no other node (they are to be persisted instead).
 */
export function handSessionsOver<P>(
  link: ClusterLink<P>,
  resume: SessionResume<P>,
  sessions: readonly Session<P>[],
): Promise<boolean> {
  const byId = new Map(sessions.map((session) => [session.id, session]));
  return link.offerSessions((id) => resume.handOff(byId.get(id)!), [...byId.keys()]);
}
