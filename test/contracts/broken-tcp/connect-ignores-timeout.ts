import type { ConnectOptions } from '../../../src/index.js';
import { TcpSocket } from '../../../examples/tcp-adapter/index.js';

/** The connect timeout the flawed client uses whatever the caller asked for. */
const OWN_CONNECT_TIMEOUT = 30_000;

/**
 * Flaw: the client has a connect timeout of its own (30 s) that replaces the caller's
 * `ConnectOptions.timeout`, as an adapter that reads its own option and forgets the port's
 * would. A refused or reset connect still fails at once; only a server that accepts TCP and then
 * never answers the handshake shows that `connect()` does not reject within its timeout.
 */
export class ConnectIgnoresTimeoutSocket extends TcpSocket {
  override connect(options: ConnectOptions): Promise<void> {
    return super.connect({ ...options, timeout: OWN_CONNECT_TIMEOUT });
  }
}
