// The Lua scripts that make each directory change atomic, so that of two nodes changing one
// user at once exactly one sees each presence transition, and exactly one survivor removes a
// gone node's entries. They build key names from the prefix (ARGV[1]) the way keys.ts does:
// that is fine on a single Redis server or behind Sentinel, not on Redis Cluster, whose scripts
// must declare every key (the adapter does not support Cluster).
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A script run by its SHA1, loaded again when the server lost it (a restart, SCRIPT FLUSH). */
export class LuaScript {
  readonly sha: string;

  constructor(
    readonly source: string,
    readonly keys = 0,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /**
   * Loads the script into the server's cache. The backplane loads every script each time its
   * connection is ready, before using it: the NOSCRIPT fallback below costs a round trip, in
   * which a later call of an already loaded script would overtake this one.
   */
  async load(redis: Redis): Promise<void> {
    await redis.script('LOAD', this.source);
  }

  async run(redis: Redis, ...args: (string | number | Buffer)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, this.keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.source, this.keys, ...args);
    }
  }
}

/** Helpers every directory script starts with. */
const PRELUDE = `
local P = ARGV[1]
local CLIENTS = P .. ':clients'
local TOPICS = P .. ':topics'
-- Takes client id off its user's online set; 1 when that emptied it (the user went offline).
local function offline(user, id)
  local key = P .. ':user:' .. user
  if redis.call('SREM', key, id) == 0 then return 0 end
  if redis.call('SCARD', key) == 0 then return 1 end
  return 0
end
local function leave(id, topic)
  if redis.call('SREM', P .. ':topic:' .. topic, id) == 1 then
    if redis.call('HINCRBY', TOPICS, topic, -1) <= 0 then redis.call('HDEL', TOPICS, topic) end
  end
end
-- Removes client id (when node is given, only if that node holds it). Returns its entry, its
-- topics and 1 when its user went offline; nil when nothing was removed.
local function remove(id, node)
  local raw = redis.call('HGET', CLIENTS, id)
  if not raw then return nil end
  local entry = cjson.decode(raw)
  if node and entry.node ~= node then return nil end
  redis.call('HDEL', CLIENTS, id)
  redis.call('SREM', P .. ':node-clients:' .. entry.node, id)
  local tkey = P .. ':client-topics:' .. id
  local topics = redis.call('ZRANGE', tkey, 0, -1)
  for _, topic in ipairs(topics) do leave(id, topic) end
  redis.call('DEL', tkey)
  local changed = 0
  if type(entry.user) == 'string' then
    redis.call('SREM', P .. ':user-clients:' .. entry.user, id)
    changed = offline(entry.user, id)
  end
  return raw, topics, changed
end
`;

/** ARGV: prefix, id, node, entry JSON, has user ('1'/'0'), user, parked ('1'/'0'). → 1 when the user came online or (parked) went offline. */
export const ADD_CLIENT = new LuaScript(`${PRELUDE}
local id, node, entry, hasUser, user, parked = ARGV[2], ARGV[3], ARGV[4], ARGV[5] == '1', ARGV[6], ARGV[7] == '1'
local prev = redis.call('HGET', CLIENTS, id)
redis.call('HSET', CLIENTS, id, entry)
if prev then
  local old = cjson.decode(prev)
  if old.node ~= node then redis.call('SREM', P .. ':node-clients:' .. old.node, id) end
  if type(old.user) == 'string' and (not hasUser or old.user ~= user) then
    redis.call('SREM', P .. ':user-clients:' .. old.user, id)
    offline(old.user, id)
  end
end
redis.call('SADD', P .. ':node-clients:' .. node, id)
if not hasUser then return 0 end
redis.call('SADD', P .. ':user-clients:' .. user, id)
if parked then return offline(user, id) end
local key = P .. ':user:' .. user
if redis.call('SADD', key, id) == 1 and redis.call('SCARD', key) == 1 then return 1 end
return 0
`);

/** ARGV: prefix, id, node or '' (remove only if that node holds it). → 1 when the user went offline. */
export const REMOVE_CLIENT = new LuaScript(`${PRELUDE}
local node = nil
if ARGV[3] ~= '' then node = ARGV[3] end
local raw, topics, changed = remove(ARGV[2], node)
if not raw then return 0 end
return changed
`);

/** ARGV: prefix, id, topic. Does nothing for a client not listed. */
export const JOIN_TOPIC = new LuaScript(`${PRELUDE}
local id, topic = ARGV[2], ARGV[3]
if redis.call('HEXISTS', CLIENTS, id) == 0 then return 0 end
if redis.call('SADD', P .. ':topic:' .. topic, id) == 1 then redis.call('HINCRBY', TOPICS, topic, 1) end
-- A sorted set scored by join order, so a removed entry lists its topics as they were joined.
local tkey = P .. ':client-topics:' .. id
if not redis.call('ZSCORE', tkey, topic) then
  local last = redis.call('ZRANGE', tkey, -1, -1, 'WITHSCORES')
  redis.call('ZADD', tkey, (tonumber(last[2]) or 0) + 1, topic)
end
return 1
`);

/** ARGV: prefix, id, topic. */
export const LEAVE_TOPIC = new LuaScript(`${PRELUDE}
redis.call('ZREM', P .. ':client-topics:' .. ARGV[2], ARGV[3])
leave(ARGV[2], ARGV[3])
return 1
`);

/** ARGV: prefix, mode ('topic' | 'user' | 'both'), topic or user, user. → entries (JSON). */
export const GET_CLIENTS = new LuaScript(`${PRELUDE}
local mode, ids = ARGV[2], nil
if mode == 'topic' then ids = redis.call('SMEMBERS', P .. ':topic:' .. ARGV[3])
elseif mode == 'user' then ids = redis.call('SMEMBERS', P .. ':user-clients:' .. ARGV[3])
else ids = redis.call('SINTER', P .. ':topic:' .. ARGV[3], P .. ':user-clients:' .. ARGV[4]) end
local out = {}
for i = 1, #ids, 500 do
  local chunk = {}
  for j = i, math.min(i + 499, #ids) do chunk[#chunk + 1] = ids[j] end
  for _, value in ipairs(redis.call('HMGET', CLIENTS, unpack(chunk))) do
    if value then out[#out + 1] = value end
  end
end
return out
`);

/** ARGV: prefix. → [ids with a liveness key, ids without one]. */
export const CHECK_NODES = new LuaScript(`
local P = ARGV[1]
local alive, expired = {}, {}
for _, id in ipairs(redis.call('SMEMBERS', P .. ':nodes')) do
  if redis.call('EXISTS', P .. ':node:' .. id) == 1 then alive[#alive + 1] = id
  else expired[#expired + 1] = id end
end
return {alive, expired}
`);

/**
 * ARGV: prefix, node, token, ttl. → 0 joined; -1 a node with this id is open; -2 a run of this
 * id left entries that must be removed first.
 */
export const REGISTER_NODE = new LuaScript(`
local P, node = ARGV[1], ARGV[2]
local key = P .. ':node:' .. node
if redis.call('EXISTS', key) == 1 then return -1 end
if redis.call('SISMEMBER', P .. ':nodes', node) == 1 then return -2 end
redis.call('SET', key, ARGV[3], 'PX', ARGV[4])
redis.call('SADD', P .. ':nodes', node)
return 0
`);

/**
 * ARGV: prefix, node, token, ttl. → 1 renewed; 0 it had lapsed and is written again (a survivor
 * may have removed the node's entries); -1 another node holds the id now (nothing written).
 */
export const HEARTBEAT = new LuaScript(`
local P, node = ARGV[1], ARGV[2]
local key = P .. ':node:' .. node
local previous = redis.call('GET', key)
if previous and previous ~= ARGV[3] then return -1 end
redis.call('SET', key, ARGV[3], 'PX', ARGV[4])
redis.call('SADD', P .. ':nodes', node)
if previous then return 1 end
return 0
`);

/** Statuses of {@link REAP_NODE}. */
export const ReapStatus = {
  /** The node is no longer listed: someone else removed it. */
  NotListed: 0,
  /** The last entries are removed (and, unless kept, the node unlisted). */
  Done: 1,
  /** A batch was removed; call again. */
  More: 2,
  /** The node's liveness key exists again: it is back, nothing was removed. */
  Alive: 3,
  /** The caller no longer holds the lock. */
  LockLost: 4,
} as const;

/**
 * ARGV: prefix, node, batch size, lock token, keep listed ('1' / '0'). Removes up to a batch of a
 * node whose liveness key is gone, while the caller holds its reap lock. → [status, [[entry JSON,
 * topics, user offline (0/1)], …]].
 */
export const REAP_NODE = new LuaScript(`${PRELUDE}
local node = ARGV[2]
if redis.call('GET', P .. ':reap:' .. node) ~= ARGV[4] then return {4, {}} end
if redis.call('EXISTS', P .. ':node:' .. node) == 1 then return {3, {}} end
if redis.call('SISMEMBER', P .. ':nodes', node) == 0 then return {0, {}} end
local set = P .. ':node-clients:' .. node
local out = {}
for _, id in ipairs(redis.call('SPOP', set, tonumber(ARGV[3]))) do
  local raw, topics, changed = remove(id, node)
  if raw then out[#out + 1] = {raw, topics, changed} end
end
if redis.call('SCARD', set) > 0 then return {2, out} end
if ARGV[5] ~= '1' then redis.call('SREM', P .. ':nodes', node) end
return {1, out}
`);

/** ARGV: prefix, node, lock token, unlist ('1' / '0'). Drops the reap lock if the caller holds it. */
export const RELEASE_REAP = new LuaScript(`
local P, node = ARGV[1], ARGV[2]
if ARGV[4] == '1' then redis.call('SREM', P .. ':nodes', node) end
local lock = P .. ':reap:' .. node
if redis.call('GET', lock) == ARGV[3] then redis.call('DEL', lock) end
return 1
`);

/** KEYS: record, log. ARGV: the record as read. Deletes both only if the record is unchanged. → 1 / 0. */
export const TAKE_SESSION = new LuaScript(
  `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
`,
  2,
);

/** The scripts the backplane runs, loaded on each new connection. */
export const BACKPLANE_SCRIPTS: readonly LuaScript[] = [
  ADD_CLIENT,
  REMOVE_CLIENT,
  JOIN_TOPIC,
  LEAVE_TOPIC,
  GET_CLIENTS,
  CHECK_NODES,
  REGISTER_NODE,
  HEARTBEAT,
  REAP_NODE,
  RELEASE_REAP,
];
