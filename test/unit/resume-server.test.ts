// Session resume on the server (issue 11, .scratch/resume-design.md): a lost connection parks its
// session — what is sent to it meanwhile is logged and replayed, requests either way survive, the
// client's unacknowledged frames are taken once — until the resume window ends or the log
// overflows; deliberate closes end it at once; tokens are checked (secret, principal, form);
// `got` acknowledgements trim the log; a shut-down server hands its sessions to the next through
// a shared SessionStore. Memory transport on a fake clock throughout.
import { expect } from 'chai';
import sinon from 'sinon';
import { MemorySocketServer } from '../../adapters/memory/index.js';
import {
  MemorySessionStore,
  SocketServer,
  type AnySchema,
  type AuthorizationStrategy,
  type CloseInfo,
  type ConnectedClient,
  type ResumeOutcome,
  type SessionRecord,
  type SessionStore,
  type SocketClient,
} from '../../src/index.js';
import {
  connectClient,
  deferred,
  dropConnection,
  fakeClockEachTest,
  flush,
  newClient,
  RawClient,
  rejectionOf,
  uniqueName,
  expectCode,
} from './support.js';
import { rawWelcome, resumeQuery, settle, startQuiet } from './resume-support.js';

/** Reconnects 0–9 ms after a lost connection. */
const QUICK = { reconnect: { minDelay: 10, maxDelay: 10 } } as const;

/** A principal named by the `user` the client presents in its handshake's auth. */
interface User {
  readonly id: string;
}

/** Admits everyone as the `user` of `handshake.auth` (anonymous when absent). */
const byUser: AuthorizationStrategy<User> = {
  applyAuthorization: (o) => o,
  authorize: (h) => ({
    ok: true,
    principal: { id: typeof h.auth.user === 'string' ? h.auth.user : 'anonymous' },
  }),
};

describe('session resume on the server', () => {
  const t = fakeClockEachTest();

  /** Payloads of the messages a client receives, from now on. */
  function payloadsOf(client: SocketClient): unknown[] {
    const out: unknown[] = [];
    client.onMessage((m) => out.push(m.payload));
    return out;
  }

  /** What `onReconnected` reports, from now on. */
  function outcomesOf(client: SocketClient): ResumeOutcome[] {
    const out: ResumeOutcome[] = [];
    client.onReconnected((o) => out.push(o));
    return out;
  }

  // ------------------------------------------------------------------ 1. parking and replay

  describe('a lost connection parks the session', () => {
    it('reports the client gone at once and stops listing and counting it', async () => {
      const { server, url } = await startQuiet();
      const gone: [string, CloseInfo][] = [];
      server.onDisconnection((id, info) => gone.push([id, info]));
      const client = await connectClient(url, QUICK);
      const id = client.id ?? '';
      expect(server.clientCount).to.equal(1);
      dropConnection(server, id);
      expect(gone.map(([gid, info]) => [gid, info.code])).to.deep.equal([[id, 1006]]);
      expect(server.getClients().map((c) => c.id)).to.not.include(id);
      expect(server.getClient(id)).to.equal(undefined);
      expect(server.clientCount).to.equal(0);
      expect(server.getMetrics().connections).to.equal(0);
      await settle(t.clock);
      expect(client.state).to.equal('open');
      expect(server.clientCount).to.equal(1);
      expect(server.getMetrics().connections).to.equal(1);
      expect(gone, 'no second disconnection on resume').to.have.length(1);
    });

    it('delivers what was sent while parked (sendToClient, broadcast, sendToSubscribers, to().emit) after resume, in order, once', async () => {
      const { server, url } = await startQuiet();
      const client = await connectClient(url, QUICK);
      const id = client.id ?? '';
      await client.join('room');
      const received = payloadsOf(client);
      server.sendToClient(id, { type: 'm', payload: 0 });
      await flush();
      expect(received).to.deep.equal([0]);
      dropConnection(server, id);
      expect(
        server.sendToClient(id, { type: 'm', payload: 1 }),
        'a parked client is known',
      ).to.equal(true);
      expect(server.broadcast({ type: 'm', payload: 2 }), 'a parked client counts').to.equal(1);
      expect(server.sendToSubscribers('room', { type: 'm', payload: 3 })).to.equal(1);
      expect(server.to('room').emit('m', 4)).to.equal(1);
      expect(server.getSubscribers('room'), 'parked subscribers are not listed').to.deep.equal([]);
      await flush();
      expect(received, 'nothing while the connection is down').to.deep.equal([0]);
      await settle(t.clock);
      expect(client.state).to.equal('open');
      expect(client.id).to.equal(id);
      expect(received).to.deep.equal([0, 1, 2, 3, 4]);
      server.to('room').emit('m', 5);
      await settle(t.clock, 200);
      expect(received, 'exactly once, new frames after the replay').to.deep.equal([
        0, 1, 2, 3, 4, 5,
      ]);
      expect(server.getSubscribers('room')).to.deep.equal([id]);
    });

    it('announces the resumed client again with resumed: true — same id, principal, topics and data', async () => {
      const { server, url } = await startQuiet<User>({ authorization: byUser });
      const seen: {
        id: string;
        resumed: boolean;
        principal: User;
        topics: string[];
        k: unknown;
      }[] = [];
      server.onConnection((c: ConnectedClient<User>) =>
        seen.push({
          id: c.id,
          resumed: c.resumed,
          principal: c.principal,
          topics: [...c.topics],
          k: c.get('k'),
        }),
      );
      const client = await connectClient(url, { ...QUICK, auth: { user: 'ann' } });
      const id = client.id ?? '';
      await client.join('room');
      server.getClient(id)?.set('k', 'v');
      const outcomes = outcomesOf(client);
      dropConnection(server as unknown as SocketServer<AnySchema, unknown>, id);
      await settle(t.clock);
      expect(outcomes).to.deep.equal([{ resumed: true }]);
      expect(seen).to.deep.equal([
        { id, resumed: false, principal: { id: 'ann' }, topics: [], k: undefined },
        { id, resumed: true, principal: { id: 'ann' }, topics: ['room'], k: 'v' },
      ]);
      const again = server.getClient(id);
      expect(again?.resumed).to.equal(true);
      expect(again?.principal).to.deep.equal({ id: 'ann' });
      expect([...(again?.topics ?? [])]).to.deep.equal(['room']);
      expect(again?.get('k')).to.equal('v');
      expect(server.getTopics()).to.deep.equal(['room']);
    });
  });

  // ------------------------------------------------------------------ 2. requests

  describe('requests across a cut', () => {
    it('answers a client request whose handler was running at the cut, once, after resume', async () => {
      const { server, url } = await startQuiet();
      const gate = deferred<string>();
      let runs = 0;
      let aborted = false;
      server.handle('slow', (_payload, ctx) => {
        runs++;
        ctx.signal.addEventListener('abort', () => (aborted = true));
        return gate.promise;
      });
      const client = await connectClient(url, QUICK);
      const answer = client.request('slow', null);
      await flush();
      expect(runs).to.equal(1);
      dropConnection(server, client.id ?? '');
      await flush();
      gate.resolve('done');
      await flush();
      await settle(t.clock);
      expect(client.state).to.equal('open');
      expect(await answer).to.equal('done');
      expect(runs, 'not run again').to.equal(1);
      expect(aborted, 'a parked client is not gone').to.equal(false);
    });

    it('answers a server request made of a parked client after it resumes', async () => {
      const { server, url } = await startQuiet();
      const client = await connectClient(url, QUICK);
      let asked = 0;
      client.handle('double', (n) => {
        asked++;
        return (n as number) * 2;
      });
      const id = client.id ?? '';
      dropConnection(server, id);
      const answer = server.request(id, 'double', 21);
      await flush();
      expect(asked).to.equal(0);
      await settle(t.clock);
      expect(await answer).to.equal(42);
      expect(asked).to.equal(1);
    });

    it('does not run a request twice whose answer the cut lost', async () => {
      const { server, url } = await startQuiet();
      let runs = 0;
      server.handle('count', (_payload, ctx) => {
        runs++;
        // The connection goes before the answer leaves: the client never sees the ack on it.
        dropConnection(server, ctx.clientId);
        return runs;
      });
      const client = await connectClient(url, QUICK);
      const answer = client.request('count', null);
      await flush();
      expect(runs).to.equal(1);
      expect(client.state).to.equal('reconnecting');
      await settle(t.clock);
      expect(await answer).to.equal(1);
      await settle(t.clock, 200);
      expect(runs, 'the request was not sent again').to.equal(1);
    });

    it('runs once a request that was still on its way at the cut (sent again on resume)', async () => {
      const { server, url } = await startQuiet();
      let runs = 0;
      server.handle('count', () => ++runs);
      const client = await connectClient(url, QUICK);
      const answer = client.request('count', null);
      // The frame is in flight: the connection goes before the server takes it.
      dropConnection(server, client.id ?? '');
      await flush();
      expect(runs).to.equal(0);
      await settle(t.clock);
      expect(await answer).to.equal(1);
      await settle(t.clock, 200);
      expect(runs).to.equal(1);
    });
  });

  // ------------------------------------------------------------------ 3. client → server

  it('takes the messages a client sent right before the cut exactly once, then what it sent offline', async () => {
    const { server, url } = await startQuiet();
    const taken: unknown[] = [];
    server.onMessage((_id, m) => taken.push(m.payload));
    const client = await connectClient(url, QUICK);
    client.emit('e', 0);
    client.emit('e', 1);
    await flush();
    expect(taken).to.deep.equal([0, 1]);
    client.emit('e', 2);
    client.emit('e', 3);
    // 2 and 3 are on their way: the server drops the connection before it takes them.
    dropConnection(server, client.id ?? '');
    await flush();
    expect(taken).to.deep.equal([0, 1]);
    client.emit('e', 4);
    await settle(t.clock);
    await settle(t.clock, 200);
    expect(taken).to.deep.equal([0, 1, 2, 3, 4]);
  });

  // ------------------------------------------------------------------ 4. window expiry

  describe('the resume window', () => {
    it('ends a parked session after resumeWindow: its requests fail NOT_CONNECTED', async () => {
      const { server, url } = await startQuiet({ resumeWindow: 1000 });
      const { welcome } = await rawWelcome(url);
      const id = String(welcome.id);
      dropConnection(server, id);
      let settled = false;
      const pending = rejectionOf(server.request(id, 'anything', null)).finally(
        () => (settled = true),
      );
      await t.clock.tickAsync(999);
      await flush();
      expect(settled, 'still waiting inside the window').to.equal(false);
      expect(server.sendToClient(id, { type: 'm', payload: null }), 'still parked').to.equal(true);
      await t.clock.tickAsync(1);
      await flush();
      expectCode(await pending, 'NOT_CONNECTED');
      expectCode(await rejectionOf(server.request(id, 'anything', null)), 'NOT_CONNECTED');
      expect(server.sendToClient(id, { type: 'm', payload: null }), 'the session is gone').to.equal(
        false,
      );
    });

    it('answers a resume after the window with a new session: resumed false, expired', async () => {
      const { server, url } = await startQuiet({ resumeWindow: 1000 });
      const { welcome } = await rawWelcome(url);
      const id = String(welcome.id);
      expect(welcome.session).to.be.a('string');
      dropConnection(server, id);
      await t.clock.tickAsync(1000);
      await flush();
      const again = await rawWelcome(url, resumeQuery(welcome.session, 0));
      expect(again.welcome).to.include({ k: 'welcome', resumed: false, reason: 'expired' });
      expect(again.welcome.id).to.not.equal(id);
      expect(again.welcome.session).to.be.a('string');
      expect(again.welcome).to.not.have.property('received');
    });

    it('tells a SocketClient that comes back too late: expired, a new id', async () => {
      const { server, url } = await startQuiet({ resumeWindow: 1000 });
      const client = await connectClient(url, { reconnect: { minDelay: 2000, maxDelay: 2000 } });
      const id = client.id ?? '';
      await client.join('room');
      const outcomes = outcomesOf(client);
      sinon.stub(Math, 'random').returns(0.999); // the first retry after 1999 ms
      dropConnection(server, id);
      await t.clock.tickAsync(2100);
      await flush();
      await t.clock.tickAsync(10);
      await flush();
      expect(client.state).to.equal('open');
      expect(outcomes).to.deep.equal([{ resumed: false, reason: 'expired' }]);
      expect(client.id).to.not.equal(id);
      expect(server.getClient(id)).to.equal(undefined);
      expect(server.getSubscribers('room'), 'the client joined again').to.deep.equal([client.id]);
    });
  });

  // ------------------------------------------------------------------ 5. log overflow

  describe('the resume log', () => {
    it('resumes with up to maxMessages frames missed, not one more (overflow)', async () => {
      const { server, url } = await startQuiet({ resumeLog: { maxMessages: 5 } });
      const fits = await connectClient(url, QUICK);
      const over = await connectClient(url, QUICK);
      const fitsId = fits.id ?? '';
      const overId = over.id ?? '';
      const fitsGot = payloadsOf(fits);
      const overGot = payloadsOf(over);
      const fitsOutcomes = outcomesOf(fits);
      const overOutcomes = outcomesOf(over);
      dropConnection(server, fitsId);
      dropConnection(server, overId);
      for (let i = 1; i <= 5; i++) server.sendToClient(fitsId, { type: 'm', payload: i });
      for (let i = 1; i <= 6; i++) server.sendToClient(overId, { type: 'm', payload: i });
      await settle(t.clock);
      expect(fitsOutcomes).to.deep.equal([{ resumed: true }]);
      expect(fits.id).to.equal(fitsId);
      expect(fitsGot).to.deep.equal([1, 2, 3, 4, 5]);
      expect(overOutcomes).to.deep.equal([{ resumed: false, reason: 'overflow' }]);
      expect(over.id).to.not.equal(overId);
      expect(overGot, 'nothing of the lost session is replayed').to.deep.equal([]);
      expect(
        server.sendToClient(overId, { type: 'm', payload: null }),
        'the old session ended',
      ).to.equal(false);
    });

    it('tells a raw client overflow, and counts maxBytes too', async () => {
      const { server, url } = await startQuiet({ resumeLog: { maxBytes: 1000 } });
      const a = await rawWelcome(url);
      const b = await rawWelcome(url);
      const aId = String(a.welcome.id);
      const bId = String(b.welcome.id);
      dropConnection(server, aId);
      dropConnection(server, bId);
      const big = 'x'.repeat(400);
      for (let i = 0; i < 2; i++) server.sendToClient(aId, { type: 'm', payload: big });
      for (let i = 0; i < 3; i++) server.sendToClient(bId, { type: 'm', payload: big });
      const a2 = await rawWelcome(url, resumeQuery(a.welcome.session, 0));
      expect(a2.welcome).to.include({ id: aId, resumed: true, received: 0 });
      expect(a2.raw.ofKind('msg'), 'both fit in 1000 bytes').to.have.length(2);
      const b2 = await rawWelcome(url, resumeQuery(b.welcome.session, 0));
      expect(b2.welcome).to.include({ resumed: false, reason: 'overflow' });
      expect(b2.welcome.id).to.not.equal(bId);
      expect(b2.raw.ofKind('msg')).to.deep.equal([]);
    });
  });

  // ------------------------------------------------------------------ 6. deliberate closes

  describe('a deliberate close ends the session at once', () => {
    it('a kick (server.disconnect, 1000): no resume, the old token is expired', async () => {
      const { server, url } = await startQuiet();
      const { welcome } = await rawWelcome(url);
      const id = String(welcome.id);
      const gone: number[] = [];
      server.onDisconnection((_id, info) => gone.push(info.code));
      await server.disconnect(id);
      await flush();
      expect(gone).to.deep.equal([1000]);
      expect(server.sendToClient(id, { type: 'm', payload: null }), 'not parked').to.equal(false);
      expectCode(await rejectionOf(server.request(id, 'x', null)), 'NOT_CONNECTED');
      const again = await rawWelcome(url, resumeQuery(welcome.session, 0));
      expect(again.welcome).to.include({ resumed: false, reason: 'expired' });
      expect(again.welcome.id).to.not.equal(id);
    });

    it('an application close code (4000–4999) ends it too', async () => {
      const { server, url } = await startQuiet();
      const { welcome } = await rawWelcome(url);
      const id = String(welcome.id);
      await server.disconnect(id, 4321, 'go away');
      await flush();
      expect(server.sendToClient(id, { type: 'm', payload: null })).to.equal(false);
      const again = await rawWelcome(url, resumeQuery(welcome.session, 0));
      expect(again.welcome).to.include({ resumed: false, reason: 'expired' });
    });

    it("the client's own close (1000): requests made of it fail at once, the token is expired", async () => {
      const { server, url } = await startQuiet();
      const { raw, welcome } = await rawWelcome(url);
      const id = String(welcome.id);
      const gone: number[] = [];
      server.onDisconnection((_id, info) => gone.push(info.code));
      const failed = rejectionOf(server.request(id, 'never-answered', null));
      await flush();
      await raw.socket.disconnect();
      await flush();
      expect(gone).to.deep.equal([1000]);
      expectCode(await failed, 'NOT_CONNECTED');
      expect(server.sendToClient(id, { type: 'm', payload: null })).to.equal(false);
      const again = await rawWelcome(url, resumeQuery(welcome.session, 1));
      expect(again.welcome).to.include({ resumed: false, reason: 'expired' });
    });

    it('a SocketClient that disconnect()s is gone for good on the server', async () => {
      const { server, url } = await startQuiet();
      const client = await connectClient(url, QUICK);
      const id = client.id ?? '';
      const gone: number[] = [];
      server.onDisconnection((_id, info) => gone.push(info.code));
      await client.disconnect();
      await flush();
      expect(gone).to.deep.equal([1000]);
      expect(server.sendToClient(id, { type: 'm', payload: null })).to.equal(false);
      expectCode(await rejectionOf(server.request(id, 'x', null)), 'NOT_CONNECTED');
    });
    it('a kick of a parked client (server.disconnect) ends its session: it cannot resume', async () => {
      const { server, url } = await startQuiet();
      const { welcome } = await rawWelcome(url);
      const id = String(welcome.id);
      dropConnection(server, id);
      const failed = rejectionOf(server.request(id, 'x', null));
      await server.disconnect(id);
      await flush();
      expect(server.sendToClient(id, { type: 'm', payload: null }), 'no longer parked').to.equal(
        false,
      );
      expectCode(await failed, 'NOT_CONNECTED');
      const again = await rawWelcome(url, resumeQuery(welcome.session, 0));
      expect(again.welcome).to.include({ resumed: false, reason: 'expired' });
      expect(again.welcome.id).to.not.equal(id);
    });
  });

  // ------------------------------------------------------------------ 7. tokens

  describe('who may resume', () => {
    it('denies a wrong secret, and the owner can still resume afterwards', async () => {
      const { server, url } = await startQuiet();
      const { welcome } = await rawWelcome(url);
      const id = String(welcome.id);
      const token = String(welcome.session);
      expect(token.startsWith(`${id}.`), 'token names the id').to.equal(true);
      dropConnection(server, id);
      server.sendToClient(id, { type: 'm', payload: 'missed' });
      const thief = await rawWelcome(url, resumeQuery(`${id}.not-the-secret`, 0));
      expect(thief.welcome).to.include({ resumed: false, reason: 'denied' });
      expect(thief.welcome.id).to.not.equal(id);
      expect(thief.raw.ofKind('msg'), 'nothing of the session leaks').to.deep.equal([]);
      const owner = await rawWelcome(url, resumeQuery(token, 0));
      expect(owner.welcome).to.include({ id, resumed: true, received: 0 });
      expect(owner.raw.ofKind('msg').map((m) => m.payload)).to.deep.equal(['missed']);
    });

    it('renews the token with each welcome; a superseded one stops working', async () => {
      // The design makes a token single-use; a grace for the token just before the newest (its
      // welcome may have been lost with the connection) is tolerated here: two back is denied.
      const { server, url } = await startQuiet();
      const first = await rawWelcome(url);
      const id = String(first.welcome.id);
      dropConnection(server, id);
      const second = await rawWelcome(url, resumeQuery(first.welcome.session, 0));
      expect(second.welcome).to.include({ id, resumed: true });
      expect(second.welcome.session).to.be.a('string').and.not.equal(first.welcome.session);
      dropConnection(server, id);
      const third = await rawWelcome(url, resumeQuery(second.welcome.session, 0));
      expect(third.welcome).to.include({ id, resumed: true });
      expect(third.welcome.session)
        .to.be.a('string')
        .and.not.be.oneOf([first.welcome.session, second.welcome.session]);
      dropConnection(server, id);
      const stale = await rawWelcome(url, resumeQuery(first.welcome.session, 0));
      expect(stale.welcome).to.include({ resumed: false, reason: 'denied' });
      expect(stale.welcome.id).to.not.equal(id);
      const fourth = await rawWelcome(url, resumeQuery(third.welcome.session, 0));
      expect(fourth.welcome, 'the newest token still resumes').to.include({ id, resumed: true });
    });

    it('denies a client that claims more frames than were sent, and keeps the session', async () => {
      const { server, url } = await startQuiet();
      const { welcome } = await rawWelcome(url);
      const id = String(welcome.id);
      server.sendToClient(id, { type: 'm', payload: 1 });
      await flush();
      dropConnection(server, id);
      const greedy = await rawWelcome(url, resumeQuery(welcome.session, 2));
      expect(greedy.welcome).to.include({ resumed: false, reason: 'denied' });
      expect(greedy.welcome.id).to.not.equal(id);
      const honest = await rawWelcome(url, resumeQuery(welcome.session, 1));
      expect(honest.welcome).to.include({ id, resumed: true, received: 0 });
      expect(honest.raw.ofKind('msg'), 'nothing missed').to.deep.equal([]);
    });

    it('denies a token presented by another principal', async () => {
      const tokens: Record<string, string> = { 't-ann': 'ann', 't-bob': 'bob' };
      const strategy: AuthorizationStrategy<User> = {
        applyAuthorization: (o) => o,
        authorize: (h) => {
          const user = tokens[String(h.auth.token)];
          return user === undefined
            ? { ok: false, reason: 'who?' }
            : { ok: true, principal: { id: user } };
        },
      };
      const { server, url } = await startQuiet<User>({ authorization: strategy });
      const ann = await rawWelcome(url, undefined, { token: 't-ann' });
      const id = String(ann.welcome.id);
      expect(ann.welcome.user).to.equal('ann');
      dropConnection(server as unknown as SocketServer<AnySchema, unknown>, id);
      const bob = await rawWelcome(url, resumeQuery(ann.welcome.session, 0), { token: 't-bob' });
      expect(bob.welcome).to.include({ user: 'bob', resumed: false, reason: 'denied' });
      expect(bob.welcome.id).to.not.equal(id);
      const annAgain = await rawWelcome(url, resumeQuery(ann.welcome.session, 0), {
        token: 't-ann',
      });
      expect(annAgain.welcome).to.include({ id, user: 'ann', resumed: true });
    });

    it('denies a malformed token or count', async () => {
      const { server, url } = await startQuiet();
      const { welcome } = await rawWelcome(url);
      const id = String(welcome.id);
      dropConnection(server, id);
      const malformed: Record<string, string>[] = [
        { 'plugsocket-resume': 'no-dot-at-all' },
        { 'plugsocket-resume': `${id}.` },
        { 'plugsocket-resume': '.secret' },
        { 'plugsocket-resume': String(welcome.session), 'plugsocket-received': 'abc' },
        { 'plugsocket-resume': String(welcome.session), 'plugsocket-received': '-1' },
      ];
      for (const query of malformed) {
        const attempt = await rawWelcome(url, query);
        expect(attempt.welcome, JSON.stringify(query)).to.include({
          resumed: false,
          reason: 'denied',
        });
        expect(attempt.welcome.id).to.not.equal(id);
      }
      const owner = await rawWelcome(url, resumeQuery(welcome.session, 0));
      expect(owner.welcome, 'malformed attempts did not end the session').to.include({
        id,
        resumed: true,
      });
    });

    it('with resumeWindow: 0 gives no token and answers a resume request disabled', async () => {
      const { server, url } = await startQuiet({ resumeWindow: 0 });
      const plain = await rawWelcome(url);
      expect(plain.welcome).to.not.have.property('session');
      expect(plain.welcome).to.not.have.property('resumed');
      const id = String(plain.welcome.id);
      dropConnection(server, id);
      expect(server.sendToClient(id, { type: 'm', payload: null }), 'nothing parks').to.equal(
        false,
      );
      const asking = await rawWelcome(url, resumeQuery(`${id}.whatever`, 0));
      expect(asking.welcome).to.include({ resumed: false, reason: 'disabled' });
      expect(asking.welcome).to.not.have.property('session');
      expect(asking.welcome.id).to.not.equal(id);
    });
  });

  // ------------------------------------------------------------------ 8. half-open

  it('lets a resuming connection take over a half-open one: the old is closed and reported gone', async () => {
    const { server, url } = await startQuiet();
    const connected: boolean[] = [];
    server.onConnection((c) => connected.push(c.resumed));
    const gone: [string, CloseInfo][] = [];
    server.onDisconnection((id, info) => gone.push([id, info]));
    const old = await rawWelcome(url);
    const id = String(old.welcome.id);
    server.sendToClient(id, { type: 'm', payload: 1 });
    server.sendToClient(id, { type: 'm', payload: 2 });
    await flush();
    expect(old.raw.ofKind('msg')).to.have.length(2);
    // The client saw the first only (the second was lost on the dying connection).
    const fresh = await rawWelcome(url, resumeQuery(old.welcome.session, 1));
    expect(fresh.welcome).to.include({ id, resumed: true, received: 0 });
    expect(fresh.raw.ofKind('msg').map((m) => m.payload)).to.deep.equal([2]);
    expect(old.raw.closes.map((c) => c.code)).to.deep.equal([1006]);
    expect(gone.map(([gid]) => gid)).to.deep.equal([id]);
    expect(connected).to.deep.equal([false, true]);
    expect(server.clientCount).to.equal(1);
    server.sendToClient(id, { type: 'm', payload: 3 });
    await flush();
    expect(fresh.raw.ofKind('msg').map((m) => m.payload)).to.deep.equal([2, 3]);
    expect(old.raw.ofKind('msg'), 'nothing more on the old connection').to.have.length(2);
    expect(gone, 'the replaced connection is reported once').to.have.length(1);
  });

  it('keeps the per-address connection count balanced across resumes and takeovers', async () => {
    const { server, url } = await startQuiet({ maxConnectionsPerAddress: 2 });
    let { welcome } = await rawWelcome(url);
    const id = String(welcome.id);
    for (let i = 0; i < 3; i++) {
      dropConnection(server, id);
      ({ welcome } = await rawWelcome(url, resumeQuery(welcome.session, 0)));
      expect(welcome).to.include({ id, resumed: true });
    }
    for (let i = 0; i < 3; i++) {
      // Half-open: the old connection is still open when the next one resumes.
      ({ welcome } = await rawWelcome(url, resumeQuery(welcome.session, 0)));
      expect(welcome).to.include({ id, resumed: true });
      await flush();
    }
    const second = await rawWelcome(url);
    expect(second.welcome.k).to.equal('welcome');
    const third = await new RawClient().open(url);
    await flush();
    expect(
      third.closes.map((c) => c.code),
      'the cap still holds',
    ).to.deep.equal([1013]);
  });

  // ------------------------------------------------------------------ 9. got

  describe('got', () => {
    it('acknowledges every 32 stream frames a client sends', async () => {
      const { server, url } = await startQuiet();
      let taken = 0;
      server.onMessage(() => taken++);
      const { raw } = await rawWelcome(url);
      for (let i = 0; i < 31; i++) raw.sendJson({ k: 'msg', type: 'e', payload: i });
      await flush();
      expect(raw.ofKind('got')).to.deep.equal([]);
      raw.sendJson({ k: 'msg', type: 'e', payload: 31 });
      raw.sendJson({ k: 'ping' }); // not a stream frame
      await flush();
      expect(taken).to.equal(32);
      expect(raw.ofKind('got')).to.deep.equal([{ k: 'got', n: 32 }]);
      for (let i = 0; i < 32; i++) raw.sendJson({ k: 'msg', type: 'e', payload: i });
      await flush();
      expect(raw.ofKind('got')).to.deep.equal([
        { k: 'got', n: 32 },
        { k: 'got', n: 64 },
      ]);
    });

    it('counts the frames a resumed session took before: welcome received', async () => {
      const { server, url } = await startQuiet();
      const first = await rawWelcome(url);
      const id = String(first.welcome.id);
      first.raw.sendJson({ k: 'msg', type: 'e' });
      first.raw.sendJson({ k: 'got', n: 0 }); // not a stream frame
      first.raw.sendJson({ k: 'msg', type: 'e' });
      first.raw.sendJson({ k: 'ping' });
      first.raw.sendJson({ k: 'msg', type: 'e' });
      await flush();
      dropConnection(server, id);
      const again = await rawWelcome(url, resumeQuery(first.welcome.session, 0));
      expect(again.welcome).to.include({ id, resumed: true, received: 3 });
    });

    it("drops from the log what a client's got covers (seen in the record a shutdown saves)", async () => {
      const store = new MemorySessionStore();
      const saved: SessionRecord[] = [];
      const save = store.save.bind(store);
      sinon.stub(store, 'save').callsFake((record, ttl) => {
        saved.push(record);
        save(record, ttl);
      });
      const name = uniqueName('got');
      const server = new SocketServer(new MemorySocketServer({ name }), {
        heartbeatInterval: Infinity,
        sessionStore: store,
      });
      const url = (await server.listen()).url ?? '';
      const acked = await rawWelcome(url);
      const silent = await rawWelcome(url);
      for (let i = 0; i < 4; i++) server.broadcast({ type: 'm', payload: i });
      await flush();
      acked.raw.sendJson({ k: 'got', n: 3 });
      await flush();
      await server.shutdown();
      const byId = new Map(saved.map((r) => [r.id, r]));
      const ackedRecord = byId.get(String(acked.welcome.id));
      const silentRecord = byId.get(String(silent.welcome.id));
      expect(ackedRecord?.logStart).to.equal(3);
      expect(ackedRecord?.log).to.have.length(1);
      expect(silentRecord?.logStart).to.equal(0);
      expect(silentRecord?.log).to.have.length(4);
    });

    it("trims the log by a SocketClient's own acknowledgements, so a long session still resumes", async () => {
      const store = new MemorySessionStore();
      const saved: SessionRecord[] = [];
      const save = store.save.bind(store);
      sinon.stub(store, 'save').callsFake((record, ttl) => {
        saved.push(record);
        save(record, ttl);
      });
      const { server, url } = await startQuiet({
        resumeLog: { maxMessages: 5 },
        sessionStore: store,
      });
      const client = await connectClient(url, QUICK);
      const id = client.id ?? '';
      const received = payloadsOf(client);
      for (let i = 0; i < 34; i++) server.sendToClient(id, { type: 'm', payload: i });
      await flush();
      await flush();
      expect(received).to.have.length(34);
      dropConnection(server, id);
      for (let i = 34; i < 37; i++) server.sendToClient(id, { type: 'm', payload: i });
      await settle(t.clock);
      expect(client.id).to.equal(id);
      expect(received).to.deep.equal(Array.from({ length: 37 }, (_, i) => i));
      await server.shutdown();
      const record = saved.find((r) => r.id === id);
      // The client acknowledged 32: only what came after is kept.
      expect(record?.logStart).to.equal(32);
      expect(record?.log).to.have.length(5);
    });

    it('answers a got beyond what was sent with an error frame, and keeps the connection', async () => {
      const { server, url } = await startQuiet();
      const taken: unknown[] = [];
      server.onMessage((_id, m) => taken.push(m.payload));
      const { raw, welcome } = await rawWelcome(url);
      server.sendToClient(String(welcome.id), { type: 'm', payload: null });
      await flush();
      raw.sendJson({ k: 'got', n: 2 });
      await flush();
      const errors = raw.ofKind('error');
      expect(errors).to.have.length(1);
      expect((errors[0].error as { code: string }).code).to.equal('INVALID_MESSAGE');
      expect(raw.closes).to.deep.equal([]);
      raw.sendJson({ k: 'msg', type: 'e', payload: 'still here' });
      await flush();
      expect(taken).to.deep.equal(['still here']);
      raw.sendJson({ k: 'got', n: 2 }); // the error frame made it 2
      await flush();
      expect(raw.ofKind('error'), 'now within what was sent').to.have.length(1);
    });
  });

  // ------------------------------------------------------------------ 10. shutdown handoff

  describe('a shutdown hands sessions over', () => {
    async function handoff(shared: boolean) {
      const store = shared ? new MemorySessionStore() : undefined;
      const name = uniqueName('handoff');
      const options = {
        heartbeatInterval: Infinity,
        ...(store && { sessionStore: store }),
      };
      const first = new SocketServer(new MemorySocketServer({ name }), options);
      const url = (await first.listen()).url ?? '';
      const gate = deferred<string>();
      first.handle('slow', () => gate.promise);
      // `open` stays connected until the shutdown; `parked` lost its connection before it.
      const open = newClient(url, QUICK);
      const parked = newClient(url, { reconnect: { minDelay: 500, maxDelay: 500 } });
      await open.connect();
      await parked.connect();
      await open.join('room');
      await parked.join('room');
      const openId = open.id ?? '';
      const parkedId = parked.id ?? '';
      const openGot = payloadsOf(open);
      const parkedGot = payloadsOf(parked);
      const openOutcomes = outcomesOf(open);
      const parkedOutcomes = outcomesOf(parked);
      const answer = open.request('slow', null);
      open.emit('e', 'before');
      const firstTaken: unknown[] = [];
      first.onMessage((_id, m) => firstTaken.push(m.payload));
      await flush();
      sinon.stub(Math, 'random').returns(0.999);
      dropConnection(first, parkedId);
      const down = first.shutdown({ timeout: 5000 });
      await flush();
      // During the drain: sent to both, the parked one only logs it.
      first.to('room').emit('m', 'during drain');
      first.sendToClient(parkedId, { type: 'm', payload: 'direct' });
      gate.resolve('answered');
      await down;
      expect(await answer).to.equal('answered');
      await flush();
      const second = new SocketServer(new MemorySocketServer({ name }), options);
      const secondTaken: unknown[] = [];
      second.onMessage((_id, m) => secondTaken.push(m.payload));
      await second.listen();
      await t.clock.tickAsync(600);
      await flush();
      await t.clock.tickAsync(10);
      await flush();
      return {
        second,
        open,
        parked,
        openId,
        parkedId,
        openGot,
        parkedGot,
        openOutcomes,
        parkedOutcomes,
        store,
        firstTaken,
        secondTaken,
      };
    }

    it('resumes on the next server given the same store: same ids, topics, missed frames', async () => {
      const r = await handoff(true);
      try {
        expect(r.open.state).to.equal('open');
        expect(r.parked.state).to.equal('open');
        expect(r.openOutcomes).to.deep.equal([{ resumed: true }]);
        expect(r.parkedOutcomes).to.deep.equal([{ resumed: true }]);
        expect(r.open.id).to.equal(r.openId);
        expect(r.parked.id).to.equal(r.parkedId);
        expect(r.openGot).to.deep.equal(['during drain']);
        expect(r.parkedGot, 'replayed from the record').to.deep.equal(['during drain', 'direct']);
        expect(r.second.clientCount).to.equal(2);
        expect(r.second.getClient(r.openId)?.resumed).to.equal(true);
        expect([...(r.second.getClient(r.parkedId)?.topics ?? [])]).to.deep.equal(['room']);
        expect(r.second.getSubscribers('room').sort()).to.deep.equal([r.openId, r.parkedId].sort());
        expect(r.store?.size, 'records are taken').to.equal(0);
        expect(r.firstTaken).to.deep.equal(['before']);
        expect(r.secondTaken, 'what the first server took is not sent again').to.deep.equal([]);
        r.second.to('room').emit('m', 'after');
        await flush();
        await flush();
        expect(r.openGot).to.deep.equal(['during drain', 'after']);
        expect(r.parkedGot).to.deep.equal(['during drain', 'direct', 'after']);
      } finally {
        await r.second.shutdown();
      }
    });

    it("waits in the drain for a parked client's request and hands its answer to the next server", async () => {
      const store = new MemorySessionStore();
      const name = uniqueName('drain-parked');
      const options = { heartbeatInterval: Infinity, sessionStore: store };
      const first = new SocketServer(new MemorySocketServer({ name }), options);
      const url = (await first.listen()).url ?? '';
      const gate = deferred<string>();
      let runs = 0;
      first.handle('slow', () => {
        runs++;
        return gate.promise;
      });
      const client = newClient(url, { reconnect: { minDelay: 500, maxDelay: 500 } });
      await client.connect();
      const id = client.id ?? '';
      let answer: unknown = 'no answer';
      client.request('slow', null).then(
        (result) => (answer = result),
        (error: unknown) => (answer = error),
      );
      await flush();
      sinon.stub(Math, 'random').returns(0.999);
      dropConnection(first, id);
      let down = false;
      const shutdown = first.shutdown({ timeout: 5000 }).then(() => (down = true));
      await flush();
      expect(down, 'the drain waits for the parked session').to.equal(false);
      gate.resolve('late answer');
      await shutdown;
      const second = new SocketServer(new MemorySocketServer({ name }), options);
      let secondRuns = 0;
      second.handle('slow', () => ++secondRuns);
      await second.listen();
      try {
        await t.clock.tickAsync(600);
        await flush();
        await t.clock.tickAsync(10);
        await flush();
        expect(client.id).to.equal(id);
        expect(answer).to.equal('late answer');
        expect([runs, secondRuns]).to.deep.equal([1, 0]);
      } finally {
        await second.shutdown();
      }
    });

    it('saves each session with the time left in its window', async () => {
      const store = new MemorySessionStore();
      const name = uniqueName('window');
      const options = { heartbeatInterval: Infinity, resumeWindow: 1000, sessionStore: store };
      const first = new SocketServer(new MemorySocketServer({ name }), options);
      const url = (await first.listen()).url ?? '';
      const early = await rawWelcome(url);
      const late = await rawWelcome(url);
      dropConnection(first, String(early.welcome.id));
      dropConnection(first, String(late.welcome.id));
      await t.clock.tickAsync(600);
      const open = await rawWelcome(url); // open at the shutdown: a full window from then
      await first.shutdown();
      const second = new SocketServer(new MemorySocketServer({ name }), options);
      await second.listen();
      try {
        await t.clock.tickAsync(300);
        const a = await rawWelcome(url, resumeQuery(early.welcome.session, 0));
        expect(a.welcome).to.include({ id: early.welcome.id, resumed: true });
        await t.clock.tickAsync(100); // 1000 ms since the drop
        const b = await rawWelcome(url, resumeQuery(late.welcome.session, 0));
        expect(b.welcome).to.include({ resumed: false, reason: 'expired' });
        await t.clock.tickAsync(550); // 950 ms since the shutdown
        const c = await rawWelcome(url, resumeQuery(open.welcome.session, 0));
        expect(c.welcome).to.include({ id: open.welcome.id, resumed: true });
      } finally {
        await second.shutdown();
      }
    });

    it('puts a session back to wait when its resuming connection goes while an asynchronous store answers', async () => {
      const inner = new MemorySessionStore();
      let gate = deferred<void>();
      let takes = 0;
      const store: SessionStore = {
        save: (record, ttl) => inner.save(record, ttl),
        take: async (id, accept) => {
          takes++;
          await gate.promise;
          return inner.take(id, accept);
        },
      };
      const name = uniqueName('async-store');
      const options = { heartbeatInterval: Infinity, sessionStore: store };
      const first = new SocketServer(new MemorySocketServer({ name }), options);
      const url = (await first.listen()).url ?? '';
      const { welcome } = await rawWelcome(url);
      const id = String(welcome.id);
      await first.shutdown();
      const second = new SocketServer(new MemorySocketServer({ name }), options);
      await second.listen();
      try {
        const quitter = await new RawClient().open(url, {
          query: resumeQuery(welcome.session, 0),
        });
        await flush();
        expect(takes).to.equal(1);
        await quitter.socket.disconnect();
        await flush();
        gate.resolve();
        await flush();
        await flush();
        expect(quitter.ofKind('welcome')).to.deep.equal([]);
        expect(second.sendToClient(id, { type: 'm', payload: 'waiting' }), 'parked again').to.equal(
          true,
        );
        gate = deferred<void>();
        gate.resolve();
        const again = await rawWelcome(url, resumeQuery(welcome.session, 0));
        expect(again.welcome).to.include({ id, resumed: true, received: 0 });
        expect(again.raw.ofKind('msg').map((m) => m.payload)).to.deep.equal(['waiting']);
      } finally {
        await second.shutdown();
      }
    });

    it('with the default store a restart loses the sessions: resumed false, expired', async () => {
      const r = await handoff(false);
      try {
        expect(r.openOutcomes).to.deep.equal([{ resumed: false, reason: 'expired' }]);
        expect(r.parkedOutcomes).to.deep.equal([{ resumed: false, reason: 'expired' }]);
        expect(r.open.id).to.not.equal(r.openId);
        expect(r.parked.id).to.not.equal(r.parkedId);
        expect(r.parkedGot, 'nothing replayed').to.deep.equal([]);
        expect(r.second.clientCount).to.equal(2);
        expect(r.second.getClient(r.openId)).to.equal(undefined);
      } finally {
        await r.second.shutdown();
      }
    });
  });

  // ------------------------------------------------------------------ 11. volatile

  describe('volatile messages', () => {
    it('are not logged for a parked session and do not shift the counts', async () => {
      const { server, url } = await startQuiet();
      const client = await connectClient(url, QUICK);
      const id = client.id ?? '';
      await client.join('room');
      const received = payloadsOf(client);
      dropConnection(server, id);
      expect(server.volatile.emit('v', 'volatile-all')).to.equal(0);
      expect(server.volatile.to('room').emit('v', 'volatile-room')).to.equal(0);
      expect(server.broadcast({ type: 'v', payload: 'volatile-bc' }, { volatile: true })).to.equal(
        0,
      );
      expect(
        server.sendToClient(id, { type: 'v', payload: 'volatile-one' }, { volatile: true }),
      ).to.equal(false);
      server.sendToClient(id, { type: 'm', payload: 'kept' });
      await settle(t.clock);
      expect(client.id).to.equal(id);
      expect(received).to.deep.equal(['kept']);
      server.sendToClient(id, { type: 'm', payload: 'next' });
      await settle(t.clock, 200);
      expect(received).to.deep.equal(['kept', 'next']);
    });

    it('sent while connected are counted like any frame: a resume after them loses and doubles nothing', async () => {
      const { server, url } = await startQuiet();
      const client = await connectClient(url, QUICK);
      const id = client.id ?? '';
      const received = payloadsOf(client);
      server.volatile.emit('v', 'v1');
      server.sendToClient(id, { type: 'm', payload: 'm1' });
      await flush();
      expect(received).to.deep.equal(['v1', 'm1']);
      dropConnection(server, id);
      server.sendToClient(id, { type: 'm', payload: 'm2' });
      await settle(t.clock);
      expect(client.id).to.equal(id);
      expect(received).to.deep.equal(['v1', 'm1', 'm2']);
    });
  });
});
