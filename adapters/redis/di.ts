// The `plugsocket/redis/di` entry point: the Redis backplane's inversify module. Apart from
// `plugsocket/redis` so that importing the backplane never loads `inversify`.
export { redisBackplaneModule } from './redis-module.js';
