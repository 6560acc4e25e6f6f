// The welcome names the principal a connection was admitted as, so a client knows who it is;
// heartbeat settings are checked whether heartbeats are on or off.
import { expect } from 'chai';
import { SocketServer, type AuthorizationStrategy } from '../../src/index.js';
import { MemorySocketServer } from '../../adapters/memory/index.js';
import { RawClient, cleanUp, connectClient, flush, startServer, uniqueName } from './support.js';

/** Admits every connection as the principal named by its `user` query parameter, if any. */
function byQuery(): AuthorizationStrategy<unknown> {
  return {
    authorize: (handshake) => {
      const user = handshake.query.user;
      return { ok: true, principal: user === undefined ? undefined : { id: user } };
    },
    applyAuthorization: (options) => options,
  };
}

describe('welcome user', () => {
  afterEach(cleanUp);

  it('names the principal id in welcome, and the client exposes it', async () => {
    const { url } = await startServer({ authorization: byQuery() });
    const client = await connectClient(url, { query: { user: 'ada' } });
    expect(client.getConnectionInfo().principal).to.equal('ada');
  });

  it('leaves user out when the principal has no id', async () => {
    const { url } = await startServer({ authorization: byQuery() });
    const raw = await new RawClient().open(url);
    await flush();
    const [welcome] = raw.ofKind('welcome');
    expect(welcome, 'the welcome').to.not.equal(undefined);
    expect('user' in welcome, JSON.stringify(welcome)).to.equal(false);
    const client = await connectClient(url);
    expect(client.getConnectionInfo().principal).to.equal(undefined);
  });

  it('leaves out a principal id that is not a valid name (over 256 characters)', async () => {
    const { url } = await startServer({ authorization: byQuery() });
    const client = await connectClient(url, { query: { user: 'x'.repeat(257) } });
    expect(client.isConnected).to.equal(true);
    expect(client.getConnectionInfo().principal).to.equal(undefined);
  });
});

describe('heartbeat settings', () => {
  for (const bad of [-1, 0, Number.NaN]) {
    it(`refuses heartbeatTimeout ${bad} even with heartbeatInterval: Infinity`, () => {
      const adapter = new MemorySocketServer({ name: uniqueName('hb') });
      expect(
        () => new SocketServer(adapter, { heartbeatInterval: Infinity, heartbeatTimeout: bad }),
      ).to.throw(RangeError);
    });
  }
});
