// What the Redis backplane's directory costs in Redis memory, per client (docs/scaling.md,
// "Sizing Redis"): one node lists N clients, each with a user and a few topics out of a shared
// set, and Redis's `used_memory` is read before and after. Loopback Redis (127.0.0.1:6379), its
// own key prefix, every key deleted at the end; bounded (a few seconds).
//
//   node --conditions=plugsocket-source --import tsx bench/redis-memory.ts [--clients 20000] [--topics 3]
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisBackplane } from 'plugsocket/redis';
import type { BackplaneNode } from 'plugsocket';
import { numberArg, parseArgs } from './common.js';

const args = parseArgs();
const clients = numberArg(args, 'clients', 20_000);
const topicsEach = numberArg(args, 'topics', 3);
const topicCount = 200;
const prefix = `plugsocket-mem-${randomUUID().slice(0, 8)}`;
const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: false });

async function usedMemory(): Promise<number> {
  const info = await redis.info('memory');
  const match = /used_memory:(\d+)/.exec(info);
  if (match === null) throw new Error('INFO memory has no used_memory');
  return Number(match[1]);
}

async function deleteKeys(): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

const node: BackplaneNode = {
  id: 'mem-node',
  receive: () => undefined,
  state: () => undefined,
  nodeGone: () => undefined,
};

const backplane = new RedisBackplane({ redis: 'redis://127.0.0.1:6379', prefix });
try {
  await backplane.open(node);
  const before = await usedMemory();
  const started = Date.now();
  const batch = 500;
  for (let i = 0; i < clients; i += batch) {
    const writes: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(clients, i + batch); j++) {
      const id = randomUUID().replaceAll('-', '').slice(0, 16);
      writes.push(
        backplane.addClient({
          id,
          node: node.id,
          user: `user-${j % Math.ceil(clients / 2)}`,
          connectedAt: Date.now(),
          principal: { id: `user-${j % Math.ceil(clients / 2)}`, role: 'member' },
        }),
      );
      for (let t = 0; t < topicsEach; t++)
        writes.push(backplane.joinTopic(id, `room-${(j * 7 + t * 13) % topicCount}`));
    }
    await Promise.all(writes);
  }
  const elapsed = Date.now() - started;
  const after = await usedMemory();
  const perClient = (after - before) / clients;
  const writes = clients * (1 + topicsEach);
  console.log(
    `directory: ${clients} clients (2 per user, principal {id, role}), ${topicsEach} topics each of ${topicCount}`,
  );
  console.log(
    `redis used_memory: +${((after - before) / 1048576).toFixed(1)} MiB = ${Math.round(perClient)} bytes per client`,
  );
  console.log(
    `writes: ${writes} scripts in ${elapsed} ms = ${Math.round(writes / (elapsed / 1000))}/s (pipelined, one node)`,
  );
  console.log(
    `RESULT ${JSON.stringify({ clients, topicsEach, bytesPerClient: Math.round(perClient), writesPerSecond: Math.round(writes / (elapsed / 1000)) })}`,
  );
} finally {
  await backplane.close().catch(() => undefined);
  const deleted = await deleteKeys();
  if (deleted > 0) console.log(`(deleted ${deleted} leftover keys)`);
  redis.disconnect();
}
