// A cluster of RedisBackplane nodes for one spec: small intervals (they are integration tests
// against a real Redis), one prefix per spec, and everything closed and deleted afterwards.
import type { Redis, RedisOptions } from 'ioredis';
import { RedisBackplane, type RedisBackplaneOptions } from 'plugsocket/redis';
import { REDIS_URL, RecordingNode, adminClient, deleteKeys, uniquePrefix } from './redis.js';
import { TcpProxy } from './tcp-proxy.js';

/** Timing for specs: fast heartbeats, and room for a loaded machine before a node lapses. */
export const FAST = { heartbeatInterval: 50, nodeTimeout: 1500, commandTimeout: 2000 } as const;
/** For the specs about nodes that stop or lose their link: cleaned up within about half a second. */
export const SHORT_LIVED = { ...FAST, nodeTimeout: 400 } as const;

/** Host and port of {@link REDIS_URL}. */
export function redisTarget(): { host: string; port: number } {
  const url = new URL(REDIS_URL);
  return { host: url.hostname || '127.0.0.1', port: Number(url.port || 6379) };
}

/** One opened node: its backplane, its recorder, and (when asked for) the proxy in its path. */
export interface TestNode {
  readonly backplane: RedisBackplane;
  readonly node: RecordingNode;
  readonly proxy?: TcpProxy;
}

export class TestCluster {
  readonly prefix = uniquePrefix();

  /** `timing`: the heartbeat, node and command timeouts every backplane of it gets. */
  constructor(readonly timing: typeof FAST | typeof SHORT_LIVED = FAST) {}

  readonly admin: Redis = adminClient();
  readonly #backplanes: RedisBackplane[] = [];
  readonly #proxies: TcpProxy[] = [];
  #count = 0;

  /** A backplane of this cluster, not opened. */
  backplane(options: RedisBackplaneOptions & { port?: number } = {}): RedisBackplane {
    const { host, port } = redisTarget();
    const redis: RedisOptions = {
      host,
      port: options.port ?? port,
      // Specs reconnect fast after a cut instead of ioredis's backoff of up to 5 s.
      retryStrategy: () => 20,
    };
    const backplane = new RedisBackplane({
      redis,
      prefix: this.prefix,
      ...this.timing,
      ...options,
    });
    this.#backplanes.push(backplane);
    return backplane;
  }

  /** Opens one more node (behind its own proxy with `proxied`). */
  async open(
    options: RedisBackplaneOptions & { id?: string; proxied?: boolean } = {},
  ): Promise<TestNode> {
    const { id = `node-${++this.#count}`, proxied = false, ...rest } = options;
    const proxy = proxied ? await TcpProxy.start(redisTarget()) : undefined;
    if (proxy) this.#proxies.push(proxy);
    const backplane = this.backplane({ ...rest, ...(proxy && { port: proxy.port }) });
    const node = new RecordingNode(id);
    await backplane.open(node);
    return { backplane, node, ...(proxy && { proxy }) };
  }

  async close(): Promise<void> {
    await Promise.all(this.#backplanes.map((backplane) => backplane.close()));
    await Promise.all(this.#proxies.map((proxy) => proxy.close()));
    await deleteKeys(this.admin, this.prefix);
    await this.admin.quit();
  }
}
