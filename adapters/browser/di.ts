// The `plugsocket/browser/di` entry point: the browser transport's inversify module. Apart from
// `plugsocket/browser` so that a page importing the transport never loads `inversify`.
export { browserClientModule } from './browser-module.js';
