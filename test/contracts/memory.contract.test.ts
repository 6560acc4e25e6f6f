// The transport contract on the in-memory reference adapter, imported the way a third party
// imports the suite. Memory supports every capability, so nothing may be skipped.
import { MEMORY_CAPABILITIES, MemorySocket, MemorySocketServer } from 'plugsocket/memory';
import { describeTransportContract } from 'plugsocket/contracts';

describeTransportContract({
  name: 'memory',
  createServer: () => new MemorySocketServer(),
  createClient: () => new MemorySocket(),
  supports: MEMORY_CAPABILITIES,
});
