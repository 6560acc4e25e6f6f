// The `plugsocket/ws/di` entry point: the ws transport's inversify modules. Apart from
// `plugsocket/ws` so that importing the transport never loads `inversify`.
export { wsServerModule, wsClientModule } from './ws-module.js';
