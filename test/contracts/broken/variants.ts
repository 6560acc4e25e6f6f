import type {
  AbstractSocket,
  AbstractSocketServer,
  TransportCapabilities,
} from '../../../src/index.js';
import { MemorySocket, MemorySocketServer } from '../../../adapters/memory/index.js';
import { FrameDroppingSocket } from './drop-frame.js';
import { DoubleDeliveringSocket } from './double-deliver.js';
import { EarlyOpeningSocket } from './early-open.js';
import { FlatAuthServer } from './flat-auth.js';
import { HangingCloseServer } from './hanging-close.js';
import { CodeIgnoringServer, CodeIgnoringSocket } from './ignore-close-codes.js';
import { Latin1Server } from './latin1-text.js';
import { LenientArraysSocket } from './lenient-arrays.js';
import { ListenerLeakingSocket } from './leak-listeners.js';
import { ManifestMismatchServer } from './manifest-mismatch.js';
import { ReorderingSocketServer } from './reorder-frames.js';
import { SevenBitSocket } from './seven-bit-binary.js';
import { SilentPingServer } from './silent-ping.js';
import { SilentRemoteCloseSocket } from './silent-remote-close.js';
import { StickyConnectedServer } from './sticky-connected.js';
import { JsonTextServer, JsonTextSocket } from './structured-as-text.js';
import { FlatteningSocket } from './structured-flattened.js';
import {
  STRUCTURED_MEMORY_CAPABILITIES,
  StructuredMemorySocket,
  StructuredMemorySocketServer,
} from './structured-memory.js';
import { ArraySniffingSocket } from './text-as-structured.js';
import { ThrowingSendSocket } from './throwing-send.js';
import { UnacknowledgedDisconnectSocket } from './unacknowledged-disconnect.js';
import { UnnoticedVanishServer } from './unnoticed-vanish.js';

/** A server/client pair of the memory adapter with (at most) one flaw built in. */
export interface AdapterVariant {
  createServer(): AbstractSocketServer;
  createClient(): AbstractSocket;
  /** The manifest the suite is given for this variant. @default MEMORY_CAPABILITIES */
  supports?: TransportCapabilities;
}

const server = (): AbstractSocketServer => new MemorySocketServer();
const client = (): AbstractSocket => new MemorySocket();
const structuredServer = (): AbstractSocketServer => new StructuredMemorySocketServer();
const structuredClient = (): AbstractSocket => new StructuredMemorySocket();

/**
 * Every variant the contract suite is run against, by name. `reference` is the unmodified memory
 * adapter, the control: the suite must pass it, skipping only the `[supports.structured]` tests its
 * manifest turns off. `reference-structured` is the memory adapter declaring `structured` and
 * carrying arrays correctly, the control of the structured variants: the suite must pass it
 * completely, skipping nothing.
 */
export const ADAPTER_VARIANTS = {
  reference: { createServer: server, createClient: client },
  'reference-structured': {
    createServer: structuredServer,
    createClient: structuredClient,
    supports: STRUCTURED_MEMORY_CAPABILITIES,
  },
  'drop-frame': { createServer: server, createClient: () => new FrameDroppingSocket() },
  'reorder-frames': { createServer: () => new ReorderingSocketServer(), createClient: client },
  'silent-remote-close': {
    createServer: server,
    createClient: () => new SilentRemoteCloseSocket(),
  },
  'sticky-connected': { createServer: () => new StickyConnectedServer(), createClient: client },
  'flat-auth': { createServer: () => new FlatAuthServer(), createClient: client },
  'early-open': { createServer: server, createClient: () => new EarlyOpeningSocket() },
  'double-deliver': { createServer: server, createClient: () => new DoubleDeliveringSocket() },
  'leak-listeners': { createServer: server, createClient: () => new ListenerLeakingSocket() },
  'ignore-close-codes': {
    createServer: () => new CodeIgnoringServer(),
    createClient: () => new CodeIgnoringSocket(),
  },
  'latin1-text': { createServer: () => new Latin1Server(), createClient: client },
  'seven-bit-binary': { createServer: server, createClient: () => new SevenBitSocket() },
  'hanging-close': { createServer: () => new HangingCloseServer(), createClient: client },
  'unacknowledged-disconnect': {
    createServer: server,
    createClient: () => new UnacknowledgedDisconnectSocket(),
  },
  'unnoticed-vanish': { createServer: () => new UnnoticedVanishServer(), createClient: client },
  'throwing-send': { createServer: server, createClient: () => new ThrowingSendSocket() },
  'silent-ping': { createServer: () => new SilentPingServer(), createClient: client },
  'manifest-mismatch': { createServer: () => new ManifestMismatchServer(), createClient: client },
  'structured-as-text': {
    createServer: () => new JsonTextServer(),
    createClient: () => new JsonTextSocket(),
    supports: STRUCTURED_MEMORY_CAPABILITIES,
  },
  'structured-flattened': {
    createServer: structuredServer,
    createClient: () => new FlatteningSocket(),
    supports: STRUCTURED_MEMORY_CAPABILITIES,
  },
  'text-as-structured': {
    createServer: structuredServer,
    createClient: () => new ArraySniffingSocket(),
    supports: STRUCTURED_MEMORY_CAPABILITIES,
  },
  'lenient-arrays': { createServer: server, createClient: () => new LenientArraysSocket() },
} satisfies Record<string, AdapterVariant>;

/** The name of one variant. */
export type AdapterVariantName = keyof typeof ADAPTER_VARIANTS;

/** The environment variable the fixture reads the variant name from. */
export const VARIANT_ENV = 'PLUGSOCKET_CONTRACT_VARIANT';
