import type { AbstractSocket, AbstractSocketServer } from '../../../src/index.js';
import { TcpSocket, TcpSocketServer } from '../../../examples/tcp-adapter/index.js';
import { BinaryByReferenceServer } from './binary-by-reference.js';
import { CloseWaitsForHandshakesServer } from './close-waits-for-handshakes.js';
import { ConnectIgnoresTimeoutSocket } from './connect-ignores-timeout.js';
import { DanglingConnectSocket } from './dangling-connect.js';
import { DoubleCloseOnResetSocket } from './double-close-on-reset.js';
import { PartialFrameOnEofServer } from './partial-frame-on-eof.js';
import { ResendAfterCutSocket } from './resend-after-cut.js';

/** A server/client pair of the TCP example adapter with (at most) one flaw built in. */
export interface TcpAdapterVariant {
  createServer(): AbstractSocketServer;
  createClient(): AbstractSocket;
}

const server = (): AbstractSocketServer => new TcpSocketServer({ port: 0, host: '127.0.0.1' });
const client = (): AbstractSocket => new TcpSocket();

/**
 * Every TCP variant the transport contract (with its fault tier) is run against, by name.
 * `reference` is the unmodified TCP example adapter, the control: the whole contract must pass.
 * Each other variant has one flaw that only a broken network shows.
 */
export const TCP_ADAPTER_VARIANTS = {
  reference: { createServer: server, createClient: client },
  'partial-frame-on-eof': {
    createServer: () => new PartialFrameOnEofServer({ port: 0, host: '127.0.0.1' }),
    createClient: client,
  },
  'double-close-on-reset': {
    createServer: server,
    createClient: () => new DoubleCloseOnResetSocket(),
  },
  'connect-ignores-timeout': {
    createServer: server,
    createClient: () => new ConnectIgnoresTimeoutSocket(),
  },
  'dangling-connect': { createServer: server, createClient: () => new DanglingConnectSocket() },
  'close-waits-for-handshakes': {
    createServer: () => new CloseWaitsForHandshakesServer(),
    createClient: client,
  },
  'resend-after-cut': { createServer: server, createClient: () => new ResendAfterCutSocket() },
  'binary-by-reference': {
    createServer: () => new BinaryByReferenceServer({ port: 0, host: '127.0.0.1' }),
    createClient: client,
  },
} satisfies Record<string, TcpAdapterVariant>;

/** The name of one variant. */
export type TcpAdapterVariantName = keyof typeof TCP_ADAPTER_VARIANTS;

/** The environment variable the fixture reads the variant name from. */
export const TCP_VARIANT_ENV = 'PLUGSOCKET_CONTRACT_TCP_VARIANT';
