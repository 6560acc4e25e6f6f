// The published contract suites under node:test instead of mocha: proof that the suites need no
// mocha or chai. Run by `npm run test:node` (and in CI); the mocha run never loads this file.
import * as nodeTest from 'node:test';
import { MEMORY_CAPABILITIES, MemorySocket, MemorySocketServer } from 'plugsocket/memory';
import { WS_CAPABILITIES, WsSocket, WsSocketServer } from 'plugsocket/ws';
import { describeLayerContract, describeTransportContract } from 'plugsocket/contracts';

describeTransportContract({
  name: 'memory',
  runner: nodeTest,
  createServer: () => new MemorySocketServer(),
  createClient: () => new MemorySocket(),
  supports: MEMORY_CAPABILITIES,
  createServerAt: (address) =>
    new MemorySocketServer({ name: address.url!.slice('memory://'.length) }),
});

describeTransportContract({
  name: 'ws',
  runner: nodeTest,
  createServer: () => new WsSocketServer({ port: 0, host: '127.0.0.1' }),
  createClient: () => new WsSocket(),
  supports: WS_CAPABILITIES,
  createServerAt: (address) => new WsSocketServer({ port: address.port, host: '127.0.0.1' }),
  faults: true,
});

describeLayerContract({
  name: 'ws',
  runner: nodeTest,
  createServer: () => new WsSocketServer({ port: 0, host: '127.0.0.1' }),
  createClient: () => new WsSocket(),
  supports: WS_CAPABILITIES,
});
