import type { ClusterClient } from '../ports/backplane.js';
import type { ConnectedClient } from './session.js';

const EMPTY_HANDSHAKE = Object.freeze({
  url: '',
  headers: Object.freeze({}),
  query: Object.freeze({}),
  auth: Object.freeze({}),
});

/**
 * @internal A client of another node as `canRequest` sees it: its id, its principal as the
 * directory carries it (a JSON copy; undefined when it was not JSON), when it connected. It has
 * no handshake, topics, latency or data here: those stay on its node.
 */
export function remoteClient<P>(entry: ClusterClient): ConnectedClient<P> {
  return Object.freeze({
    id: entry.id,
    handshake: EMPTY_HANDSHAKE,
    principal: entry.principal as P,
    topics: new Set<string>(),
    connectedAt: new Date(entry.connectedAt),
    resumed: false,
    latency: undefined,
    bufferedAmount: 0,
    writable: entry.parked !== true,
    drained: () => Promise.resolve(),
    get: () => undefined,
    set: () => {
      throw new TypeError(`client ${entry.id} is held by node ${entry.node}: set() works there`);
    },
  });
}
