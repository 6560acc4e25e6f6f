// R7: packets from another node are trusted for their shape. A node of another version, or a bug,
// that sends a field of the wrong type (a) hangs a topic request forever, (b) leaves a poisoned
// frame packet in the ring that later makes catch-up throw: the session is taken from the store
// and lost, and on the adopt path the rejection is unhandled.
import { expect } from 'chai';
import {
  MemoryCluster,
  type BackplaneNode,
  type BackplanePacket,
  type MemoryBackplane,
  type ResumeOutcome,
} from '../../../src/index.js';
import {
  balancedClient,
  cleanUpNodes,
  connectTo,
  dropConnection,
  idOf,
  settle,
  sleep,
  startNode,
  until,
} from '../support.js';

/** A raw node on the cluster, answering with `reply`. */
async function rawNode(
  cluster: MemoryCluster,
  id: string,
  reply: (bp: MemoryBackplane, p: BackplanePacket, from: string) => void,
): Promise<MemoryBackplane> {
  const bp = cluster.backplane();
  const node: BackplaneNode = {
    id,
    receive: (p, from) => reply(bp, p, from),
    state: () => undefined,
    nodeGone: () => undefined,
  };
  await bp.open(node);
  return bp;
}

describe('R7 malformed packets from another node', () => {
  afterEach(cleanUpNodes);

  it('(a) a topic-request answer whose `ok` is not an array: the request still settles', async () => {
    const cluster = new MemoryCluster();
    const a = await startNode(cluster, 'a');
    await rawNode(cluster, 'evil', (bp, p, from) => {
      if (p.kind === 'm')
        bp.publishTo(from, { kind: 'M', data: { r: (p.data as { r: number }).r, v: { ok: 5 } } });
    });
    const onA = await connectTo(a, { topics: ['t'] });
    onA.handle('ping', () => 'pong');
    const settled = await Promise.race([
      a.server
        .to('t')
        .timeout(100)
        .request('ping', null)
        .then(
          () => 'settled',
          () => 'rejected',
        ),
      sleep(2000).then(() => 'still pending after 2 s (timeout 100 ms + grace 1 s)'),
    ]);
    expect(settled).to.equal('settled');
  });

  it('(b) a broadcast packet with `x: 5` kept in b’s ring makes a later hand-over to b throw; the session is lost', async () => {
    const cluster = new MemoryCluster();
    const a = await startNode(cluster, 'a');
    const b = await startNode(cluster, 'b');
    const evil = await rawNode(cluster, 'evil', () => undefined);
    evil.publish({ kind: 'H', data: { s: 0 } });
    const { client, balancer } = balancedClient(a.url, { auth: { user: 'ann' } });
    const outcomes: ResumeOutcome[] = [];
    client.onReconnected((o) => outcomes.push(o));
    await client.connect();
    await client.join('news');
    const id = idOf(client);
    await settle();
    // Only b hears this one (a's cursor stays at evil:0): b keeps it, and replays it on catch-up.
    evil.publishTo('b', { kind: 'b', data: { s: 1, x: 5 }, frame: '{"k":"msg","type":"x"}' });
    await settle();
    balancer.hold();
    dropConnection(a.server, id);
    await until(async () => (await b.server.cluster.getClient(id))?.parked === true, 'parked on a');
    balancer.routeTo(b.url);
    await until(
      () => outcomes.length >= 1 || balancer.visits.length >= 3,
      'an outcome or another attempt',
      3000,
    );
    await sleep(50);
    console.log(
      'outcomes',
      JSON.stringify(outcomes),
      'visits',
      balancer.visits.length,
      'state',
      client.state,
    );
    console.log('directory', JSON.stringify(await b.server.cluster.getClient(id)));
    expect(outcomes[0]).to.deep.equal({ resumed: true });
  });

  it('(c) the same poisoned ring entry on an adopting node: unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    // mocha installs its own; listen alongside it
    process.prependListener('unhandledRejection', onUnhandled);
    try {
      const cluster = new MemoryCluster();
      const a = await startNode(cluster, 'a');
      const b = await startNode(cluster, 'b');
      const evil = await rawNode(cluster, 'evil', () => undefined);
      evil.publish({ kind: 'H', data: { s: 0 } });
      const { client } = balancedClient(a.url, { auth: { user: 'ann' } });
      await client.connect();
      await client.join('news');
      const id = idOf(client);
      await settle();
      evil.publishTo('b', {
        kind: 'b',
        data: { s: 1, t: 'news' },
        frame: '{"k":"msg","type":"x"}',
      });
      await settle();
      await a.server.shutdown(); // hands the session to b (the only other server node... and evil)
      await sleep(50);
      console.log(
        'unhandled',
        unhandled.map(String),
        'b has it:',
        JSON.stringify(await b.server.cluster.getClient(id)),
      );
      expect(unhandled, 'unhandled rejections').to.deep.equal([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
