// R13: state('connected') emits its event only after an asynchronous resync; a cut that happens
// meanwhile emits `disconnected` first, then the stale `connected` arrives: the application's
// last word is `connected` while the link is down (getMetrics backplane.up agrees it is down).
import { expect } from 'chai';
import { cleanUpNodes, recordEvents, settle, startNodes } from '../support.js';

describe('R13 state events after a flapping link', () => {
  afterEach(cleanUpNodes);

  it('restore then cut at once: the last state event says disconnected', async () => {
    const { a, cluster } = await startNodes();
    const log = recordEvents(a);
    cluster.cut('a');
    await settle();
    cluster.restore('a');
    cluster.cut('a'); // the link flaps before a finished writing its entries back
    await settle();
    await settle();
    console.log(
      log.state.map((s) => s.state),
      'metrics up =',
      (a.server.getMetrics() as unknown as { backplane?: { up: number } }).backplane?.up,
    );
    expect(log.state.at(-1)?.state).to.equal('disconnected');
  });
});
