import { MEMORY_CAPABILITIES, MemorySocket, MemorySocketServer } from '../../adapters/memory/index.js';
import { describeTransportContract } from '../../contracts/index.js';

describeTransportContract({
  name: 'memory',
  createServer: () => new MemorySocketServer(),
  createClient: () => new MemorySocket(),
  supports: MEMORY_CAPABILITIES,
});
