export { MemorySocket } from './memory-socket.js';
export {
  MemorySocketServer,
  MEMORY_CAPABILITIES,
  type MemorySocketServerOptions,
} from './memory-socket-server.js';
export { memoryModule, type MemoryModuleOptions } from './memory-module.js';
