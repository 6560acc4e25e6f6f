// The `plugsocket/redis` entry point: the Backplane port over Redis with ioredis, so several
// servers share topics, presence and sessions. Its inversify module is in `plugsocket/redis/di`,
// so this entry never loads `inversify`.
export { RedisBackplane } from './redis-backplane.js';
export type { RedisBackplaneOptions, RedisBackplaneStats } from './redis-backplane-options.js';
export { RedisSessionStore, type RedisSessionStoreOptions } from './redis-session-store.js';
export type { RedisConnection } from './redis-connection.js';
export {
  encodeBackplanePacket,
  decodeBackplanePacket,
  encodeJsonValue,
  decodeJsonValue,
  type DecodedBackplanePacket,
  type EncodeBackplanePacketOptions,
} from './codec.js';
