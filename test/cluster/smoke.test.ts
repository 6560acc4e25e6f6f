import { expect } from 'chai';
import { MemoryCluster } from '../../src/index.js';
import { cleanUp, connectClient, startServer } from '../unit/support.js';

describe('cluster smoke', () => {
  afterEach(cleanUp);

  it('broadcasts, sends to a client and asks a client across two nodes', async () => {
    const cluster = new MemoryCluster();
    const a = await startServer({ backplane: cluster.backplane(), nodeId: 'a' });
    const b = await startServer({ backplane: cluster.backplane(), nodeId: 'b' });
    const ca = await connectClient(a.url);
    const cb = await connectClient(b.url);
    cb.handle('ping', (p: unknown) => ({ pong: p }));
    const got: unknown[] = [];
    cb.onMessage((m) => got.push(m.payload));
    expect(a.server.broadcast({ type: 'hello', payload: 1 })).to.equal(1);
    await new Promise((r) => setTimeout(r, 10));
    expect(got).to.deep.equal([1]);
    expect(a.server.sendToClient(cb.id!, { type: 'hello', payload: 2 })).to.equal(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(got).to.deep.equal([1, 2]);
    expect(await a.server.request(cb.id!, 'ping', 'x')).to.deep.equal({ pong: 'x' });
    const clients = await a.server.cluster.getClients();
    expect(clients.map((c) => c.node).sort()).to.deep.equal(['a', 'b']);
    void ca;
  });
});
