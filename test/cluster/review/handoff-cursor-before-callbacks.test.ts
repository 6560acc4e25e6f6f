// R14: on a hand-over request the holder takes its cursor (ClusterLink #receive K.handOff) BEFORE
// host.handOff runs, and host.handOff runs the application's onDisconnection synchronously for a
// half-open session. A broadcast the application makes there is published with a sequence number
// past the cursor AND logged in the parked session: the new node replays it from its ring too.
import { expect } from 'chai';
import { RawClient } from '../../unit/support.js';
import { cleanUpNodes, settle, startNodes, until } from '../support.js';

describe('R14 a broadcast from onDisconnection during a hand-over', () => {
  afterEach(cleanUpNodes);

  it('the resumed client gets the “left” broadcast once', async () => {
    const { a, b } = await startNodes();
    a.server.onDisconnection((clientId) => a.server.broadcast({ type: 'left', payload: clientId }));
    const first = await new RawClient().open(a.url, { query: { 'plugsocket-resume': 'new' } });
    await until(() => first.ofKind('welcome').length === 1, 'welcome on a');
    const welcome = first.ofKind('welcome')[0];
    const second = await new RawClient().open(b.url, {
      query: { 'plugsocket-resume': welcome.session as string, 'plugsocket-received': '0' },
    });
    await until(() => second.ofKind('welcome').length === 1, 'welcome on b');
    expect(second.ofKind('welcome')[0]).to.include({ resumed: true });
    await settle();
    const left = second.ofKind('msg').filter((m) => m.type === 'left');
    console.log('left messages on the resumed connection:', left.length);
    expect(left).to.have.length(1);
  });
});
