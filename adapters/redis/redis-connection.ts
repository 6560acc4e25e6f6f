import { Redis, type RedisOptions } from 'ioredis';

/**
 * Where the adapter finds Redis: an ioredis client you made (the adapter never closes it unless
 * told to, and makes its own connections from it with `duplicate()`), or the options or
 * `redis://` URL to make one from.
 */
export type RedisConnection = Redis | RedisOptions | string;

/**
 * The client for `connection`, and whether the adapter made it (and so must close it). `made`
 * are options for a client the adapter makes (never applied to one you pass).
 */
export function clientFor(
  connection: RedisConnection | undefined,
  made: RedisOptions = {},
): {
  client: Redis;
  owned: boolean;
} {
  if (isClient(connection)) return { client: connection, owned: false };
  // lazyConnect: nothing is dialled until the adapter needs it, so a backplane or store that is
  // made and never used opens no socket and keeps no process alive.
  if (typeof connection === 'string')
    return { client: new Redis(connection, { ...made, lazyConnect: true }), owned: true };
  if (connection === undefined || (typeof connection === 'object' && connection !== null))
    return { client: new Redis({ ...connection, ...made, lazyConnect: true }), owned: true };
  throw new TypeError('redis must be an ioredis client, its options or a redis:// URL');
}

/** An ioredis client, recognised by shape so that a second copy of ioredis works too. */
function isClient(value: unknown): value is Redis {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Redis).duplicate === 'function' &&
    typeof (value as Redis).evalsha === 'function'
  );
}

/** Closes a client: QUIT when it is connected (pending replies arrive first), else drops it. */
export async function closeClient(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

/** The `redis_version` major of the server `client` is connected to, or 0 when unknown. */
export async function serverMajor(client: Redis): Promise<number> {
  const info = await client.info('server');
  const match = /redis_version:(\d+)/.exec(info);
  return match === null ? 0 : Number(match[1]);
}
