// R6: ClusterLink.request adds an 'abort' listener to options.signal and never removes it when the
// request settles (answer, error, timeout, NOT_CONNECTED). A long-lived signal reused for many
// remote requests accumulates listeners (and their closures); a local request removes its own.
import { getEventListeners } from 'node:events';
import { expect } from 'chai';
import { connectTo, cleanUpNodes, idOf, startNodes } from '../support.js';

describe('R6 abort listeners of remote requests', () => {
  afterEach(cleanUpNodes);

  it('100 answered requests with one shared signal leave no listener behind', async () => {
    const { a, b } = await startNodes();
    const local = await connectTo(a);
    const remote = await connectTo(b);
    for (const c of [local, remote]) c.handle('echo', (p) => p);
    const shared = new AbortController();
    for (let i = 0; i < 100; i++)
      await a.server.request(idOf(local), 'echo', i, { signal: shared.signal });
    const afterLocal = getEventListeners(shared.signal, 'abort').length;
    for (let i = 0; i < 100; i++)
      await a.server.request(idOf(remote), 'echo', i, { signal: shared.signal });
    const afterRemote = getEventListeners(shared.signal, 'abort').length;
    console.log({ afterLocal, afterRemote });
    expect(afterLocal, 'local').to.equal(0);
    expect(afterRemote, 'remote').to.equal(0);
  });
});
