import type { TransportCapabilities } from '../../../src/index.js';
import { MEMORY_CAPABILITIES, MemorySocketServer } from '../../../adapters/memory/index.js';

/** Flaw: the server's manifest differs from the one its author hands to the contract suite. */
export class ManifestMismatchServer extends MemorySocketServer {
  override readonly supports: TransportCapabilities = Object.freeze({
    ...MEMORY_CAPABILITIES,
    binary: false,
  });
}
