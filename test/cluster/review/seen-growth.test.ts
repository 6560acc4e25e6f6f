// R11: #seen and #evicted are never pruned when a node goes: with random node ids (the default)
// every node that ever joined stays in every long-lived node's cursor, which is sent with each
// hand-over answer and adopt packet and saved in every session record (`position`).
import { expect } from 'chai';
import {
  MemoryCluster,
  MemorySessionStore,
  type SessionRecord,
  type SessionStore,
} from '../../../src/index.js';
import { balancedClient, cleanUpNodes, settle, startNode } from '../support.js';

class TapStore implements SessionStore {
  readonly inner = new MemorySessionStore();
  readonly saved: SessionRecord[] = [];
  save(record: SessionRecord, ttl: number): void {
    this.saved.push(record);
    this.inner.save(record, ttl);
  }
  take(id: string, accept: (r: SessionRecord) => boolean): SessionRecord | undefined {
    return this.inner.take(id, accept);
  }
}

describe('R11 cursors grow with every node that ever joined', () => {
  afterEach(cleanUpNodes);

  it('after 50 short-lived nodes came and went, b’s saved position names only live nodes', async () => {
    const store = new TapStore();
    const cluster = new MemoryCluster({ sessions: store });
    const b = await startNode(cluster, 'b');
    for (let i = 0; i < 50; i++) {
      const n = await startNode(cluster, `tmp-${i}`);
      await settle();
      await n.server.shutdown();
    }
    const { client } = balancedClient(b.url, { auth: { user: 'ann' } });
    await client.connect();
    await b.server.shutdown();
    const position = store.saved.at(-1)?.position ?? {};
    console.log('keys in the saved position:', Object.keys(position).length);
    expect(Object.keys(position)).to.deep.equal(['b']);
  });
});
