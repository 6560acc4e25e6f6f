// The transport contract on the in-memory reference adapter, imported the way a third party
// imports the suite. Memory declares every capability but `structured`, so only the tests gated on
// that are skipped (test/contracts/broken-adapters.test.ts checks the run skips nothing else, and
// runs the structured tests on a memory variant that declares it).
import { MEMORY_CAPABILITIES, MemorySocket, MemorySocketServer } from 'plugsocket/memory';
import { describeTransportContract } from 'plugsocket/contracts';

describeTransportContract({
  name: 'memory',
  createServer: () => new MemorySocketServer(),
  createClient: () => new MemorySocket(),
  supports: MEMORY_CAPABILITIES,
  // A server of the same name takes over the memory://<name> address a closed one released.
  createServerAt: (address) =>
    new MemorySocketServer({ name: address.url!.slice('memory://'.length) }),
});
