// Review of session resume (issue 11): each `it` proves a defect found in review and fails against
// the code it was written for. Memory transport on a fake clock throughout.
import { expect } from 'chai';
import sinon from 'sinon';
import {
  MemorySessionStore,
  type AuthorizationStrategy,
  type SessionRecord,
  type SessionStore,
} from '../../src/index.js';
import {
  connectClient,
  deferred,
  dropConnection,
  fakeClockEachTest,
  flush,
  newClient,
  RawClient,
} from './support.js';
import { rawWelcome, resumeQuery, settle, startQuiet } from './resume-support.js';

/** Reconnects 10 ms after a lost connection. */
const QUICK = { reconnect: { minDelay: 10, maxDelay: 10 } } as const;

interface Settled<T> {
  state: 'pending' | 'fulfilled' | 'rejected';
  value?: T;
  error?: unknown;
}

function track<T>(promise: Promise<T>): () => Settled<T> {
  const s: Settled<T> = { state: 'pending' };
  promise.then(
    (value) => Object.assign(s, { state: 'fulfilled', value }),
    (error: unknown) => Object.assign(s, { state: 'rejected', error }),
  );
  return () => s;
}

describe('session resume: review', () => {
  const t = fakeClockEachTest();

  it('answers an in-band credential refresh whose verification finished while the session was parked', async () => {
    // The refresh is verified asynchronously; the connection drops meanwhile. The server took
    // the client's `auth` frame (it is counted), so the client never sends it again: its answer
    // must reach the client on resume, as every other answer does.
    const verdict = deferred<{ ok: true; principal: unknown }>();
    const strategy: AuthorizationStrategy = {
      applyAuthorization: (o) => o,
      authorize: (h) =>
        h.auth.refresh === true ? verdict.promise : { ok: true, principal: { id: 'u' } },
    };
    const { server, url } = await startQuiet({ authorization: strategy });
    const client = await connectClient(url, QUICK);
    const refreshed = track(client.refreshAuthorization({ refresh: true }));
    await flush();
    dropConnection(server, client.id!);
    verdict.resolve({ ok: true, principal: { id: 'u' } });
    await settle(t.clock);
    expect(client.getConnectionInfo().session).to.deep.equal({ resumed: true });
    await settle(t.clock);
    expect(refreshed().state, 'refreshAuthorization() settled after the resume').to.equal(
      'fulfilled',
    );
    expect(refreshed().value).to.deep.equal({ left: [] });
  });

  it('keeps to maxRate after a resume: frames it held at the cut are not fired at once into the server rate limit', async () => {
    // The client paces itself under the server's limit with maxRate. At the cut the throttled
    // frames are moved to the resend list and all go out at once on resume, past the server's
    // limit: they are refused and the client is disconnected with 4429, ending the session.
    const { server, url } = await startQuiet({
      rateLimit: { interval: 1000, messages: 10 },
    });
    const got: unknown[] = [];
    server.onEvent('n', (payload: unknown) => got.push(payload));
    const client = await connectClient(url, { ...QUICK, maxRate: 10 });
    for (let i = 1; i <= 40; i++) client.emit('n', i);
    await flush();
    expect(got).to.have.length(10);
    dropConnection(server, client.id!);
    await settle(t.clock);
    expect(client.getConnectionInfo().session).to.deep.equal({ resumed: true });
    await t.clock.tickAsync(5000);
    await flush();
    expect(got, 'every message once, in order').to.deep.equal(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    expect(client.state).to.equal('open');
  });

  it('does not end a parked session before a resumeWindow longer than the largest timer', async () => {
    // setTimeout caps at 2^31-1 ms (~24.8 days); the park timer is set for min(window, cap) and
    // ends the session when it fires, without checking parkedUntil.
    const window = 2 ** 31 + 10 * 24 * 3600 * 1000; // ~34.9 days
    const { server, url } = await startQuiet({ resumeWindow: window });
    const { raw, welcome } = await rawWelcome(url);
    server.sendToClient(String(welcome.id), { type: 'm', payload: 1 });
    await flush();
    await raw.socket.disconnect(1001);
    await flush();
    await t.clock.tickAsync(2 ** 31);
    const { welcome: again } = await rawWelcome(url, resumeQuery(welcome.session, 1));
    expect(again.resumed, `reason ${String(again.reason)}`).to.equal(true);
    expect(again.id).to.equal(welcome.id);
  });
  it('records a topic whose join the server acknowledged in the replay of a resume', async () => {
    // The join's ack was logged while the session was parked and arrives in the replay, right
    // after the welcome, while the client's state is still `reconnecting`: join() resolves but
    // the topic is left out of client.topics, though the server has the client in it. A later
    // reconnect that cannot resume does not join it again.
    const decision = deferred<boolean>();
    const { server, url } = await startQuiet({ access: { join: () => decision.promise } });
    const client = await connectClient(url, QUICK);
    const joined = track(client.join('room'));
    await flush();
    dropConnection(server, client.id!);
    decision.resolve(true);
    await settle(t.clock);
    expect(client.getConnectionInfo().session).to.deep.equal({ resumed: true });
    expect(joined().state).to.equal('fulfilled');
    expect(server.getSubscribers('room')).to.deep.equal([client.id]);
    expect([...client.topics], 'client.topics').to.deep.equal(['room']);
  });

  it('does not let a wrong token make the owner of a stored session lose it (asynchronous store)', async () => {
    // A claim that does not match takes the record out of the store and puts it back later; an
    // owner resuming meanwhile finds nothing and is told expired. Anyone who knows a client id
    // (it travels as `from` on relayed messages) can do this, without limit.
    const inner = new MemorySessionStore();
    const store: SessionStore = {
      save: (record: SessionRecord, ttl: number) =>
        new Promise<void>((resolve) =>
          setImmediate(() => {
            inner.save(record, ttl);
            resolve();
          }),
        ),
      take: (id: string, accept: (record: SessionRecord) => boolean) =>
        new Promise<SessionRecord | undefined>((resolve) =>
          setImmediate(() => resolve(inner.take(id, accept))),
        ),
    };
    const first = await startQuiet({ sessionStore: store });
    const { welcome } = await rawWelcome(first.url);
    await first.server.shutdown();
    await flush();
    expect(inner.size).to.equal(1);
    const second = await startQuiet({ sessionStore: store });
    const forged = `${String(welcome.id)}.${'x'.repeat(32)}`;
    const attacker = new RawClient().open(second.url, { query: resumeQuery(forged, 0) });
    const owner = new RawClient().open(second.url, { query: resumeQuery(welcome.session, 0) });
    const [bad, good] = await Promise.all([attacker, owner]);
    for (let i = 0; i < 5; i++) await flush();
    expect(bad.messages[0]?.resumed).to.equal(false);
    expect(good.messages[0]?.resumed, `owner: ${JSON.stringify(good.messages[0])}`).to.equal(true);
  });
  it('never gives a new client the id of a parked session', async () => {
    // Admission retries generateId() while the id is taken by an admitted client, but not by a
    // parked one: two sessions then share an id, the resumed one overwrites the other in byId,
    // and sendToClient reaches the wrong client.
    const ids = ['a', 'a', 'b', 'c'];
    const { server, url } = await startQuiet({ generateId: () => ids.shift() ?? 'z' });
    const { raw, welcome } = await rawWelcome(url);
    expect(welcome.id).to.equal('a');
    await raw.socket.disconnect(1001);
    await flush();
    const { welcome: other } = await rawWelcome(url, {});
    expect(other.id, 'the parked session still holds id a').to.not.equal('a');
    expect(server.clientCount).to.equal(1);
  });

  it('refuses a token that travelled in a connect URL once the connection it resumed has outlived the window', async () => {
    // The docs: tokens travel in the URL (proxies may log them) but "are short-lived (the
    // window)". The token a client resumed with stays valid as the previous one for as long as
    // that connection lives: anyone holding it (with the same, here anonymous, principal) takes
    // the live session over, long after the window.
    const { server, url } = await startQuiet({ resumeWindow: 1000 });
    const { raw, welcome } = await rawWelcome(url);
    await raw.socket.disconnect(1001);
    await flush();
    const inUrl = welcome.session;
    const { raw: resumed, welcome: again } = await rawWelcome(url, resumeQuery(inUrl, 0));
    expect(again.resumed).to.equal(true);
    // The resumed connection is in use for far longer than the window.
    await t.clock.tickAsync(60_000);
    resumed.sendJson({ k: 'msg', type: 'still-here' });
    await flush();
    const { welcome: hijack } = await rawWelcome(url, resumeQuery(inUrl, 0));
    expect(hijack.resumed, 'the logged token took the live session over').to.equal(false);
    expect(resumed.closes, 'the owner keeps its connection').to.deep.equal([]);
    expect(server.clientCount).to.equal(2);
  });
  it('answers a request the server makes in onConnection when the client handler is asynchronous', async () => {
    // The request arrives with the welcome, before the client announces `open`; its handler
    // starts. Then #open calls #sessionLost() for every connect that did not resume (the first
    // one included), whose connectionLost() aborts the running handler: its answer is never
    // sent and the server's request times out. Before session resume this was answered (also
    // with resume: false now).
    const { server, url } = await startQuiet();
    const answers: unknown[] = [];
    server.onConnection((c) => {
      server.request(c.id, 'q', 1, { timeout: 500 }).then(
        (answer) => answers.push(answer),
        (error: unknown) => answers.push((error as { code?: string }).code),
      );
    });
    const client = newClient(url);
    client.handle('q', async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      return 'yes';
    });
    await client.connect();
    await t.clock.tickAsync(600);
    await flush();
    expect(answers).to.deep.equal(['yes']);
  });
  it('does not report resumed: true for a session whose requests it failed when reconnecting gave up', async () => {
    // gaveUp fails the requests in flight (NOT_CONNECTED), drops the offline queue and aborts
    // running handlers, but keeps the token: the application's next connect() resumes and
    // says `resumed: true` ("nothing lost or doubled") while the request it saw fail was run
    // by the server — an application that retries on NOT_CONNECTED runs it twice.
    const { server, url } = await startQuiet();
    server.onError(() => undefined);
    let refuse = false;
    server.useConnection((_ctx, next) => {
      if (refuse) throw new Error('down');
      return next();
    });
    let ran = 0;
    server.handle(
      'slow',
      () =>
        new Promise((resolve) =>
          setTimeout(() => {
            ran++;
            resolve('done');
          }, 100),
        ),
    );
    const client = await connectClient(url, {
      reconnect: { retries: 1, minDelay: 10, maxDelay: 10 },
    });
    client.onError(() => undefined);
    const result = track(client.request('slow', 1));
    await flush();
    refuse = true;
    dropConnection(server, client.id!);
    await settle(t.clock, 200);
    expect(client.state).to.equal('closed');
    expect(result().state).to.equal('rejected');
    refuse = false;
    await client.connect();
    await settle(t.clock, 200);
    expect(ran, 'the server ran the request').to.equal(1);
    expect(client.getConnectionInfo().session, 'after its requests were failed').to.not.deep.equal({
      resumed: true,
    });
  });
  it('sendToClient returns false for a client being kicked (its close ends the session)', async () => {
    // server.disconnect(id) (1000) is under way: the session will end, not park. With resume on
    // the frame is logged and `true` returned, yet it is never delivered; with resume off (and
    // before resume) the same call returns false.
    const { server, url } = await startQuiet();
    const client = await connectClient(url);
    const got: unknown[] = [];
    client.onMessage((m) => got.push(m.payload));
    const closing = server.disconnect(client.id!);
    const accepted = server.sendToClient(client.id!, { type: 'm', payload: 1 });
    await closing;
    await settle(t.clock);
    expect(got).to.deep.equal([]);
    expect(accepted, 'sendToClient for a message that is never delivered').to.equal(false);
  });
  it('asks access.join again for the topics of a session resumed with fresh credentials', async () => {
    // A refresh of credentials in-band removes the client from topics its new principal may not
    // hold; a resume, which also verifies fresh credentials and adopts the fresh principal, keeps
    // every topic unchecked: a demoted user keeps reading an admin-only topic.
    interface Role {
      readonly id: string;
      readonly role: unknown;
    }
    const strategy: AuthorizationStrategy<Role> = {
      applyAuthorization: (o) => o,
      authorize: (h) => ({ ok: true, principal: { id: 'u', role: h.auth.role } }),
    };
    const { server, url } = await startQuiet<Role>({
      authorization: strategy,
      access: { join: (client) => client.principal.role === 'admin' },
    });
    const admin = await new RawClient().open(url, {
      query: { 'plugsocket-resume': 'new' },
      auth: { role: 'admin' },
    });
    await flush();
    const welcome = admin.messages[0];
    admin.sendJson({ k: 'join', id: 1, topic: 'secret' });
    await flush();
    expect(admin.ofKind('ack')).to.deep.equal([{ k: 'ack', id: 1 }]);
    await admin.socket.disconnect(1001);
    await flush();
    const demoted = await new RawClient().open(url, {
      query: resumeQuery(welcome.session, 1),
      auth: { role: 'user' },
    });
    await flush();
    expect(demoted.messages[0]?.resumed).to.equal(true);
    expect(server.getClient(String(welcome.id))?.principal.role).to.equal('user');
    expect(server.getSubscribers('secret'), 'a user that may not join it').to.deep.equal([]);
  });
  it("does not write the client's handshake credentials to the session store", async () => {
    // persist() saves `handshake: session.handshake` — its auth (passwords, bearer tokens), its
    // headers and its query (the resume token) — in a store that may be Redis or a database,
    // though the resuming server never reads it (the session takes the new connection's).
    const saved: SessionRecord[] = [];
    const inner = new MemorySessionStore();
    const store: SessionStore = {
      save: (record, ttl) => {
        saved.push(record);
        inner.save(record, ttl);
      },
      take: (id, accept) => inner.take(id, accept),
    };
    const { server, url } = await startQuiet({ sessionStore: store });
    const raw = await new RawClient().open(url, {
      query: { 'plugsocket-resume': 'new' },
      auth: { password: 'hunter2' },
    });
    await flush();
    expect(raw.messages[0]?.k).to.equal('welcome');
    await server.shutdown();
    await flush();
    expect(saved).to.have.length(1);
    expect(JSON.stringify(saved[0]), 'the record').to.not.include('hunter2');
  });
  it('still resumes a client whose last two welcomes were lost before it read them', async () => {
    // The previous token stays valid for a client that did not read its last welcome. A client
    // presenting the previous one proves exactly that; yet its resume renews from the current
    // secret (which it never saw), so after a second welcome lost the same way it holds a token
    // two generations old and is denied — on a flaky network the session is lost for good.
    const { url } = await startQuiet();
    const { raw, welcome } = await rawWelcome(url);
    await raw.socket.disconnect(1001);
    await flush();
    const token = welcome.session; // the last token this client read
    for (let lost = 0; lost < 2; lost++) {
      // Admitted and resumed, but the connection drops before the client reads the welcome.
      const { raw: attempt, welcome: unread } = await rawWelcome(url, resumeQuery(token, 0));
      expect(unread.resumed, `attempt ${lost + 1}`).to.equal(true);
      await attempt.socket.disconnect(1001);
      await flush();
    }
    const { welcome: last } = await rawWelcome(url, resumeQuery(token, 0));
    expect(last.resumed, `reason ${String(last.reason)}`).to.equal(true);
  });
  it('does not accept messages for a parked session whose log already lost frames its client had not received', async () => {
    // Past resumeLog.maxMessages the oldest unreceived frame is dropped: the session can only
    // end in `overflow`. It still waits out the whole window holding a full log, and
    // sendToClient keeps answering true for messages that will never be delivered.
    const { server, url } = await startQuiet({ resumeLog: { maxMessages: 3 } });
    const { raw, welcome } = await rawWelcome(url);
    const id = String(welcome.id);
    await raw.socket.disconnect(1001);
    await flush();
    const accepted: boolean[] = [];
    for (let i = 1; i <= 6; i++) accepted.push(server.sendToClient(id, { type: 'm', payload: i }));
    const { welcome: again } = await rawWelcome(url, resumeQuery(welcome.session, 0));
    expect(again.reason).to.equal('overflow');
    expect(accepted, 'the 4th message pushed out one the client never got').to.deep.equal([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });
  it('does not ask for a resumable session when the client can never resume (reconnect: false)', async () => {
    // With reconnect: false a lost connection closes the client and forgets the token (a later
    // connect() starts afresh), yet every connect asks plugsocket-resume=new: the server keeps
    // a log and counts for it, and parks its session for the whole window after a drop.
    const { server, url } = await startQuiet();
    const client = await connectClient(url, { reconnect: false });
    const query = server.getClient(client.id!)?.handshake.query ?? {};
    expect(query['plugsocket-resume'], 'asked for a session it cannot resume').to.equal(undefined);
  });
  it('ends the session of a client kicked with server.disconnect(id) even when its close handshake times out', async () => {
    // The kick closes with 1000, which ends sessions; but a peer that does not answer the close
    // (half-open, or a stalled network) is dropped after closeTimeout and reported 1006, which
    // parks the session: the kicked client comes back within the window and resumes. The docs:
    // "a kicked or banned client cannot come back within the window".
    const { server, adapter, url } = await startQuiet();
    const { welcome } = await rawWelcome(url);
    // The close frame is lost on the way: the client never answers it.
    sinon.stub(adapter as unknown as { doCloseConnection: () => void }, 'doCloseConnection');
    const kicked = server.disconnect(String(welcome.id));
    await t.clock.tickAsync(10_000);
    await kicked;
    await flush();
    const { welcome: back } = await rawWelcome(url, resumeQuery(welcome.session, 0));
    expect(back.resumed, 'the kicked client resumed its session').to.equal(false);
  });
});
