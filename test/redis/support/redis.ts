// Shared by the Redis backplane specs: the server they run against (the local one started when
// it is down), a prefix per run (every key under it is deleted afterwards), a node that records
// what its backplane calls, and bounded waits.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { REDIS_URL as LOCAL_REDIS_URL, ensureRedis } from '../../support/redis.js';
import type { BackplaneNode, BackplanePacket, BackplaneState, RemovedClient } from 'plugsocket';

/** The Redis the specs use: `PLUGSOCKET_REDIS_URL`, else the machine's own on loopback. */
export const REDIS_URL = process.env.PLUGSOCKET_REDIS_URL ?? LOCAL_REDIS_URL;

let available: Promise<boolean> | undefined;

/** Whether the Redis at {@link REDIS_URL} answers a PING (asked once per process). */
export function redisAvailable(): Promise<boolean> {
  return (available ??= (async () => {
    const probe = new Redis(REDIS_URL, {
      lazyConnect: true,
      connectTimeout: 1000,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  })());
}

/**
 * For a suite's `before`: makes sure Redis answers. The local one is started when it is down,
 * as for the multi-node specs (test/support/redis.ts); one named by `PLUGSOCKET_REDIS_URL` must
 * already run. Fails the suite, saying why, when there is none.
 */
export async function needRedis(): Promise<void> {
  if (process.env.PLUGSOCKET_REDIS_URL === undefined) await ensureRedis();
  if (!(await redisAvailable()))
    throw new Error(`no Redis answers at ${REDIS_URL} (start one, or set PLUGSOCKET_REDIS_URL)`);
}

/** A prefix no other run uses. */
export function uniquePrefix(): string {
  return `plugsocket-test-${randomBytes(6).toString('hex')}`;
}

/** A plain client on the specs' Redis (for inspecting keys and injecting messages). */
export function adminClient(): Redis {
  return new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 });
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** Every key under `prefix`, sorted. */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    out.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return out.sort();
}

/** A node that records every call its backplane makes. */
export class RecordingNode implements BackplaneNode {
  readonly received: { packet: BackplanePacket; from: string }[] = [];
  readonly states: { state: BackplaneState; error?: Error }[] = [];
  readonly gone: { node: string; removed: readonly RemovedClient[] | undefined }[] = [];

  constructor(readonly id: string) {}

  receive(packet: BackplanePacket, from: string): void {
    this.received.push({ packet, from });
  }

  state(state: BackplaneState, error?: Error): void {
    this.states.push({ state, error });
  }

  nodeGone(node: string, removed: readonly RemovedClient[] | undefined): void {
    this.gone.push({ node, removed });
  }

  /** The kinds received, in order. */
  get kinds(): string[] {
    return this.received.map(({ packet }) => packet.kind);
  }
}

/** Resolves once `predicate` holds, checking every 5 ms; fails after `timeout` ms. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeout = 3000,
): Promise<void> {
  const until = Date.now() + timeout;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > until) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(5);
  }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
