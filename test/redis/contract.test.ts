// The backplane contract suite on RedisBackplane, against a real Redis: a fresh key prefix per
// test (deleted afterwards), each node behind its own TCP proxy so that the suite's hooks can cut
// and restore its link, and crash it (a cut never restored: its heartbeats stop reaching Redis,
// it receives and writes nothing more, and it removes nothing, as a dead process).
import type { Backplane } from 'plugsocket';
import { describeBackplaneContract } from 'plugsocket/contracts';
import { RedisBackplane } from 'plugsocket/redis';
import { SHORT_LIVED, redisTarget } from './support/cluster.js';
import { adminClient, deleteKeys, needRedis, uniquePrefix } from './support/redis.js';
import { TcpProxy } from './support/tcp-proxy.js';

const proxies = new WeakMap<Backplane, TcpProxy>();

function proxyOf(backplane: Backplane): TcpProxy {
  const proxy = proxies.get(backplane);
  if (proxy === undefined) throw new Error('not a backplane of this run');
  return proxy;
}

describe('RedisBackplane', function () {
  before(() => needRedis());

  describeBackplaneContract({
    name: 'redis',
    cluster: () => {
      const prefix = uniquePrefix();
      const opened: TcpProxy[] = [];
      return {
        node: async () => {
          const proxy = await TcpProxy.start(redisTarget());
          opened.push(proxy);
          const backplane = new RedisBackplane({
            redis: { host: '127.0.0.1', port: proxy.port, retryStrategy: () => 20 },
            prefix,
            ...SHORT_LIVED,
          });
          proxies.set(backplane, proxy);
          return backplane;
        },
        teardown: async () => {
          await Promise.all(opened.map((proxy) => proxy.close()));
          const admin = adminClient();
          try {
            await deleteKeys(admin, prefix);
          } finally {
            await admin.quit();
          }
        },
      };
    },
    crash: (backplane) => proxyOf(backplane).cut(),
    cut: (backplane) => proxyOf(backplane).cut(),
    restore: (backplane) => proxyOf(backplane).restore(),
    // Survivors notice a crash nodeTimeout (400 ms) after its last heartbeat, at their next check.
    timeouts: { delivery: 2000, nodeTimeout: 3000, restore: 5000, quiet: 150 },
  });
});
