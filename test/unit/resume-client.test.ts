// Session resume as the client sees it, over the memory transport on a fake clock: what state$ and
// onReconnected say, what survives a resumable drop (requests in flight both ways, frames sent or
// held back at the cut, each delivered once), what a failed resume does (new id, topics joined
// again, old requests failed, queued ones sent), the client's `got` cadence, and when the client
// does not ask to resume at all.
import { expect } from 'chai';
import sinon from 'sinon';
import type { MemorySocket } from '../../adapters/memory/index.js';
import type { ClientStateChange, ResumeOutcome, ServerConnection } from '../../src/index.js';
import {
  connectClient,
  deferred,
  dropConnection,
  fakeClockEachTest,
  flush,
  newClient,
  rejectionOf,
  startServer,
  expectCode,
} from './support.js';

const RESUME_PARAM = 'plugsocket-resume';
const RECEIVED_PARAM = 'plugsocket-received';
/** Clients come back 0–9 ms after a drop. */
const FAST = { reconnect: { minDelay: 10, maxDelay: 10 } } as const;

/** Every frame a client handed its transport, decoded (the default JSON codec). */
function sentFrames(spy: sinon.SinonSpy): Record<string, unknown>[] {
  return spy.args.map(([frame]) => JSON.parse(String(frame as string)) as Record<string, unknown>);
}

type Settled<T> = 'pending' | { value: T } | { error: unknown };

/** Watches a promise from now on (so a rejection is handled at once); read its state any time. */
function track<T>(promise: Promise<T>): () => Settled<T> {
  let state: Settled<T> = 'pending';
  promise.then(
    (value) => (state = { value }),
    (error: unknown) => (state = { error }),
  );
  return () => state;
}

describe('session resume: client', () => {
  const t = fakeClockEachTest();

  /** Lets a drop be noticed, the reconnect delay pass and the new connection settle. */
  async function settle(ms = 20): Promise<void> {
    await flush();
    await t.clock.tickAsync(ms);
    for (let i = 0; i < 3; i++) await flush();
  }

  /** A server with heartbeats off that records each handshake's query. */
  async function resumeServer(options: Parameters<typeof startServer>[0] = {}) {
    const fixture = await startServer({ heartbeatInterval: Infinity, ...options });
    const queries: Record<string, string>[] = [];
    fixture.server.useConnection((ctx, next) => {
      queries.push({ ...ctx.handshake.query });
      return next();
    });
    return { ...fixture, queries };
  }

  describe('signals', () => {
    it('state$ says initial on the first open, then reconnecting, then open resumed; a late subscriber gets the latest', async () => {
      const { server, url } = await resumeServer();
      const client = newClient(url, FAST);
      const changes: ClientStateChange[] = [];
      client.state$.subscribe((change) => changes.push(change));
      await client.connect();
      const id = client.id!;
      expect(changes.at(-1)).to.deep.equal({ state: 'open', resumed: false, reason: 'initial' });
      dropConnection(server, id);
      await flush();
      expect(changes.at(-1)).to.deep.equal({ state: 'reconnecting' });
      await settle();
      expect(client.state).to.equal('open');
      expect(client.id, 'same session, same id').to.equal(id);
      const opens = changes.filter((c) => c.state === 'open' || c.state === 'reconnecting');
      expect(opens).to.deep.equal([
        { state: 'open', resumed: false, reason: 'initial' },
        { state: 'reconnecting' },
        { state: 'open', resumed: true },
      ]);
      const late: ClientStateChange[] = [];
      client.state$.subscribe((change) => late.push(change));
      expect(late).to.deep.equal([{ state: 'open', resumed: true }]);
      expect(client.getConnectionInfo().session).to.deep.equal({ resumed: true });
    });

    it('onReconnected gets { resumed: true }; the client asked with its token and count; the server calls onConnection again with resumed', async () => {
      const { server, url, queries } = await resumeServer();
      const seen: { id: string; resumed: boolean }[] = [];
      server.onConnection((c) => seen.push({ id: c.id, resumed: c.resumed }));
      const client = await connectClient(url, FAST);
      const outcomes: ResumeOutcome[] = [];
      client.onReconnected((outcome) => outcomes.push(outcome));
      server.sendToClient(client.id!, { type: 'hello', payload: 1 });
      server.sendToClient(client.id!, { type: 'hello', payload: 2 });
      await flush();
      dropConnection(server, client.id!);
      await settle();
      expect(outcomes).to.deep.equal([{ resumed: true }]);
      expect(queries).to.have.length(2);
      // The first connect asks for a new resumable session, with no count.
      expect(queries[0][RESUME_PARAM]).to.equal('new');
      expect(queries[0]).to.not.have.property(RECEIVED_PARAM);
      expect(queries[1][RESUME_PARAM]).to.match(new RegExp(`^${client.id!}\\.`));
      expect(queries[1][RECEIVED_PARAM]).to.equal('2');
      expect(seen).to.deep.equal([
        { id: client.id!, resumed: false },
        { id: client.id!, resumed: true },
      ]);
      expect(server.getClient(client.id!)?.resumed).to.equal(true);
    });

    it('delivers what the server sent while the connection was down, once, in order, after the resume', async () => {
      const { server, url } = await resumeServer();
      const client = await connectClient(url, FAST);
      await client.join('room');
      const got: unknown[] = [];
      client.events.on('n', (payload: unknown) => got.push(payload));
      server.to('room').emit('n', 1);
      await flush();
      dropConnection(server, client.id!);
      await flush();
      server.to('room').emit('n', 2);
      server.sendToClient(client.id!, { type: 'n', payload: 3 });
      await flush();
      expect(got).to.deep.equal([1]);
      await settle();
      expect(got).to.deep.equal([1, 2, 3]);
      server.to('room').emit('n', 4);
      await flush();
      expect(got).to.deep.equal([1, 2, 3, 4]);
    });

    it('counts what the server sends as it admits the client: a resume does not deliver it again', async () => {
      const { server, url } = await resumeServer();
      server.onConnection((c) => {
        if (!c.resumed) server.sendToClient(c.id, { type: 'hi', payload: c.id });
        else server.sendToClient(c.id, { type: 'back', payload: c.id });
      });
      const client = newClient(url, FAST);
      const got: string[] = [];
      client.events.on('hi', () => got.push('hi'));
      client.events.on('back', () => got.push('back'));
      await client.connect();
      await flush();
      expect(got).to.deep.equal(['hi']);
      for (let round = 0; round < 3; round++) {
        dropConnection(server, client.id!);
        await settle();
        expect(client.getConnectionInfo().session).to.deep.equal({ resumed: true });
      }
      expect(got).to.deep.equal(['hi', 'back', 'back', 'back']);
    });

    it('a new session after a failed resume counts from its welcome: the next resume replays nothing twice', async () => {
      const { server, url } = await resumeServer({ resumeWindow: 100 });
      server.onConnection((c) => {
        if (!c.resumed) server.sendToClient(c.id, { type: 'hi', payload: c.id });
      });
      const random = sinon.stub(Math, 'random').returns(0.999);
      const client = newClient(url, { reconnect: { minDelay: 1000, maxDelay: 1000 } });
      const got: unknown[] = [];
      client.events.on('hi', (id: unknown) => got.push(id));
      await client.connect();
      await flush();
      expect(got).to.deep.equal([client.id]);
      dropConnection(server, client.id!);
      await settle(1000);
      expect(client.getConnectionInfo().session).to.deep.equal({
        resumed: false,
        reason: 'expired',
      });
      const second = client.id!;
      expect(got).to.have.length(2);
      expect(got[1]).to.equal(second);
      // Back within the window this time (after 10 ms).
      random.returns(0.01);
      dropConnection(server, second);
      await settle(50);
      expect(client.getConnectionInfo().session).to.deep.equal({ resumed: true });
      expect(client.id).to.equal(second);
      expect(got, "the new session's first message is not replayed").to.have.length(2);
    });

    it('answers a request the server makes as it admits the client: first connect, new session after a failed resume, resumed session', async () => {
      const { server, url } = await resumeServer({ resumeWindow: 100 });
      const answers: unknown[] = [];
      server.onConnection((c) => {
        server.request(c.id, 'q', c.resumed ? 'resumed' : 'new', { timeout: 500 }).then(
          (answer) => answers.push(answer),
          (error: unknown) => answers.push((error as { code?: string }).code),
        );
      });
      const random = sinon.stub(Math, 'random').returns(0.999);
      const client = newClient(url, { reconnect: { minDelay: 1000, maxDelay: 1000 } });
      client.handle('q', (payload: unknown) => `answer to ${String(payload)}`);
      const phases: Record<string, unknown[]> = {};
      await client.connect();
      await flush();
      phases.initial = answers.splice(0);
      dropConnection(server, client.id!);
      await settle(1000);
      expect(client.getConnectionInfo().session).to.deep.equal({
        resumed: false,
        reason: 'expired',
      });
      await t.clock.tickAsync(600);
      phases.expired = answers.splice(0);
      random.returns(0.01);
      dropConnection(server, client.id!);
      await settle();
      expect(client.getConnectionInfo().session).to.deep.equal({ resumed: true });
      await t.clock.tickAsync(600);
      phases.resumed = answers.splice(0);
      // Each phase: the answer to its own request (the first connect's one is answered at once,
      // before the drop; nothing of it is left for the later phases).
      expect(phases).to.deep.equal({
        initial: ['answer to new'],
        expired: ['answer to new'],
        resumed: ['answer to resumed'],
      });
    });

    it('survives repeated drops with traffic both ways: everything arrives once, in order, on each side', async () => {
      const { server, url } = await resumeServer();
      const atServer: number[] = [];
      server.onEvent('up', (payload: unknown) => atServer.push(payload as number));
      const client = await connectClient(url, FAST);
      await client.join('room');
      const atClient: number[] = [];
      client.events.on('down', (payload: unknown) => atClient.push(payload as number));
      let up = 0;
      let down = 0;
      for (let round = 0; round < 5; round++) {
        for (let i = 0; i < 23; i++) client.emit('up', ++up);
        for (let i = 0; i < 19; i++) server.to('room').emit('down', ++down);
        if (round % 2 === 0) await flush();
        dropConnection(server, client.id!);
        client.emit('up', ++up);
        server.to('room').emit('down', ++down);
        await settle();
        expect(client.getConnectionInfo().session, `round ${round}`).to.deep.equal({
          resumed: true,
        });
      }
      await flush();
      expect(atServer).to.deep.equal(Array.from({ length: up }, (_, i) => i + 1));
      expect(atClient).to.deep.equal(Array.from({ length: down }, (_, i) => i + 1));
    });
  });

  describe('a resume that cannot be', () => {
    it('expired: a new id, topics joined again, old requests fail NOT_CONNECTED, a request queued while reconnecting succeeds', async () => {
      const { server, url } = await resumeServer({ resumeWindow: 100 });
      server.handle('slow', () => new Promise(() => undefined));
      server.handle('echo', (payload: unknown) => payload);
      // Comes back after 999 ms: long past the server's 100 ms window.
      sinon.stub(Math, 'random').returns(0.999);
      const client = await connectClient(url, { reconnect: { minDelay: 1000, maxDelay: 1000 } });
      await client.join('room');
      const oldId = client.id!;
      const outcomes: ResumeOutcome[] = [];
      client.onReconnected((outcome) => outcomes.push(outcome));
      const inFlight = client.request('slow', null);
      const inFlightState = track(inFlight);
      await flush();
      dropConnection(server, oldId);
      await flush();
      expect(client.state).to.equal('reconnecting');
      expect(inFlightState(), 'a resumable drop keeps it waiting').to.equal('pending');
      const queued = client.request('echo', 'queued');
      await settle(1000);
      expect(client.state).to.equal('open');
      expect(outcomes).to.deep.equal([{ resumed: false, reason: 'expired' }]);
      expect(client.getConnectionInfo().session).to.deep.equal({
        resumed: false,
        reason: 'expired',
      });
      expect(client.id).to.be.a('string').and.not.equal(oldId);
      expect(server.getClient(oldId)).to.equal(undefined);
      expect([...(server.getClient(client.id!)?.topics ?? [])]).to.deep.equal(['room']);
      expectCode(await rejectionOf(inFlight), 'NOT_CONNECTED');
      expect(await queued).to.equal('queued');
    });

    it('overflow: the server dropped frames the client had not received', async () => {
      const { server, url } = await resumeServer({ resumeLog: { maxMessages: 3 } });
      const client = await connectClient(url, FAST);
      await client.join('room');
      const oldId = client.id!;
      const outcomes: ResumeOutcome[] = [];
      client.onReconnected((outcome) => outcomes.push(outcome));
      const got: unknown[] = [];
      client.events.on('n', (payload: unknown) => got.push(payload));
      dropConnection(server, oldId);
      await flush();
      for (let i = 1; i <= 5; i++) server.to('room').emit('n', i);
      await settle();
      expect(outcomes).to.deep.equal([{ resumed: false, reason: 'overflow' }]);
      expect(client.id).to.not.equal(oldId);
      expect(got, 'a partial replay would hide the gap').to.deep.equal([]);
      expect([...(server.getClient(client.id!)?.topics ?? [])]).to.deep.equal(['room']);
    });

    it('overflow does not happen while the log holds what the client missed', async () => {
      const { server, url } = await resumeServer({ resumeLog: { maxMessages: 3 } });
      const client = await connectClient(url, FAST);
      await client.join('room');
      const outcomes: ResumeOutcome[] = [];
      client.onReconnected((outcome) => outcomes.push(outcome));
      const got: unknown[] = [];
      client.events.on('n', (payload: unknown) => got.push(payload));
      dropConnection(server, client.id!);
      await flush();
      for (let i = 1; i <= 3; i++) server.to('room').emit('n', i);
      await settle();
      expect(outcomes).to.deep.equal([{ resumed: true }]);
      expect(got).to.deep.equal([1, 2, 3]);
    });

    it('disabled: a server with resumeWindow 0 gives no token; the reconnect is a new session', async () => {
      const { server, url, queries } = await resumeServer({ resumeWindow: 0 });
      const client = newClient(url, FAST);
      const changes: ClientStateChange[] = [];
      client.state$.subscribe((change) => changes.push(change));
      await client.connect();
      expect(changes.at(-1)).to.deep.equal({ state: 'open', resumed: false, reason: 'initial' });
      const oldId = client.id!;
      const outcomes: ResumeOutcome[] = [];
      client.onReconnected((outcome) => outcomes.push(outcome));
      dropConnection(server, oldId);
      await settle();
      expect(outcomes).to.deep.equal([{ resumed: false, reason: 'disabled' }]);
      expect(changes.at(-1)).to.deep.equal({ state: 'open', resumed: false, reason: 'disabled' });
      expect(client.id).to.not.equal(oldId);
      // Neither connect presents a token: each asks for a new session at most.
      expect(queries.map((q) => q[RESUME_PARAM] ?? 'none')).to.have.length(2);
      expect(queries.map((q) => q[RESUME_PARAM] ?? 'new')).to.deep.equal(['new', 'new']);
    });

    it('resume: false never asks, and every reconnect is a new session', async () => {
      const { server, url, queries } = await resumeServer();
      const client = await connectClient(url, { ...FAST, resume: false });
      expect(client.getConnectionInfo().session).to.deep.equal({
        resumed: false,
        reason: 'initial',
      });
      const outcomes: ResumeOutcome[] = [];
      client.onReconnected((outcome) => outcomes.push(outcome));
      for (let round = 0; round < 2; round++) {
        const oldId = client.id!;
        dropConnection(server, oldId);
        await settle();
        expect(client.state).to.equal('open');
        expect(client.id).to.not.equal(oldId);
      }
      expect(outcomes).to.deep.equal([
        { resumed: false, reason: 'disabled' },
        { resumed: false, reason: 'disabled' },
      ]);
      expect(queries).to.have.length(3);
      for (const query of queries) {
        expect(query).to.not.have.property(RESUME_PARAM);
        expect(query).to.not.have.property(RECEIVED_PARAM);
      }
    });

    it('resume must be a boolean', () => {
      expect(() => newClient('memory://x', { resume: 'yes' as never })).to.throw(
        TypeError,
        /resume/,
      );
      expect(() => newClient('memory://x', { resume: 1 as never })).to.throw(TypeError);
      expect(() => newClient('memory://x', { resume: true })).to.not.throw();
    });

    it('a transport that cannot carry a handshake query: the client does not ask, and gets a new session', async () => {
      const { server, url, queries } = await resumeServer();
      const client = newClient(url, FAST);
      const socket = client.adapter as MemorySocket;
      sinon.replace(socket, 'supports', { ...socket.supports, handshakeQuery: false });
      await client.connect();
      const oldId = client.id!;
      const outcomes: ResumeOutcome[] = [];
      client.onReconnected((outcome) => outcomes.push(outcome));
      dropConnection(server, oldId);
      await settle();
      expect(client.state).to.equal('open');
      // Neither connect presents a token: each asks for a new session at most.
      expect(queries.map((q) => q[RESUME_PARAM] ?? 'none')).to.have.length(2);
      expect(queries.map((q) => q[RESUME_PARAM] ?? 'new')).to.deep.equal(['new', 'new']);
      expect(client.id).to.not.equal(oldId);
      expect(outcomes).to.have.length(1);
      expect(outcomes[0].resumed).to.equal(false);
    });
  });

  describe('what survives a resumable drop', () => {
    it('a request in flight is answered once, with the value its handler produced while the client was away', async () => {
      const { server, url } = await resumeServer();
      const answer = deferred<number>();
      let runs = 0;
      server.handle('slow', () => {
        runs++;
        return answer.promise;
      });
      const client = await connectClient(url, FAST);
      const pending = client.request('slow', null);
      const state = track(pending);
      await flush();
      expect(runs).to.equal(1);
      dropConnection(server, client.id!);
      await flush();
      answer.resolve(42);
      await flush();
      expect(state()).to.equal('pending');
      await settle();
      expect(state()).to.deep.equal({ value: 42 });
      expect(runs, 'not sent again to the handler').to.equal(1);
    });

    it('a request whose handler answers after the resume resolves too, once', async () => {
      const { server, url } = await resumeServer();
      const answer = deferred<string>();
      let runs = 0;
      server.handle('slow', () => {
        runs++;
        return answer.promise;
      });
      const client = await connectClient(url, FAST);
      const pending = client.request('slow', null);
      await flush();
      dropConnection(server, client.id!);
      await settle();
      expect(client.getConnectionInfo().session).to.deep.equal({ resumed: true });
      answer.resolve('late');
      expect(await pending).to.equal('late');
      expect(runs).to.equal(1);
    });

    it('a request timeout still runs while the connection is down, and the server is told to stop on resume', async () => {
      const { server, url } = await resumeServer();
      let signal: AbortSignal | undefined;
      server.handle('slow', (_payload, ctx) => {
        signal = ctx.signal;
        return new Promise(() => undefined);
      });
      // Back after 999 ms; the request gives up after 50.
      sinon.stub(Math, 'random').returns(0.999);
      const client = await connectClient(url, { reconnect: { minDelay: 1000, maxDelay: 1000 } });
      const state = track(client.request('slow', null, { timeout: 50 }));
      await flush();
      expect(signal?.aborted).to.equal(false);
      dropConnection(server, client.id!);
      await flush();
      await t.clock.tickAsync(60);
      const early = state();
      expect(early, 'timed out while reconnecting').to.not.equal('pending');
      expectCode((early as { error: unknown }).error, 'TIMEOUT');
      expect(signal?.aborted, 'nobody told the server yet').to.equal(false);
      await settle(1000);
      expect(client.getConnectionInfo().session).to.deep.equal({ resumed: true });
      expect(signal?.aborted, 'the cancel went out on resume').to.equal(true);
    });

    it('the client answers a server request whose answer it produced while the connection was down', async () => {
      const { server, url } = await resumeServer();
      const client = await connectClient(url, FAST);
      const answer = deferred<string>();
      let runs = 0;
      client.handle('q', () => {
        runs++;
        return answer.promise;
      });
      const state = track(server.request(client.id!, 'q', 1));
      await flush();
      expect(runs).to.equal(1);
      dropConnection(server, client.id!);
      await flush();
      answer.resolve('A');
      await flush();
      expect(state()).to.equal('pending');
      await settle();
      expect(state()).to.deep.equal({ value: 'A' });
      expect(runs).to.equal(1);
    });

    it('messages emitted right before the drop reach the server exactly once, in order', async () => {
      const { server, url } = await resumeServer();
      const got: unknown[] = [];
      server.onEvent('n', (payload: unknown) => got.push(payload));
      const client = await connectClient(url, FAST);
      // Past one `got` (32) so the client has trimmed what it kept, and some left unacknowledged.
      for (let i = 1; i <= 40; i++) client.emit('n', i);
      await flush();
      expect(got).to.have.length(40);
      client.emit('n', 41);
      client.emit('n', 42);
      dropConnection(server, client.id!);
      client.emit('n', 43);
      await settle();
      expect(client.getConnectionInfo().session).to.deep.equal({ resumed: true });
      client.emit('n', 44);
      await flush();
      expect(got).to.deep.equal(Array.from({ length: 44 }, (_, i) => i + 1));
    });

    it('frames held by maxRate at the cut go out after the resume, exactly once, in order', async () => {
      const { server, url } = await resumeServer();
      const got: unknown[] = [];
      server.onEvent('n', (payload: unknown) => got.push(payload));
      const client = await connectClient(url, { ...FAST, maxRate: 2 });
      for (let i = 1; i <= 6; i++) client.emit('n', i);
      await flush();
      // A burst of one second's worth (2) went; the rest wait for tokens.
      expect(got).to.deep.equal([1, 2]);
      expect(client.getMetrics().queued).to.equal(4);
      dropConnection(server, client.id!);
      await settle();
      expect(client.getConnectionInfo().session).to.deep.equal({ resumed: true });
      await t.clock.tickAsync(5000);
      await flush();
      expect(got).to.deep.equal([1, 2, 3, 4, 5, 6]);
      client.emit('n', 7);
      await t.clock.tickAsync(1000);
      await flush();
      expect(got).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
    });
  });

  describe('acknowledgements', () => {
    it('the client sends got every 32 server stream frames, and does not count pings', async () => {
      const { server, url } = await resumeServer();
      const client = await connectClient(url, FAST);
      const send = sinon.spy(client.adapter, 'send');
      const gots = (): unknown[] => sentFrames(send).filter((f) => f.k === 'got');
      const connection = (
        server.getClient(client.id!) as unknown as { connection: ServerConnection<MemorySocket> }
      ).connection;
      // Protocol pings are not stream frames: answered, never counted.
      for (let i = 0; i < 40; i++) connection.send(JSON.stringify({ k: 'ping' }));
      await flush();
      expect(sentFrames(send).filter((f) => f.k === 'pong')).to.have.length(40);
      expect(gots()).to.deep.equal([]);
      for (let i = 0; i < 31; i++) server.sendToClient(client.id!, { type: 'n', payload: i });
      await flush();
      expect(gots()).to.deep.equal([]);
      server.sendToClient(client.id!, { type: 'n', payload: 31 });
      await flush();
      expect(gots()).to.deep.equal([{ k: 'got', n: 32 }]);
      for (let i = 0; i < 32; i++) server.sendToClient(client.id!, { type: 'n', payload: i });
      await flush();
      expect(gots()).to.deep.equal([
        { k: 'got', n: 32 },
        { k: 'got', n: 64 },
      ]);
    });

    it('the server acknowledges what the client sent, so the client stops keeping it', async () => {
      const { url } = await resumeServer();
      const client = await connectClient(url, FAST);
      for (let i = 0; i < 31; i++) client.emit('n', i);
      await flush();
      expect(client.getConnectionInfo().unacknowledged).to.equal(31);
      client.emit('n', 31);
      await flush();
      expect(client.getConnectionInfo().unacknowledged).to.equal(0);
      client.emit('n', 32);
      expect(client.getConnectionInfo().unacknowledged).to.equal(1);
    });
  });

  describe('when the session ends', () => {
    it('a deliberate server close that the client reconnects after fails pending requests at once, and the reconnect says expired', async () => {
      const { server, url } = await resumeServer();
      server.handle('slow', () => new Promise(() => undefined));
      // Back after 999 ms, so "at once" is visibly before the reconnect.
      sinon.stub(Math, 'random').returns(0.999);
      const client = await connectClient(url, { reconnect: { minDelay: 1000, maxDelay: 1000 } });
      const outcomes: ResumeOutcome[] = [];
      client.onReconnected((outcome) => outcomes.push(outcome));
      const state = track(client.request('slow', null));
      await flush();
      const oldId = client.id!;
      // 4429 (rate limited) is a close the server meant, after which a client comes back later.
      await server.disconnect(oldId, 4429, 'slow down');
      await flush();
      expect(client.state).to.equal('reconnecting');
      const early = state();
      expect(early, 'failed before the reconnect').to.not.equal('pending');
      expectCode((early as { error: unknown }).error, 'NOT_CONNECTED');
      await settle(1000);
      expect(client.state).to.equal('open');
      expect(outcomes).to.deep.equal([{ resumed: false, reason: 'expired' }]);
      expect(client.id).to.not.equal(oldId);
    });

    it('connect() while reconnecting resumes the session too', async () => {
      const { server, url } = await resumeServer();
      const client = await connectClient(url, { reconnect: { minDelay: 60_000 } });
      const id = client.id!;
      const got: unknown[] = [];
      client.events.on('n', (payload: unknown) => got.push(payload));
      dropConnection(server, id);
      await flush();
      expect(client.state).to.equal('reconnecting');
      server.sendToClient(id, { type: 'n', payload: 1 });
      await client.connect();
      await flush();
      expect(client.id).to.equal(id);
      expect(client.getConnectionInfo().session).to.deep.equal({ resumed: true });
      expect(got).to.deep.equal([1]);
    });

    it('disconnect() then connect() starts afresh: initial, a new id, no resume asked', async () => {
      const { url, queries } = await resumeServer();
      const client = newClient(url, FAST);
      await client.connect();
      const oldId = client.id!;
      await client.disconnect();
      const changes: ClientStateChange[] = [];
      const reconnected: ResumeOutcome[] = [];
      client.onReconnected((outcome) => reconnected.push(outcome));
      const connecting = client.connect();
      client.state$.subscribe((change) => changes.push(change));
      await connecting;
      expect(changes.at(-1)).to.deep.equal({ state: 'open', resumed: false, reason: 'initial' });
      expect(client.getConnectionInfo().session).to.deep.equal({
        resumed: false,
        reason: 'initial',
      });
      expect(client.id).to.not.equal(oldId);
      expect(reconnected, 'a connect() is not a reconnect').to.deep.equal([]);
      // Neither connect presents a token: each asks for a new session at most.
      expect(queries.map((q) => q[RESUME_PARAM] ?? 'none')).to.have.length(2);
      expect(queries.map((q) => q[RESUME_PARAM] ?? 'new')).to.deep.equal(['new', 'new']);
    });
  });
});
