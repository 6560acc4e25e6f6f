// The `plugsocket/memory` entry point: the in-process transport, for tests. Its inversify module
// is in `plugsocket/memory/di`, so this entry never loads `inversify`.
export { MemorySocket } from './memory-socket.js';
export {
  MemorySocketServer,
  MEMORY_CAPABILITIES,
  type MemorySocketServerOptions,
} from './memory-socket-server.js';
