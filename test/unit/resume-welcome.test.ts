// Frames that arrive together with the welcome belong to the session that welcome opened: they
// are counted in it, so a later resume neither replays nor loses them.
import { expect } from 'chai';
import {
  RawClient,
  cleanUp,
  connectClient,
  dropConnection,
  flush,
  startServer,
  useFakeClock,
} from './support.js';
import type sinon from 'sinon';

describe('session resume: frames that come with the welcome', () => {
  let clock: sinon.SinonFakeTimers | undefined;
  afterEach(async () => {
    clock?.restore();
    clock = undefined;
    await cleanUp();
  });

  it('counts what the server sends from onConnection, so a resume replays none of it twice', async () => {
    clock = useFakeClock();
    const { server, url } = await startServer({ heartbeatInterval: Infinity });
    server.onConnection((client) => {
      if (client.resumed) return;
      for (let i = 0; i < 3; i++) server.sendToClient(client.id, { type: 'hello', payload: i });
    });
    const client = await connectClient(url, { reconnect: { minDelay: 10, maxDelay: 10 } });
    const got: unknown[] = [];
    client.onMessage((m) => got.push(m.payload));
    await flush();
    // Frames may have been read before connect() resolved: count them from the server's side.
    const before = got.length;
    dropConnection(server, client.id ?? '');
    await flush();
    server.sendToClient(client.id ?? '', { type: 'hello', payload: 3 });
    await clock.tickAsync(20);
    await flush();
    expect(client.getConnectionInfo().session).to.deep.equal({ resumed: true });
    expect(got.slice(before)).to.deep.equal([3]);
  });

  it('counts what comes with the welcome of a new session after a failed resume', async () => {
    clock = useFakeClock();
    const { server, url } = await startServer({
      heartbeatInterval: Infinity,
      resumeLog: { maxMessages: 2 },
    });
    server.onConnection((client) => {
      if (client.resumed) return;
      for (let i = 0; i < 3; i++) server.sendToClient(client.id, { type: 'hello', payload: i });
    });
    const client = await connectClient(url, { reconnect: { minDelay: 10, maxDelay: 10 } });
    const got: unknown[] = [];
    client.onMessage((m) => got.push(m.payload));
    await flush();
    got.length = 0;
    // More than the log keeps while the client is away: the resume fails, a new session begins.
    const firstId = client.id ?? '';
    dropConnection(server, firstId);
    await flush();
    for (let i = 0; i < 3; i++) server.sendToClient(firstId, { type: 'lost', payload: i });
    await clock.tickAsync(20);
    await flush();
    expect(client.getConnectionInfo().session).to.deep.equal({
      resumed: false,
      reason: 'overflow',
    });
    expect(got, 'the new session’s greetings').to.deep.equal([0, 1, 2]);
    // That session resumes after the next drop: its greetings are not replayed.
    got.length = 0;
    dropConnection(server, client.id ?? '');
    await flush();
    await clock.tickAsync(20);
    await flush();
    expect(client.getConnectionInfo().session).to.deep.equal({ resumed: true });
    expect(got).to.deep.equal([]);
  });

  it('accepts the token before the last renewal, for a client whose connection dropped before that welcome arrived', async () => {
    const { server, url } = await startServer({ heartbeatInterval: Infinity });
    const first = await new RawClient().open(url, { query: { 'plugsocket-resume': 'new' } });
    await flush();
    const welcome = first.messages[0] as { id: string; session: string };
    dropConnection(server, welcome.id);
    await flush();
    const resume = { 'plugsocket-resume': welcome.session, 'plugsocket-received': '0' };
    // Resumed, and given a new token that this client never reads: the connection drops at once.
    const second = await new RawClient().open(url, { query: resume });
    await flush();
    expect(second.messages[0]).to.include({ k: 'welcome', id: welcome.id, resumed: true });
    dropConnection(server, welcome.id);
    await flush();
    const third = await new RawClient().open(url, { query: resume });
    await flush();
    expect(third.messages[0]).to.include({ k: 'welcome', id: welcome.id, resumed: true });
    // Once the client shows it read a welcome (it sends on that connection), the old token is done.
    third.sendJson({ k: 'leave', id: 1, topic: 'none' });
    await flush();
    dropConnection(server, welcome.id);
    await flush();
    const fourth = await new RawClient().open(url, { query: resume });
    await flush();
    expect(fourth.messages[0]).to.include({ k: 'welcome', resumed: false, reason: 'denied' });
  });

  it('keeps nothing for a client that does not ask for a resumable session: no token, no got, no parking', async () => {
    const { server, url } = await startServer({ heartbeatInterval: Infinity });
    const gone: number[] = [];
    server.onDisconnection((_id, info) => gone.push(info.code));
    const raw = await new RawClient().open(url);
    await flush();
    const welcome = raw.messages[0] as { id: string };
    expect(welcome).to.not.have.property('session');
    for (let i = 0; i < 40; i++) raw.sendJson({ k: 'msg', type: 'n', payload: i });
    await flush();
    expect(raw.ofKind('got')).to.deep.equal([]);
    dropConnection(server, welcome.id);
    await flush();
    expect(gone).to.deep.equal([1006]);
    // Not parked: a message to it goes nowhere.
    expect(server.sendToClient(welcome.id, { type: 'late', payload: 1 })).to.equal(false);
  });
});
