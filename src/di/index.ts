// The `plugsocket/di` entry point: the injection tokens and the core `ContainerModule`. It is the
// only part of the core that loads `inversify` (and, through it, `reflect-metadata`), so it lives
// apart from `plugsocket`, which stays free of both. Each adapter's modules are in its own DI
// entry (`plugsocket/ws/di`, `plugsocket/memory/di`, …), beside the adapter they bind.
export { TOKENS } from './tokens.js';
export { plugsocketCoreModule } from './core-module.js';
