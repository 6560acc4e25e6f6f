// The multi-node proof with real processes: three node processes (./node-process.ts), each a
// SocketServer over ws with a RedisBackplane, behind a TCP load balancer in this process; clients
// connect to the balancer, so a reconnect lands on another node as behind a real one. Every
// feature is shown across nodes (sender and recipient on different nodes, exact payloads, nobody
// else receives); then a node is stopped gracefully (SIGTERM) and one is killed (SIGKILL) while a
// numbered stream flows, and Redis goes away and comes back through a proxy that cuts it (to one
// node first, so that the other is taken for gone meanwhile, then to both).
//
// "Nobody else receives" is checked with fences, not with sleeps: after the messages under test,
// the node that sent them broadcasts a numbered `fence`; packets from one node arrive in the order
// it published them, so once a client has the fence it has everything sent before it.
//
// Each run has its own key prefix (plugsocket-mn-<random>) and deletes every key under it. The
// tests run in order on one cluster (each builds on the state the previous one left). Set
// MN_TRACE=1 to have the nodes report session-store and hand-over traffic (NodeProcess.traces).
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ClusterClient } from 'plugsocket';
import { REDIS_HOST, REDIS_PORT, ensureRedis } from '../support/redis.js';
import {
  Balancer,
  NodeCommandError,
  NodeProcess,
  RedisProxy,
  TestClient,
  deleteKeys,
  keysUnder,
  killAllNodes,
  sleep,
  until,
} from './harness.js';
import type { RecordedEvent } from './protocol.js';

/** The nine clients: who they are, which node the balancer gives them, their topics. */
const LAYOUT = [
  { label: 'ann', user: 'ann', node: 'a', topics: ['room', 'stream'] },
  { label: 'bob', user: 'bob', node: 'b', topics: ['room', 'stream'] },
  { label: 'cat', user: 'cat', node: 'c', topics: ['room', 'poll', 'stream'] },
  { label: 'dan', user: 'dan', node: 'a', topics: ['news', 'stream'] },
  { label: 'eve', user: 'eve', node: 'b', topics: ['room', 'stream'] },
  { label: 'bob2', user: 'bob', node: 'c', topics: ['poll', 'stream'] },
  { label: 'gus', user: 'gus', node: 'a', topics: ['poll', 'stream'] },
  { label: 'hal', user: 'hal', node: 'b', topics: ['news', 'poll', 'stream'] },
  { label: 'ivy', user: 'ivy', node: 'c', topics: ['news', 'room', 'stream'] },
] as const;

type Label = (typeof LAYOUT)[number]['label'];

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function sorted<T>(values: Iterable<T>): T[] {
  return [...values].sort();
}

/** What a client got of a numbered stream 1…count: what is missing, doubled, out of order. */
function streamReport(
  got: readonly unknown[],
  count: number,
): { missing: number[]; duplicates: number[]; inOrder: boolean } {
  const seen = new Set<unknown>();
  const duplicates: number[] = [];
  for (const n of got) {
    if (seen.has(n)) duplicates.push(n as number);
    seen.add(n);
  }
  const missing = range(1, count).filter((n) => !seen.has(n));
  const inOrder = got.every((n, i) => i === 0 || (n as number) > (got[i - 1] as number));
  return { missing, duplicates, inOrder };
}

describe('multi-node: three node processes over Redis, behind a TCP load balancer', function () {
  this.timeout(60_000);

  const prefix = `plugsocket-mn-${randomBytes(6).toString('hex')}`;
  let admin: Redis | undefined;
  let redisProxy: RedisProxy | undefined;
  let balancer: Balancer;
  const nodes = new Map<string, NodeProcess>();
  const c = {} as Record<Label, TestClient>;
  /** Every client still meant to be connected. */
  const live = new Set<TestClient>();
  const extra: TestClient[] = [];
  let fences = 0;

  function node(name: string): NodeProcess {
    const found = nodes.get(name);
    expect(found, `node ${name}`).to.not.equal(undefined);
    return found!;
  }

  async function startNode(name: string): Promise<NodeProcess> {
    const started = await NodeProcess.start(name, prefix, redisProxy!.port);
    nodes.set(name, started);
    return started;
  }

  /** Running nodes. */
  function running(): NodeProcess[] {
    return [...nodes.values()].filter((n) => n.running);
  }

  /**
   * Node `from` broadcasts fence n; resolves once each of `who` has it, so that everything `from`
   * sent them before has arrived. (`take()` leaves fences out.)
   */
  async function fence(from: string, who: Iterable<TestClient> = live): Promise<number> {
    const n = ++fences;
    const clients = [...who];
    await node(from).call({ op: 'broadcast', type: 'fence', payload: n });
    await until(
      () => clients.every((client) => client.fenced(n)),
      () =>
        `fence ${n} from ${from} at ${clients
          .filter((client) => !client.fenced(n))
          .map((client) => client.label)
          .join(', ')}`,
    );
    return n;
  }

  /** What each live client received since the last take, fences left out, by label. */
  function takeAll(): Record<string, unknown[]> {
    const out: Record<string, unknown[]> = {};
    for (const client of live) out[client.label] = client.take();
    return out;
  }

  /** `id → node` in a directory listing. */
  function placement(clients: readonly ClusterClient[]): Record<string, string> {
    return Object.fromEntries(clients.map((client) => [client.id, client.node]));
  }

  /** `id → node` as each live client's own node says (`whoami`). */
  async function truePlacement(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const client of live) {
      const me = (await client.client.request('whoami', null)) as { node: string; id: string };
      expect(me.id, `${client.label}'s id as its node sees it`).to.equal(client.id);
      out[client.id] = me.node;
    }
    return out;
  }

  async function lastSeq(n: NodeProcess): Promise<number> {
    const events = await n.events();
    return events.at(-1)?.seq ?? 0;
  }

  function only(events: RecordedEvent[], event: RecordedEvent['event']): Record<string, unknown>[] {
    return events.filter((e) => e.event === event).map((e) => e.detail);
  }

  before(async function () {
    this.timeout(40_000);
    await ensureRedis();
    admin = new Redis({ host: REDIS_HOST, port: REDIS_PORT, maxRetriesPerRequest: 1 });
    redisProxy = await RedisProxy.start({ host: REDIS_HOST, port: REDIS_PORT });
    balancer = await Balancer.start();
    const t0 = Date.now();
    const [a, b, cc] = await Promise.all(['a', 'b', 'c'].map((name) => startNode(name)));
    for (const n of [a, b, cc]) balancer.add(n.id, n.port);
    await until(async () => {
      for (const n of [a, b, cc])
        if ((await n.call<string[]>({ op: 'cluster', query: 'nodes' })).join() !== 'a,b,c')
          return false;
      return true;
    }, 'every node to list a, b and c');
    console.log(`      (three node processes up in ${Date.now() - t0} ms)`);
  });

  after(async function () {
    this.timeout(30_000);
    await Promise.all(
      [...Object.values(c), ...extra].map((client) =>
        client.client.disconnect().catch(() => undefined),
      ),
    );
    await killAllNodes();
    await balancer?.close();
    await redisProxy?.close();
    if (admin !== undefined) {
      await deleteKeys(admin, prefix);
      const left = await keysUnder(admin, prefix);
      await admin.quit();
      expect(left, `keys left under ${prefix}`).to.deep.equal([]);
    }
  });

  it('spreads nine clients over the three nodes through the balancer, and every node lists them all', async () => {
    for (const entry of LAYOUT) {
      const client = new TestClient(entry.label, entry.user, balancer.url);
      client.client.handle('identify', (payload, ctx) => ({
        label: entry.label,
        from: ctx.from ?? null,
        payload,
      }));
      await client.connect(entry.topics);
      c[entry.label] = client;
      live.add(client);
    }
    expect(balancer.routed.map((r) => r.node)).to.deep.equal(LAYOUT.map((entry) => entry.node));
    const truth = await truePlacement();
    const expected = Object.fromEntries(LAYOUT.map((entry) => [c[entry.label].id, entry.node]));
    expect(truth).to.deep.equal(expected);
    const perNode = { a: 0, b: 0, c: 0 } as Record<string, number>;
    for (const where of Object.values(truth)) perNode[where]++;
    expect(perNode).to.deep.equal({ a: 3, b: 3, c: 3 });
    for (const n of running()) {
      await until(
        async () =>
          (await n.call<ClusterClient[]>({ op: 'cluster', query: 'getClients' })).length === 9,
        `node ${n.id} to list nine clients`,
      );
      const listed = await n.call<ClusterClient[]>({ op: 'cluster', query: 'getClients' });
      expect(placement(listed), `node ${n.id}'s directory`).to.deep.equal(expected);
      for (const entry of LAYOUT) {
        const found = listed.find((client) => client.id === c[entry.label].id)!;
        expect(found.user).to.equal(entry.user);
        expect(found.parked ?? false).to.equal(false);
      }
    }
  });

  it('broadcast with except: sent on a, every client on a, b and c gets it once; the excepted client on b nothing', async () => {
    takeAll();
    const count = await node('a').call({
      op: 'broadcast',
      type: 'hello',
      payload: { n: 1, text: 'hi all' },
      except: c.eve.id,
    });
    expect(count, 'recipients on a').to.equal(3);
    await fence('a');
    const got = takeAll();
    for (const client of live) {
      expect(got[client.label], client.label).to.deep.equal(
        client === c.eve ? [] : [{ type: 'hello', payload: { n: 1, text: 'hi all' } }],
      );
    }
  });

  it("sendToSubscribers on b reaches the topic's subscribers on a, b and c, once; nobody else", async () => {
    takeAll();
    const count = await node('b').call({
      op: 'sendToSubscribers',
      topic: 'news',
      type: 'headline',
      payload: { title: 'nodes agree' },
    });
    expect(count, 'recipients on b').to.equal(1);
    await fence('b');
    const got = takeAll();
    for (const client of live) {
      const member = (['dan', 'hal', 'ivy'] as string[]).includes(client.label);
      expect(got[client.label], client.label).to.deep.equal(
        member ? [{ type: 'headline', payload: { title: 'nodes agree' } }] : [],
      );
    }
  });

  it('to([room, news]).except(bob).emit on c: members of either topic on every node once (ivy, in both, once); nobody else', async () => {
    takeAll();
    await node('c').call({
      op: 'emitTo',
      topics: ['room', 'news'],
      except: [c.bob.id],
      type: 'notice',
      payload: [1, 'two', { three: 3 }],
    });
    await fence('c');
    const got = takeAll();
    const expected = ['ann', 'cat', 'eve', 'ivy', 'dan', 'hal'];
    for (const client of live) {
      expect(got[client.label], client.label).to.deep.equal(
        expected.includes(client.label)
          ? [{ type: 'notice', payload: [1, 'two', { three: 3 }] }]
          : [],
      );
    }
  });

  it('sendToClient on a to a client held by c: that client only', async () => {
    takeAll();
    const sent = await node('a').call({
      op: 'sendToClient',
      clientId: c.cat.id,
      type: 'direct',
      payload: { secret: 42 },
    });
    expect(sent).to.equal(true);
    await fence('a');
    const got = takeAll();
    for (const client of live)
      expect(got[client.label], client.label).to.deep.equal(
        client === c.cat ? [{ type: 'direct', payload: { secret: 42 } }] : [],
      );
  });

  it('server → client request: node a asks a client held by b and gets its answer; an unknown id is NOT_CONNECTED', async () => {
    const answer = await node('a').call({
      op: 'request',
      clientId: c.eve.id,
      name: 'identify',
      payload: { q: 'who?' },
    });
    expect(answer).to.deep.equal({ label: 'eve', from: null, payload: { q: 'who?' } });
    const error = await node('a')
      .call({ op: 'request', clientId: 'no-such-client', name: 'identify', payload: 1 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).to.be.instanceOf(NodeCommandError);
    expect((error as NodeCommandError).code).to.equal('NOT_CONNECTED');
  });

  it('client → client request across nodes: by id (a → c) and by user (a → b), with ctx.from the asker', async () => {
    const byId = await c.ann.client.requestClient(c.ivy.id, 'identify', { q: 1 });
    expect(byId).to.deep.equal({ label: 'ivy', from: c.ann.id, payload: { q: 1 } });
    const byUser = await c.dan.client.requestClient({ user: 'hal' }, 'identify', { q: 2 });
    expect(byUser).to.deep.equal({ label: 'hal', from: c.dan.id, payload: { q: 2 } });
    const back = await c.hal.client.requestClient({ user: 'gus' }, 'identify', { q: 3 });
    expect(back).to.deep.equal({ label: 'gus', from: c.hal.id, payload: { q: 3 } });
  });

  it("to('poll').request on a collects the answers of the topic's members on all three nodes", async () => {
    const replies = await node('a').call<{
      results: [string, unknown][];
      errors: unknown[];
      timedOut: string[];
    }>({ op: 'requestTopic', topic: 'poll', name: 'identify', payload: 'vote' });
    expect(replies.errors).to.deep.equal([]);
    expect(replies.timedOut).to.deep.equal([]);
    const results = new Map(replies.results);
    const members: Label[] = ['cat', 'bob2', 'gus', 'hal'];
    expect(sorted(results.keys())).to.deep.equal(sorted(members.map((label) => c[label].id)));
    for (const label of members)
      expect(results.get(c[label].id)).to.deep.equal({ label, from: null, payload: 'vote' });
  });

  it('event relay: a client on b says chat, every other client on a, b and c gets it once with from; say goes to the room only', async () => {
    takeAll();
    c.eve.client.emit('chat', { text: 'hello from b' });
    const chat = { type: 'chat', payload: { text: 'hello from b' }, from: c.eve.id };
    await until(
      () =>
        [...live]
          .filter((client) => client !== c.eve)
          .every((client) => client.payloads('chat').length >= 1),
      'the chat everywhere',
    );
    await fence('b');
    let got = takeAll();
    for (const client of live)
      expect(got[client.label], client.label).to.deep.equal(client === c.eve ? [] : [chat]);

    c.dan.client.emit('say', 'to the room');
    await until(() => c.ivy.payloads('say').length >= 1, 'the say at ivy');
    await fence('a');
    got = takeAll();
    const room = ['ann', 'bob', 'cat', 'eve', 'ivy'];
    for (const client of live)
      expect(got[client.label], client.label).to.deep.equal(
        room.includes(client.label)
          ? [{ type: 'say', payload: 'to the room', from: c.dan.id }]
          : [],
      );
  });

  it('cluster queries give the same answers on every node', async () => {
    const ids = (labels: Label[]): string[] => sorted(labels.map((label) => c[label].id));
    for (const n of running()) {
      const ask = <T>(query: Parameters<NodeProcess['call']>[0] & { op: 'cluster' }): Promise<T> =>
        n.call<T>(query);
      expect(await ask<string[]>({ op: 'cluster', query: 'nodes' })).to.deep.equal(['a', 'b', 'c']);
      expect(await ask({ op: 'cluster', query: 'topicSizes' })).to.deep.equal({
        room: 5,
        news: 3,
        poll: 4,
        stream: 9,
      });
      expect(await ask({ op: 'cluster', query: 'getTopicSize', arg: 'news' })).to.equal(3);
      const poll = await ask<ClusterClient[]>({
        op: 'cluster',
        query: 'getSubscribers',
        arg: 'poll',
      });
      expect(sorted(poll.map((x) => x.id))).to.deep.equal(ids(['cat', 'bob2', 'gus', 'hal']));
      const cat = await ask<ClusterClient>({ op: 'cluster', query: 'getClient', arg: c.cat.id });
      expect(cat).to.include({ id: c.cat.id, node: 'c', user: 'cat' });
      expect(cat.principal).to.deep.equal({ id: 'cat' });
      const bobs = await ask<ClusterClient[]>({
        op: 'cluster',
        query: 'getUserClients',
        arg: 'bob',
      });
      expect(placement(bobs)).to.deep.equal({ [c.bob.id]: 'b', [c.bob2.id]: 'c' });
      expect(await ask({ op: 'cluster', query: 'isOnline', arg: 'bob' })).to.equal(true);
      expect(await ask({ op: 'cluster', query: 'isOnline', arg: 'nobody' })).to.equal(false);
      expect(await ask({ op: 'cluster', query: 'getClient', arg: 'nobody' })).to.equal(undefined);
    }
  });

  it("presence: a new user's online, join, leave and offline are seen on every node, once each", async () => {
    const since = new Map<string, number>();
    for (const n of running()) since.set(n.id, await lastSeq(n));
    balancer.pinNext('b');
    const zed = new TestClient('zed', 'zed', balancer.url);
    extra.push(zed);
    await zed.connect();
    const id = zed.id;
    await zed.client.join('lobby');
    await zed.client.leave('lobby');
    await zed.client.disconnect();
    const expected = {
      online: [{ user: 'zed', clientId: id, node: 'b' }],
      join: [{ topic: 'lobby', clientId: id, user: 'zed', node: 'b' }],
      leave: [{ topic: 'lobby', clientId: id, user: 'zed', node: 'b' }],
      offline: [{ user: 'zed', clientId: id, node: 'b' }],
    };
    const of = (events: RecordedEvent[]): Record<string, unknown> => ({
      online: only(events, 'online').filter((e) => e.user === 'zed'),
      join: only(events, 'join').filter((e) => e.clientId === id),
      leave: only(events, 'leave').filter((e) => e.clientId === id),
      offline: only(events, 'offline').filter((e) => e.user === 'zed'),
    });
    for (const n of running()) {
      await until(
        async () => only(await n.events(since.get(n.id)), 'offline').some((e) => e.user === 'zed'),
        `zed offline on ${n.id}`,
      );
    }
    // Every presence packet b published before this fence has arrived everywhere.
    await fence('b');
    for (const n of running()) {
      const events = await n.events(since.get(n.id));
      expect(of(events), `events on ${n.id}`).to.deep.equal(expected);
      // online before offline, join before leave. (Between online and join no order is promised:
      // online waits for the directory's answer, join does not, so join may come first.)
      const order = events
        .filter(
          (e) =>
            e.detail.clientId === id && e.event !== 'connection' && e.event !== 'disconnection',
        )
        .map((e) => e.event);
      expect(order.indexOf('online'), `online before offline on ${n.id}`).to.be.lessThan(
        order.indexOf('offline'),
      );
      expect(order.indexOf('join'), `join before leave on ${n.id}`).to.be.lessThan(
        order.indexOf('leave'),
      );
    }
    expect(await node('a').call({ op: 'cluster', query: 'isOnline', arg: 'zed' })).to.equal(false);
  });

  it("sendToUser on a reaches both of bob's clients (on b and c) and nobody else", async () => {
    takeAll();
    const local = await node('a').call({
      op: 'sendToUser',
      user: 'bob',
      type: 'mail',
      payload: { subject: 'for bob' },
    });
    expect(local, "bob's clients on a").to.equal(0);
    await fence('a');
    const got = takeAll();
    for (const client of live)
      expect(got[client.label], client.label).to.deep.equal(
        client.user === 'bob' ? [{ type: 'mail', payload: { subject: 'for bob' } }] : [],
      );
  });

  it('disconnect on a of a client held by c closes it (1000, no reconnect), and it leaves the directory', async () => {
    balancer.pinNext('c');
    const kim = new TestClient('kim', 'kim', balancer.url);
    extra.push(kim);
    await kim.connect(['lobby']);
    const id = kim.id;
    await until(
      async () =>
        (
          await node('a').call<ClusterClient | undefined>({
            op: 'cluster',
            query: 'getClient',
            arg: id,
          })
        )?.node === 'c',
      'kim listed on c',
    );
    await node('a').call({ op: 'disconnect', clientId: id, code: 1000, reason: 'kicked from a' });
    await until(() => kim.closes.length === 1, 'kim closed');
    expect(kim.closes[0]).to.deep.equal({ code: 1000, reason: 'kicked from a' });
    for (const n of running())
      await until(
        async () =>
          (await n.call({ op: 'cluster', query: 'getClient', arg: id })) === undefined &&
          (await n.call({ op: 'cluster', query: 'getTopicSize', arg: 'lobby' })) === 0,
        `kim gone from ${n.id}'s directory`,
      );
    await sleep(300); // time for a reconnect attempt (20–200 ms) that must not happen
    expect(kim.client.state).to.equal('closed');
    expect(kim.reconnects).to.deep.equal([]);
    expect(balancer.routed.length, 'no further connection').to.equal(LAYOUT.length + 2);
  });

  it('SIGTERM of node b mid-stream: its clients resume on a and c (same id, resumed: true, topics kept), and every streamed message arrives exactly once, in order', async () => {
    const COUNT = 200;
    const moving = [c.bob, c.eve, c.hal];
    const staying = [...live].filter((client) => !moving.includes(client));
    const before = new Map(
      [...live].map((client) => [
        client,
        {
          id: client.id,
          topics: sorted(client.client.topics),
          reconnects: client.reconnects.length,
        },
      ]),
    );
    const since = new Map<string, number>();
    for (const n of running()) since.set(n.id, await lastSeq(n));
    takeAll();
    const t0 = Date.now();
    const stream = node('a').call(
      { op: 'stream', topic: 'stream', type: 'tick', count: COUNT, intervalMs: 5 },
      20_000,
    );
    await until(() => c.hal.payloads('tick').length >= 30, 'the stream under way at hal (on b)');
    // As a deploy does: out of the balancer first, then stopped.
    balancer.remove('b');
    const killedAt = Date.now();
    await node('b').kill('SIGTERM');
    const exitedAfter = Date.now() - killedAt;
    expect(node('b').exit).to.deep.equal({ code: 0, signal: null });
    expect(node('b').stoppedAfter, 'b finished its shutdown').to.be.a('number');
    expect(await stream).to.equal(COUNT);
    await until(
      () =>
        moving.every(
          (client) =>
            client.reconnects.length > before.get(client)!.reconnects &&
            client.client.state === 'open',
        ),
      () =>
        `b's clients to reconnect: ${moving.map((x) => `${x.label}=${x.client.state}`).join(' ')}`,
    );
    // Everything a sent has arrived once this fence from a has (an expired session's client
    // joined its topics again meanwhile; what it missed stays missed).
    await fence('a');
    const settledIn = Date.now() - t0;

    const truth = await truePlacement();
    const actual = [...live].map((client) => ({
      client: client.label,
      node: truth[client.id],
      reconnects: client.reconnects.slice(before.get(client)!.reconnects),
      sameId: client.id === before.get(client)!.id,
      topics: sorted(client.client.topics),
      ...streamReport(client.payloads('tick'), COUNT),
    }));
    const expected = [...live].map((client) => ({
      client: client.label,
      node: moving.includes(client)
        ? ['a', 'c'].includes(truth[client.id])
          ? truth[client.id]
          : 'a or c'
        : LAYOUT.find((entry) => entry.label === client.label)!.node,
      reconnects: moving.includes(client) ? [{ resumed: true }] : [],
      sameId: true,
      topics: before.get(client)!.topics,
      ...streamReport(range(1, COUNT), COUNT),
    }));
    console.log(
      `      (b exited ${exitedAfter} ms after SIGTERM (its shutdown took ${node('b').stoppedAfter} ms); settled ${settledIn} ms after the stream began; ${moving.map((x) => `${x.label}→${truth[x.id]} ${JSON.stringify(x.reconnects.at(-1))}`).join(', ')})`,
    );
    // The directory follows the moves: every client where it is, nothing parked left over
    // (given a moment to settle; what is left then is part of the finding).
    const leftOver: Record<string, { extra: [string, string, boolean][]; missing: string[] }> = {};
    for (const n of running()) {
      let listed: ClusterClient[] = [];
      await until(
        async () => {
          listed = await n.call<ClusterClient[]>({ op: 'cluster', query: 'getClients' });
          return samePlacement(listed, truth);
        },
        () => 'never: settle',
        2000,
      ).catch(() => undefined);
      leftOver[n.id] = {
        extra: listing(listed.filter((x) => truth[x.id] !== x.node || x.parked === true)),
        missing: Object.keys(truth).filter((id) => !listed.some((x) => x.id === id)),
      };
    }
    expect(
      { clients: actual, directoryLeftOvers: leftOver },
      'per client: where, reconnect outcome, id, topics, the stream; then what the directory lists that is not so',
    ).to.deep.equal({
      clients: expected,
      directoryLeftOvers: Object.fromEntries(
        running().map((n) => [n.id, { extra: [], missing: [] }]),
      ),
    });
    for (const client of staying) expect(client.reconnects.length).to.equal(0);

    for (const n of running()) {
      const sizes = await n.call({ op: 'cluster', query: 'topicSizes' });
      expect(sizes, `topic sizes on ${n.id}`).to.deep.equal({
        room: 5,
        news: 3,
        poll: 4,
        stream: 9,
      });
      expect(await n.call({ op: 'cluster', query: 'nodes' })).to.deep.equal(['a', 'c']);
      const gone = only(await n.events(since.get(n.id)), 'nodeGone');
      expect(gone, `nodeGone on ${n.id}`).to.deep.equal([{ node: 'b' }]);
    }
  });

  it('a new node d joins the running cluster and takes new clients from the balancer', async () => {
    const d = await startNode('d');
    balancer.add('d', d.port);
    for (const n of running())
      await until(
        async () => (await n.call<string[]>({ op: 'cluster', query: 'nodes' })).join() === 'a,c,d',
        `${n.id} to list a, c and d`,
      );
    // d reads the same directory (online clients; a parked one left over by the SIGTERM test,
    // if any, is that test's finding).
    const listed = await d.call<ClusterClient[]>({ op: 'cluster', query: 'getClients' });
    expect(placement(listed.filter((x) => x.parked !== true)), "d's directory").to.deep.equal(
      await truePlacement(),
    );
    // Connections stay where they are; a new one can go to d.
    balancer.pinNext('d');
    const joe = new TestClient('joe', 'joe', balancer.url);
    extra.push(joe);
    joe.client.handle('identify', (payload, ctx) => ({
      label: 'joe',
      from: ctx.from ?? null,
      payload,
    }));
    await joe.connect(['stream', 'room']);
    live.add(joe);
    expect(((await joe.client.request('whoami', null)) as { node: string }).node).to.equal('d');
    expect(await c.ann.client.requestClient(joe.id, 'identify', 'hi')).to.deep.equal({
      label: 'joe',
      from: c.ann.id,
      payload: 'hi',
    });
  });

  it('SIGKILL of node c mid-stream: the survivors notice (nodeGone, leave/offline, directory cleaned); its clients reconnect to a or d and are told resumed: false (expired)', async () => {
    const COUNT = 150;
    // A client on c that will not come back: its user goes offline with the node.
    balancer.pinNext('c');
    const lee = new TestClient('lee', 'lee', balancer.url, { reconnect: false });
    extra.push(lee);
    await lee.connect(['lobby']);
    const truth = await truePlacement();
    const onC = [...live].filter((client) => truth[client.id] === 'c');
    const others = [...live].filter((client) => truth[client.id] !== 'c');
    expect(onC.length, 'clients on c').to.be.greaterThan(2);
    const before = new Map(
      onC.map((client) => [
        client,
        {
          id: client.id,
          topics: sorted(client.client.topics),
          reconnects: client.reconnects.length,
        },
      ]),
    );
    for (const n of running())
      await until(
        async () =>
          (
            await n.call<ClusterClient | undefined>({
              op: 'cluster',
              query: 'getClient',
              arg: lee.id,
            })
          )?.node === 'c',
        `lee listed on ${n.id}`,
      );
    // Every topic membership c holds, as the directory lists it: each must end with a leave.
    const heldByC: string[] = [];
    for (const topic of ['room', 'news', 'poll', 'stream', 'lobby'])
      for (const member of await node('a').call<ClusterClient[]>({
        op: 'cluster',
        query: 'getSubscribers',
        arg: topic,
      }))
        if (member.node === 'c') heldByC.push(`${member.id}:${topic}`);
    const survivors = running().filter((n) => n.id !== 'c');
    const since = new Map<string, number>();
    for (const n of survivors) since.set(n.id, await lastSeq(n));
    takeAll();
    lee.take();
    const stream = node('a').call(
      { op: 'stream', topic: 'stream', type: 'tock', count: COUNT, intervalMs: 5 },
      20_000,
    );
    await until(
      () => onC[0].payloads('tock').length >= 30,
      `the stream under way at ${onC[0].label} (on c)`,
    );
    balancer.remove('c');
    const killedAt = Date.now();
    await node('c').kill('SIGKILL');
    expect(node('c').exit).to.deep.equal({ code: null, signal: 'SIGKILL' });
    expect(await stream).to.equal(COUNT);

    // The survivors notice.
    for (const n of survivors)
      await until(
        async () => only(await n.events(since.get(n.id)), 'nodeGone').length > 0,
        `nodeGone of c on ${n.id}`,
      );
    const noticedAfter = Date.now() - killedAt;
    await until(
      () =>
        onC.every(
          (client) =>
            client.reconnects.length > before.get(client)!.reconnects &&
            client.client.state === 'open',
        ),
      () => `c's clients to reconnect: ${onC.map((x) => `${x.label}=${x.client.state}`).join(' ')}`,
      8000,
    );
    const reconnectedAfter = Date.now() - killedAt;
    await fence('a');
    const now = await truePlacement();
    // The loss is signalled: a new session, not a silent resume. Elsewhere nothing is lost.
    const actual = [...live].map((client) => {
      const moved = before.get(client);
      const tocks = client.payloads('tock') as number[];
      const report = streamReport(tocks, COUNT);
      return {
        client: client.label,
        node: now[client.id],
        reconnects: moved === undefined ? [] : client.reconnects.slice(moved.reconnects),
        newId: moved === undefined ? false : client.id !== moved.id,
        topics: sorted(client.client.topics),
        duplicates: report.duplicates,
        inOrder: report.inOrder,
        missing: moved === undefined ? report.missing : 'some, maybe',
      };
    });
    const expected = [...live].map((client) => {
      const moved = before.get(client);
      return {
        client: client.label,
        node:
          moved === undefined
            ? truth[client.id]
            : ['a', 'd'].includes(now[client.id])
              ? now[client.id]
              : 'a or d',
        reconnects: moved === undefined ? [] : [{ resumed: false, reason: 'expired' }],
        newId: moved !== undefined,
        topics: moved?.topics ?? sorted(client.client.topics),
        duplicates: [],
        inOrder: true,
        missing: moved === undefined ? [] : 'some, maybe',
      };
    });
    const lost = onC.map(
      (client) => `${client.label} ${streamReport(client.payloads('tock'), COUNT).missing.length}`,
    );
    console.log(
      `      (c killed: noticed ${noticedAfter} ms after, its clients back ${reconnectedAfter} ms after, ${onC.map((x) => `${x.label}→${now[x.id]} ${JSON.stringify(x.reconnects.at(-1))}`).join(', ')}; tocks lost: ${lost.join(', ')})`,
    );
    expect(actual, 'per client: where, reconnect outcome, id, topics, the stream').to.deep.equal(
      expected,
    );
    expect(lee.closes.map((x) => x.code)).to.deep.equal([1006]);
    expect(lee.client.state).to.equal('closed');
    expect(
      others.every((client) => client.reconnects.length === 0 || !before.has(client)),
    ).to.equal(true);

    for (const n of survivors) {
      await until(
        async () => {
          const listed = await n.call<ClusterClient[]>({ op: 'cluster', query: 'getClients' });
          return (
            listed.every((x) => x.node !== 'c') &&
            samePlacement(
              listed.filter((x) => x.parked !== true),
              now,
            )
          );
        },
        async () =>
          `${n.id}'s directory without c's clients, with their new sessions: ${JSON.stringify(
            await n.call({ op: 'cluster', query: 'getClients' }),
          )} vs ${JSON.stringify(now)}`,
      );
      expect(await n.call({ op: 'cluster', query: 'nodes' })).to.deep.equal(['a', 'd']);
      expect(await n.call({ op: 'cluster', query: 'isOnline', arg: 'lee' })).to.equal(false);
      expect(await n.call({ op: 'cluster', query: 'getTopicSize', arg: 'lobby' })).to.equal(0);
    }
    // Every survivor's presence packets before these fences have arrived everywhere.
    await fence('a');
    await fence('d');
    for (const n of survivors) {
      const events = await n.events(since.get(n.id));
      expect(only(events, 'nodeGone'), `nodeGone on ${n.id}`).to.deep.equal([{ node: 'c' }]);
      const leaves = only(events, 'leave').filter((e) => e.node === 'c');
      expect(
        sorted(leaves.map((e) => `${e.clientId as string}:${e.topic as string}`)),
        `leave events on ${n.id} for c's memberships`,
      ).to.deep.equal(sorted(heldByC));
      expect(
        only(events, 'offline').filter((e) => e.user === 'lee'),
        `lee offline on ${n.id}`,
      ).to.deep.equal([{ user: 'lee', clientId: lee.id, node: 'c' }]);
    }
  });

  it('Redis outage: the nodes report it and keep serving local traffic; after restore they report connected with downFor, cross-node traffic works, and the directory lists every client again', async () => {
    const survivors = running();
    expect(survivors.map((n) => n.id)).to.deep.equal(['a', 'd']);
    const truth = await truePlacement();
    const onA = [...live].filter((client) => truth[client.id] === 'a');
    const onD = [...live].filter((client) => truth[client.id] === 'd');
    expect(onA.length).to.be.greaterThan(0);
    expect(onD.length).to.be.greaterThan(0);
    const parkedOnA = (
      await node('a').call<ClusterClient[]>({ op: 'cluster', query: 'getClients' })
    ).filter((x) => x.node === 'a' && x.parked === true).length;
    const directoryBefore = listing(
      await node('a').call<ClusterClient[]>({ op: 'cluster', query: 'getClients' }),
    );
    const sizesBefore = await node('a').call({ op: 'cluster', query: 'topicSizes' });
    expect(
      directoryBefore.filter(([, , parked]) => !parked).map(([id, where]) => [id, where]),
      'the directory before the outage',
    ).to.deep.equal(sortedPlacement(toEntries(truth)));
    const since = new Map<string, number>();
    for (const n of survivors) since.set(n.id, await lastSeq(n));
    takeAll();

    redisProxy!.cut();
    const cutAt = Date.now();
    for (const n of survivors)
      await until(
        async () =>
          only(await n.events(since.get(n.id)), 'state').some((e) => e.state === 'disconnected'),
        `${n.id} to report the outage`,
      );
    const reportedAfter = Date.now() - cutAt;
    for (const n of survivors) {
      const metrics = await n.call<{ backplane: { up: number; outages: number } }>({
        op: 'metrics',
      });
      expect(metrics.backplane.up, `${n.id}: backplane.up`).to.equal(0);
      expect(metrics.backplane.outages, `${n.id}: backplane.outages`).to.equal(1);
      // Cluster questions fail fast instead of hanging.
      const error = await n.call({ op: 'cluster', query: 'getClients' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as NodeCommandError | undefined)?.code, `${n.id}: getClients`).to.equal(
        'NOT_CONNECTED',
      );
    }
    // Local traffic goes on: requests to one's own node, and a node's broadcast to its clients.
    for (const client of [...onA, ...onD]) {
      const me = (await client.client.request('whoami', null)) as { node: string };
      expect(me.node).to.equal(truth[client.id]);
      expect(await client.client.request('echo', { during: 'outage' })).to.deep.equal({
        during: 'outage',
      });
    }
    // Its recipients: a's clients, and the sessions parked on a (their logs keep it), if any.
    expect(
      await node('a').call({ op: 'broadcast', type: 'local', payload: 'while redis is down' }),
    ).to.equal(onA.length + parkedOnA);
    await until(
      () => onA.every((client) => client.payloads('local').length === 1),
      "the outage broadcast at a's clients",
    );
    // An outage longer than nodeTimeout (600 ms): liveness keys expire meanwhile. Redis comes
    // back to a first; d stays away a while longer, so a takes d for gone (as it must: d's key
    // expired and d cannot be reached), then d comes back too.
    await sleep(Math.max(0, 1200 - (Date.now() - cutAt)));
    redisProxy!.restore((name) => name?.startsWith(`${prefix}:a:`) === true);
    const restoredAt = Date.now();
    await until(
      async () =>
        only(await node('a').events(since.get('a')), 'state').some((e) => e.state === 'connected'),
      'a to report the link back',
    );
    const aBackAfter = Date.now() - restoredAt;
    await until(
      async () =>
        only(await node('a').events(since.get('a')), 'nodeGone').some((e) => e.node === 'd'),
      'a to take d, still away past nodeTimeout, for gone',
      3000,
    );
    redisProxy!.restore();
    const dRestoredAt = Date.now();
    await until(
      async () =>
        only(await node('d').events(since.get('d')), 'state').some((e) => e.state === 'connected'),
      'd to report the link back',
    );
    const dBackAfter = Date.now() - dRestoredAt;
    for (const n of survivors) {
      const states = only(await n.events(since.get(n.id)), 'state');
      expect(
        states.map((e) => e.state),
        `${n.id}'s state events`,
      ).to.deep.equal(['disconnected', 'connected']);
      const down =
        n.id === 'a' ? restoredAt + aBackAfter - cutAt : dRestoredAt + dBackAfter - cutAt;
      expect(states[1].downFor, `${n.id}: downFor`).to.be.within(1100, down + 100);
      const metrics = await n.call<{ backplane: { up: number } }>({ op: 'metrics' });
      expect(metrics.backplane.up, `${n.id}: backplane.up`).to.equal(1);
    }
    // Cross-node traffic again, both ways.
    const target = onD[0];
    expect(
      await node('a').call({
        op: 'sendToClient',
        clientId: target.id,
        type: 'direct',
        payload: 'after',
      }),
    ).to.equal(true);
    await until(() => target.payloads('direct').includes('after'), 'a → d after the outage');
    expect(
      await node('d').call({
        op: 'request',
        clientId: onA[0].id,
        name: 'identify',
        payload: 'back?',
      }),
    ).to.deep.equal({ label: onA[0].label, from: null, payload: 'back?' });
    await fence('a');
    await fence('d');
    const got = takeAll();
    for (const client of onD)
      expect(
        (got[client.label] as { type: string }[]).filter((m) => m.type === 'local'),
        `${client.label} (on d) never gets a's outage broadcast`,
      ).to.deep.equal([]);
    // The directory lists every client again, where it is, as before the outage.
    const now = await truePlacement();
    expect(now, 'no client moved').to.deep.equal(truth);
    for (const n of survivors) {
      await until(
        async () => {
          const listed = await n
            .call<ClusterClient[]>({ op: 'cluster', query: 'getClients' })
            .catch(() => []);
          const sizes = await n.call({ op: 'cluster', query: 'topicSizes' }).catch(() => ({}));
          return (
            JSON.stringify(listing(listed)) === JSON.stringify(directoryBefore) &&
            JSON.stringify(sizes) === JSON.stringify(sizesBefore)
          );
        },
        async () =>
          `${n.id}'s directory complete again: ${JSON.stringify(
            listing(await n.call({ op: 'cluster', query: 'getClients' })),
          )} vs ${JSON.stringify(directoryBefore)}`,
      );
      expect(await n.call({ op: 'cluster', query: 'nodes' })).to.deep.equal(['a', 'd']);
    }
    // What a's application was told about d's clients adds up to what is true now: d's users
    // online, d's clients in their topics. (a told them offline and gone from their topics when
    // it took d for gone; d's return must undo that.)
    const aEvents = await node('a').events(since.get('a'));
    const lastSaid = (pick: (e: RecordedEvent) => string | undefined): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const e of aEvents) {
        const key = pick(e);
        if (key !== undefined) out[key] = e.event;
      }
      return out;
    };
    const dIds = new Set(onD.map((client) => client.id));
    const dUsers = new Set(onD.map((client) => client.user!));
    const users = lastSaid((e) =>
      (e.event === 'online' || e.event === 'offline') && dUsers.has(e.detail.user as string)
        ? (e.detail.user as string)
        : undefined,
    );
    const memberships = lastSaid((e) =>
      (e.event === 'join' || e.event === 'leave') && dIds.has(e.detail.clientId as string)
        ? `${e.detail.clientId as string}:${e.detail.topic as string}`
        : undefined,
    );
    const told = {
      usersLastTold: Object.fromEntries(
        Object.entries(users).filter(([, event]) => event !== 'online'),
      ),
      membershipsLastTold: Object.fromEntries(
        Object.entries(memberships).filter(([, event]) => event !== 'join'),
      ),
    };
    for (const user of dUsers)
      expect(await node('a').call({ op: 'cluster', query: 'isOnline', arg: user })).to.equal(true);
    console.log(
      `      (outage reported ${reportedAfter} ms after the cut; a back ${aBackAfter} ms after its restore, d ${dBackAfter} ms after its own; a's last word on d's clients: ${JSON.stringify(users)} ${JSON.stringify(memberships)})`,
    );
    expect(
      told,
      "presence events on a about d's clients that were never taken back (offline/leave with no later online/join)",
    ).to.deep.equal({ usersLastTold: {}, membershipsLastTold: {} });
  });

  it('no node had an unhandled error', () => {
    const unhandled = [...nodes.values()].flatMap((n) => n.unhandled);
    expect(unhandled.map((f) => `${f.node}: ${f.kind}: ${f.message}`)).to.deep.equal([]);
    const reported = [...nodes.values()].flatMap((n) => n.faults.filter((f) => f.kind !== 'warn'));
    if (reported.length > 0)
      console.log(
        `      (reported by the nodes: ${reported.map((f) => `${f.node} ${f.kind} ${f.message}`).join(' | ')})`,
      );
  });

  // -------------------------------------------------------------- helpers

  function toEntries(truth: Record<string, string>): ClusterClient[] {
    return Object.entries(truth).map(([id, where]) => ({ id, node: where, connectedAt: 0 }));
  }

  /** `[id, node, parked]` of a listing, sorted by id. */
  function listing(clients: readonly ClusterClient[]): [string, string, boolean][] {
    return clients
      .map((x): [string, string, boolean] => [x.id, x.node, x.parked === true])
      .sort(([x], [y]) => x.localeCompare(y));
  }

  /** True when a listing has exactly the clients of `truth`, each on its node. */
  function samePlacement(
    clients: readonly ClusterClient[],
    truth: Record<string, string>,
  ): boolean {
    return (
      JSON.stringify(sortedPlacement(clients)) === JSON.stringify(sortedPlacement(toEntries(truth)))
    );
  }

  function sortedPlacement(clients: readonly ClusterClient[]): [string, string][] {
    return clients
      .map((x): [string, string] => [x.id, x.node])
      .sort(([x], [y]) => x.localeCompare(y));
  }
});
