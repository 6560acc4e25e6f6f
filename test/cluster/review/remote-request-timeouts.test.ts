// R5: remote requests and topic requests mishandle long/infinite timeouts and unreachable nodes,
// where the local path is right: ClusterLink.#expect arms setTimeout(timeout) directly (a delay
// above 2^31-1 ms fires after 1 ms), and `ms: Infinity` cannot cross the backplane. A topic
// request's members on a node that does not answer vanish from the result (not in results, errors
// nor timedOut).
import { expect } from 'chai';
import { connectTo, cleanUpNodes, idOf, settle, startNodes, sorted } from '../support.js';

const LONG = 2 ** 31; // ~24.8 days: PendingRequests clamps it, ClusterLink does not

describe('R5 remote request timeouts', () => {
  afterEach(cleanUpNodes);

  it('server.request(id on b, { timeout: 2^31 }) waits for the answer, as for a local client', async () => {
    const { a, b } = await startNodes();
    const local = await connectTo(a);
    const remote = await connectTo(b);
    for (const c of [local, remote])
      c.handle('slow', () => new Promise((r) => setTimeout(() => r('ok'), 30)));
    expect(await a.server.request(idOf(local), 'slow', null, { timeout: LONG })).to.equal('ok');
    const outcome = await a.server.request(idOf(remote), 'slow', null, { timeout: LONG }).then(
      (v) => v,
      (e: Error) => `${(e as { code?: string }).code}: ${e.message}`,
    );
    expect(outcome).to.equal('ok');
  });

  it('server.request(id on b, { timeout: Infinity }) as for a local client', async () => {
    const { a, b } = await startNodes();
    const remote = await connectTo(b);
    remote.handle('slow', () => new Promise((r) => setTimeout(() => r('ok'), 30)));
    const outcome = await a.server.request(idOf(remote), 'slow', null, { timeout: Infinity }).then(
      (v) => v,
      (e: Error) => `${(e as { code?: string }).code}: ${e.message}`,
    );
    expect(outcome).to.equal('ok');
  });

  it('to(t).timeout(2^31).request(): members on other nodes are in the result', async () => {
    const { a, b } = await startNodes();
    const onA = await connectTo(a, { topics: ['t'] });
    const onB = await connectTo(b, { topics: ['t'] });
    for (const c of [onA, onB])
      c.handle('ping', () => new Promise((r) => setTimeout(() => r('pong'), 30)));
    const replies = await a.server.to('t').timeout(LONG).request('ping', null);
    const seen = {
      results: sorted(replies.results.keys()),
      errors: sorted(replies.errors.keys()),
      timedOut: replies.timedOut,
    };
    console.log('timeout 2^31:', JSON.stringify(seen));
    expect(seen.results).to.deep.equal(sorted([idOf(onA), idOf(onB)]));
  });

  it('to(t).timeout(Infinity).request(): members on other nodes are in the result', async () => {
    const { a, b } = await startNodes();
    const onA = await connectTo(a, { topics: ['t'] });
    const onB = await connectTo(b, { topics: ['t'] });
    for (const c of [onA, onB]) c.handle('ping', () => 'pong');
    const replies = await a.server.to('t').timeout(Infinity).request('ping', null);
    const seen = {
      results: sorted(replies.results.keys()),
      errors: sorted(replies.errors.keys()),
      timedOut: replies.timedOut,
    };
    console.log('timeout Infinity:', JSON.stringify(seen));
    expect(seen.results).to.deep.equal(sorted([idOf(onA), idOf(onB)]));
  });

  it('requestTimeout: Infinity: a client-to-client request to a client on another node', async () => {
    const { a, b } = await startNodes({ requestTimeout: Infinity });
    const asker = await connectTo(a);
    const target = await connectTo(b);
    target.handle('hi', () => 'hello');
    const outcome = await asker.requestClient(idOf(target), 'hi', null).then(
      (v) => v,
      (e: Error) => `${(e as { code?: string }).code}: ${e.message}`,
    );
    expect(outcome).to.equal('hello');
  });

  it('to(t).request() with node c unreachable: c’s member is reported (timedOut or errors), not dropped', async () => {
    const { a, c, cluster } = await startNodes();
    const onA = await connectTo(a, { topics: ['t'] });
    const onC = await connectTo(c, { topics: ['t'] });
    for (const x of [onA, onC]) x.handle('ping', () => 'pong');
    await settle();
    cluster.cut('c');
    const replies = await a.server.to('t').timeout(50).request('ping', null);
    const seen = {
      results: sorted(replies.results.keys()),
      errors: sorted(replies.errors.keys()),
      timedOut: replies.timedOut,
    };
    console.log('c cut:', JSON.stringify(seen), 'member on c:', idOf(onC));
    const accounted = [...seen.results, ...seen.errors, ...seen.timedOut];
    expect(accounted, 'every member of t is accounted for').to.include(idOf(onC));
  });
});
