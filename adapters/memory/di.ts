// The `plugsocket/memory/di` entry point: the in-memory transport's inversify module. Apart from
// `plugsocket/memory` so that importing the transport never loads `inversify`.
export { memoryModule, type MemoryModuleOptions } from './memory-module.js';
