// The data structures behind session resume, unit by unit: the server's per-session ResumeLog
// (positions, limits, acknowledgement, replay, compaction), the client's ClientResume (got
// cadence, what it keeps, what each welcome means), the MemorySessionStore (atomic take, expiry,
// timers that do not hold the process) — and, end to end, that a server holding many parked
// sessions keeps each one's log within its limit and frees them all when the window ends.
import { expect } from 'chai';
import sinon from 'sinon';
import { MemorySessionStore, type SessionRecord, type SocketClient } from '../../src/index.js';
import type { AnyFrame } from '../../src/ports/types.js';
import type { WelcomeEnvelope } from '../../src/protocol/envelope.js';
import { ClientResume } from '../../src/client/resume.js';
import { ResumeLog, logSize } from '../../src/server/resume-log.js';
import {
  connectClient,
  dropConnection,
  fakeClockEachTest,
  flush,
  newClient,
  startServer,
  useFakeClock,
} from './support.js';

const NO_LIMIT = { maxMessages: Infinity, maxBytes: Infinity };

/** A log with frames 'f0', 'f1', … pushed, each of size 1 unless told. */
function logOf(count: number, limits = NO_LIMIT): ResumeLog {
  const log = new ResumeLog('secret', limits);
  for (let i = 0; i < count; i++) log.push(`f${i}`, 1);
  return log;
}

/** 'f{from}' … 'f{to - 1}'. */
function frames(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, i) => `f${from + i}`);
}

function welcome(fields: Partial<WelcomeEnvelope> = {}): WelcomeEnvelope {
  return { k: 'welcome', v: 1, id: 'c1', ...fields };
}

/** Accepts any record (the token checks are the server's). */
const ALL = (): boolean => true;

function record(id: string, expiresAt: number): SessionRecord {
  return {
    id,
    secret: 's',
    principal: undefined,
    principalKey: undefined,
    topics: [],
    data: [],
    received: 0,
    logStart: 0,
    log: [],
    expiresAt,
  };
}

describe('ResumeLog', () => {
  it('gives each pushed frame the next position and counts frames and bytes', () => {
    const log = new ResumeLog('secret', NO_LIMIT);
    expect(log.from(0), 'nothing sent: nothing to replay').to.deep.equal([]);
    expect(log.kept()).to.deep.equal([]);
    log.push('a', 3);
    log.push('bb', 5);
    log.push('ccc', 7);
    expect(log.sent).to.equal(3);
    expect(log.start).to.equal(0);
    expect(log.length).to.equal(3);
    expect(log.bytes).to.equal(15);
    expect(log.kept()).to.deep.equal(['a', 'bb', 'ccc']);
    expect(log.from(0)).to.deep.equal(['a', 'bb', 'ccc']);
    expect(log.from(2)).to.deep.equal(['ccc']);
    expect(log.from(3), 'the client has everything').to.deep.equal([]);
  });

  it('from(n) is undefined beyond what was sent, and once what n needs was dropped', () => {
    const log = logOf(5, { maxMessages: 3, maxBytes: Infinity });
    expect(log.start).to.equal(2);
    expect(log.sent).to.equal(5);
    expect(log.length).to.equal(3);
    expect(log.from(6), 'a client claiming more than was sent').to.equal(undefined);
    expect(log.from(1), 'frame 1 is gone: overflow').to.equal(undefined);
    expect(log.from(0)).to.equal(undefined);
    expect(log.from(2)).to.deep.equal(frames(2, 5));
    expect(log.from(5)).to.deep.equal([]);
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => log.has(n))).to.deep.equal([
      false,
      false,
      true,
      true,
      true,
      true,
      false,
    ]);
  });

  it('evicts the oldest past maxMessages, one for one', () => {
    const log = new ResumeLog('secret', { maxMessages: 3, maxBytes: Infinity });
    for (let i = 0; i < 10; i++) {
      log.push(`f${i}`, 10);
      expect(log.length).to.equal(Math.min(i + 1, 3));
      expect(log.bytes).to.equal(10 * Math.min(i + 1, 3));
    }
    expect(log.kept()).to.deep.equal(frames(7, 10));
    expect(log.start).to.equal(7);
  });

  it('evicts the oldest past maxBytes, and a single frame larger than the limit empties the log', () => {
    const log = new ResumeLog('secret', { maxMessages: 100, maxBytes: 10 });
    log.push('a', 4);
    log.push('b', 4);
    expect(log.bytes).to.equal(8);
    log.push('c', 4);
    expect(log.kept()).to.deep.equal(['b', 'c']);
    expect(log.bytes).to.equal(8);
    expect(log.start).to.equal(1);
    log.push('d', 2);
    expect(log.kept(), 'exactly at the limit is within it').to.deep.equal(['b', 'c', 'd']);
    expect(log.bytes).to.equal(10);
    log.push('huge', 11);
    expect(log.length).to.equal(0);
    expect(log.bytes).to.equal(0);
    expect(log.sent).to.equal(5);
    expect(log.start).to.equal(5);
    expect(log.from(4), 'the client missed the huge frame: overflow').to.equal(undefined);
    expect(log.from(5)).to.deep.equal([]);
    log.push('e', 1);
    expect(log.from(5)).to.deep.equal(['e']);
  });

  it('acknowledge(n) drops the frames before n; false (and nothing dropped) beyond what was sent', () => {
    const log = logOf(6);
    expect(log.acknowledge(2)).to.equal(true);
    expect(log.kept()).to.deep.equal(frames(2, 6));
    expect(log.bytes).to.equal(4);
    expect(log.acknowledge(1), 'an older acknowledgement changes nothing').to.equal(true);
    expect(log.kept()).to.deep.equal(frames(2, 6));
    expect(log.acknowledge(7)).to.equal(false);
    expect(log.kept()).to.deep.equal(frames(2, 6));
    expect(log.acknowledge(6)).to.equal(true);
    expect(log.length).to.equal(0);
    expect(log.bytes).to.equal(0);
    expect(log.from(6)).to.deep.equal([]);
    expect(log.from(5)).to.equal(undefined);
    log.push('f6', 1);
    expect(log.from(6)).to.deep.equal(['f6']);
  });

  it('keeps positions right through compaction: 10,000 frames with acknowledgements in between', () => {
    const log = new ResumeLog('secret', { maxMessages: 1000, maxBytes: Infinity });
    let acked = 0;
    for (let i = 0; i < 10_000; i++) {
      log.push(`f${i}`, 2);
      // Acknowledge in uneven steps, sometimes lagging far behind (the limit evicts then).
      if (i % 97 === 0) {
        acked = Math.max(acked, i - (i % 3 === 0 ? 1500 : 40));
        expect(log.acknowledge(acked)).to.equal(true);
      }
      if (i % 1009 === 0 || i === 9999) {
        const sent = i + 1;
        const start = Math.max(acked, sent - 1000);
        expect(log.start, `start after ${sent}`).to.equal(start);
        expect(log.length).to.equal(sent - start);
        expect(log.bytes).to.equal(2 * (sent - start));
        expect(log.kept()).to.deep.equal(frames(start, sent));
        expect(log.from(start)).to.deep.equal(frames(start, sent));
        const mid = start + Math.floor((sent - start) / 2);
        expect(log.from(mid)).to.deep.equal(frames(mid, sent));
        if (start > 0) expect(log.from(start - 1)).to.equal(undefined);
        expect(log.from(sent + 1)).to.equal(undefined);
      }
    }
    expect(log.sent).to.equal(10_000);
  });

  it('keeps positions right when every frame is acknowledged as it goes, and when limits evict one by one', () => {
    const acked = new ResumeLog('secret', NO_LIMIT);
    const evicting = new ResumeLog('secret', { maxMessages: 100, maxBytes: Infinity });
    for (let i = 0; i < 10_000; i++) {
      acked.push(`f${i}`, 1);
      evicting.push(`f${i}`, 1);
      if (i % 2 === 1) acked.acknowledge(i);
    }
    expect(acked.kept()).to.deep.equal(['f9999']);
    expect(acked.from(9999)).to.deep.equal(['f9999']);
    expect(evicting.kept()).to.deep.equal(frames(9900, 10_000));
    expect(evicting.from(9950)).to.deep.equal(frames(9950, 10_000));
    expect(evicting.bytes).to.equal(100);
  });

  it('restore() refills from a record: positions from start, counts, and the limits apply', () => {
    const log = new ResumeLog('secret', { maxMessages: 3, maxBytes: Infinity });
    log.restore(40, ['a', 'b', 'c', 'd'], 17);
    expect(log.received).to.equal(17);
    expect(log.gotSent).to.equal(17);
    expect(log.sent).to.equal(44);
    expect(log.start).to.equal(41);
    expect(log.kept()).to.deep.equal(['b', 'c', 'd']);
    expect(log.bytes).to.equal(3, 'each string counted by its length');
    expect(log.from(42)).to.deep.equal(['c', 'd']);
    expect(log.from(40)).to.equal(undefined);
    log.push('e', 1);
    expect(log.from(44)).to.deep.equal(['e']);
    const empty = new ResumeLog('secret', NO_LIMIT);
    empty.restore(9, [], 3);
    expect(empty.from(9)).to.deep.equal([]);
    expect(empty.from(8)).to.equal(undefined);
  });

  it('clear() frees everything and keeps the count going', () => {
    const log = logOf(70);
    log.acknowledge(65);
    log.clear();
    expect(log.length).to.equal(0);
    expect(log.bytes).to.equal(0);
    expect(log.kept()).to.deep.equal([]);
    expect(log.sent).to.equal(70);
    expect(log.from(70)).to.deep.equal([]);
    expect(log.from(69)).to.equal(undefined);
    log.push('next', 4);
    expect(log.from(70)).to.deep.equal(['next']);
    expect(log.bytes).to.equal(4);
  });

  it('logSize counts text by its length and a binary frame by its bytes', () => {
    expect(logSize('hello', Infinity)).to.equal(5);
    expect(logSize(new Uint8Array(12), Infinity)).to.equal(12);
  });
});

describe('ClientResume', () => {
  it('took() returns the count to acknowledge every 32 frames, -1 otherwise', () => {
    const resume = new ClientResume();
    const due: number[] = [];
    for (let i = 1; i <= 100; i++) {
      const n = resume.took();
      if (n >= 0) due.push(n);
    }
    expect(due).to.deep.equal([32, 64, 96]);
    expect(resume.received).to.equal(100);
  });

  it('query() asks for a new session without one, else gives the token and what was received', () => {
    const resume = new ClientResume();
    expect(resume.query()).to.deep.equal({ 'plugsocket-resume': 'new' });
    expect(resume.active).to.equal(false);
    resume.welcomed(welcome({ session: 'c1.secret' }));
    expect(resume.active).to.equal(true);
    resume.took();
    resume.took();
    expect(resume.query()).to.deep.equal({
      'plugsocket-resume': 'c1.secret',
      'plugsocket-received': '2',
    });
  });

  it('keeps what it sent until acknowledged; an acknowledgement beyond what was sent is refused', () => {
    const resume = new ClientResume();
    resume.welcomed(welcome({ session: 't' }));
    for (let i = 0; i < 5; i++) resume.sent(`f${i}`);
    expect(resume.kept).to.equal(5);
    expect(resume.acknowledged(3)).to.equal(true);
    expect(resume.kept).to.equal(2);
    expect(resume.acknowledged(2), 'older: nothing changes').to.equal(true);
    expect(resume.kept).to.equal(2);
    expect(resume.acknowledged(6)).to.equal(false);
    expect(resume.kept).to.equal(2);
    expect(resume.acknowledged(5)).to.equal(true);
    expect(resume.kept).to.equal(0);
  });

  it('resends exactly the frames the server has not taken, through many acknowledgements (compaction)', () => {
    const resume = new ClientResume();
    resume.welcomed(welcome({ session: 't0' }));
    let sent = 0;
    let acked = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 97; i++) resume.sent(`f${sent++}`);
      acked = Math.min(sent, acked + 90);
      expect(resume.acknowledged(acked)).to.equal(true);
      expect(resume.kept).to.equal(sent - acked);
    }
    // The server says it took 10 more than the last got covered.
    const { outcome, resend } = resume.welcomed(
      welcome({ session: 't1', resumed: true, received: acked + 10 }),
    );
    expect(outcome).to.deep.equal({ resumed: true });
    expect(resend).to.deep.equal(frames(acked + 10, sent));
    expect(resume.kept, 'resent frames stay kept until acknowledged').to.equal(sent - acked - 10);
    expect(resume.token).to.equal('t1');
  });

  describe('welcomed()', () => {
    it('first connect: initial, with or without a token', () => {
      const withToken = new ClientResume();
      expect(withToken.welcomed(welcome({ session: 't' }))).to.deep.equal({
        outcome: { resumed: false, reason: 'initial' },
        resend: [],
      });
      expect(withToken.token).to.equal('t');
      const without = new ClientResume();
      expect(without.welcomed(welcome()).outcome).to.deep.equal({
        resumed: false,
        reason: 'initial',
      });
      expect(without.active).to.equal(false);
    });

    it('resumed: keeps counting, trims to what the server took, resends the rest', () => {
      const resume = new ClientResume();
      resume.welcomed(welcome({ session: 't0' }));
      for (let i = 0; i < 40; i++) resume.took();
      for (let i = 0; i < 4; i++) resume.sent(`f${i}`);
      const result = resume.welcomed(welcome({ session: 't1', resumed: true, received: 1 }));
      expect(result).to.deep.equal({ outcome: { resumed: true }, resend: ['f1', 'f2', 'f3'] });
      expect(resume.received, 'the session goes on').to.equal(40);
      expect(resume.token).to.equal('t1');
      // The got cadence goes on too: 64 is next, not 32 after the resume.
      const due: number[] = [];
      for (let i = 0; i < 30; i++) if (resume.took() >= 0) due.push(resume.received);
      expect(due).to.deep.equal([64]);
    });

    it('resumed without a received count: everything kept is resent', () => {
      const resume = new ClientResume();
      resume.welcomed(welcome({ session: 't0' }));
      resume.sent('a');
      resume.sent('b');
      expect(resume.welcomed(welcome({ session: 't1', resumed: true })).resend).to.deep.equal([
        'a',
        'b',
      ]);
    });

    it('a server claiming more received than was sent: denied, and nothing is kept or counted', () => {
      const resume = new ClientResume();
      resume.welcomed(welcome({ session: 't0' }));
      resume.took();
      resume.sent('a');
      resume.sent('b');
      const result = resume.welcomed(welcome({ session: 't1', resumed: true, received: 3 }));
      expect(result).to.deep.equal({ outcome: { resumed: false, reason: 'denied' }, resend: [] });
      expect(resume.kept).to.equal(0);
      expect(resume.received).to.equal(0);
      expect(resume.token).to.equal('t1');
    });

    it('a server claiming fewer received than it already acknowledged: denied (the frames between are gone)', () => {
      const resume = new ClientResume();
      resume.welcomed(welcome({ session: 't0' }));
      for (let i = 0; i < 5; i++) resume.sent(`f${i}`);
      resume.acknowledged(3);
      // Resending from 3 would leave a gap at 1 and 2 that the server thinks it still needs.
      const result = resume.welcomed(welcome({ session: 't1', resumed: true, received: 1 }));
      expect(result).to.deep.equal({ outcome: { resumed: false, reason: 'denied' }, resend: [] });
    });

    for (const reason of ['expired', 'overflow', 'denied', 'disabled'] as const) {
      it(`a refused resume says why: ${reason}; the new session starts from nothing`, () => {
        const resume = new ClientResume();
        resume.welcomed(welcome({ session: 't0' }));
        resume.took();
        resume.sent('a');
        const result = resume.welcomed(welcome({ session: 't1', resumed: false, reason }));
        expect(result).to.deep.equal({ outcome: { resumed: false, reason }, resend: [] });
        expect(resume.kept).to.equal(0);
        expect(resume.received).to.equal(0);
        expect(resume.query()).to.deep.equal({
          'plugsocket-resume': 't1',
          'plugsocket-received': '0',
        });
      });
    }

    it('a refusal with an unknown or missing reason reads as expired', () => {
      for (const reason of ['nonsense', undefined]) {
        const resume = new ClientResume();
        resume.welcomed(welcome({ session: 't0' }));
        const fields = { session: 't1', resumed: false, reason } as Partial<WelcomeEnvelope>;
        expect(resume.welcomed(welcome(fields)).outcome).to.deep.equal({
          resumed: false,
          reason: 'expired',
        });
      }
    });

    it('asked, but the welcome does not answer (a server with resume off): disabled, and no token after', () => {
      const resume = new ClientResume();
      resume.welcomed(welcome({ session: 't0' }));
      resume.sent('a');
      expect(resume.welcomed(welcome()).outcome).to.deep.equal({
        resumed: false,
        reason: 'disabled',
      });
      expect(resume.active).to.equal(false);
      expect(resume.kept).to.equal(0);
      // Nothing to ask with next time either.
      expect(resume.welcomed(welcome()).outcome).to.deep.equal({
        resumed: false,
        reason: 'disabled',
      });
    });

    it('ended(): the next welcome says expired (once), with nothing asked', () => {
      const resume = new ClientResume();
      resume.welcomed(welcome({ session: 't0' }));
      resume.sent('a');
      resume.took();
      resume.ended();
      expect(resume.active).to.equal(false);
      expect(resume.query()).to.deep.equal({ 'plugsocket-resume': 'new' });
      expect(resume.kept).to.equal(0);
      expect(resume.welcomed(welcome({ session: 't1' })).outcome).to.deep.equal({
        resumed: false,
        reason: 'expired',
      });
      expect(resume.token).to.equal('t1');
      // Once: a later session lost the same way is told again only if it ended again.
      resume.reset(undefined);
      expect(resume.welcomed(welcome()).outcome).to.deep.equal({
        resumed: false,
        reason: 'disabled',
      });
      resume.forget();
      resume.welcomed(welcome({ session: 't2' }));
      resume.ended();
      resume.forget();
      expect(resume.welcomed(welcome({ session: 't3' })).outcome, 'forget wins').to.deep.equal({
        resumed: false,
        reason: 'initial',
      });
    });

    it('forget(): the next welcome is initial again, and nothing is asked', () => {
      const resume = new ClientResume();
      resume.welcomed(welcome({ session: 't0' }));
      resume.sent('a');
      resume.forget();
      expect(resume.query()).to.deep.equal({ 'plugsocket-resume': 'new' });
      expect(resume.kept).to.equal(0);
      expect(resume.welcomed(welcome({ session: 't1' })).outcome).to.deep.equal({
        resumed: false,
        reason: 'initial',
      });
    });
  });
});

describe('MemorySessionStore', () => {
  let clock: sinon.SinonFakeTimers | undefined;
  afterEach(() => {
    clock?.restore();
    clock = undefined;
    sinon.restore();
  });

  it('take() is get-and-delete: a second take gets nothing', () => {
    const store = new MemorySessionStore();
    const r = record('a', Date.now() + 60_000);
    store.save(r, 60_000);
    expect(store.size).to.equal(1);
    expect(store.take('a', ALL)).to.equal(r);
    expect(store.size).to.equal(0);
    expect(store.take('a', ALL)).to.equal(undefined);
    expect(store.take('never', ALL)).to.equal(undefined);
    // A record accept refuses stays for its owner.
    const kept = record('k', Date.now() + 10_000);
    store.save(kept, 10_000);
    expect(store.take('k', () => false)).to.equal(undefined);
    expect(store.take('k', ALL)).to.equal(kept);
  });

  it('drops a record when its ttl is up', async () => {
    clock = useFakeClock();
    const store = new MemorySessionStore();
    store.save(record('a', Date.now() + 1000), 1000);
    await clock.tickAsync(999);
    expect(store.size).to.equal(1);
    await clock.tickAsync(1);
    expect(store.size).to.equal(0);
    expect(store.take('a', ALL)).to.equal(undefined);
    expect(clock.countTimers()).to.equal(0);
  });

  it('take() does not return a record whose expiresAt has passed, and removes it', () => {
    const store = new MemorySessionStore();
    store.save(record('old', Date.now() - 1), 60_000);
    expect(store.size).to.equal(1);
    expect(store.take('old', ALL)).to.equal(undefined);
    expect(store.size).to.equal(0);
  });

  it('save() replaces the record with the same id, and its timer', async () => {
    clock = useFakeClock();
    const store = new MemorySessionStore();
    const first = record('a', Date.now() + 100);
    const second = record('a', Date.now() + 1000);
    store.save(first, 100);
    store.save(second, 1000);
    expect(store.size).to.equal(1);
    expect(clock.countTimers(), 'the first timer was cleared').to.equal(1);
    await clock.tickAsync(500);
    expect(store.take('a', ALL)).to.equal(second);
    expect(clock.countTimers(), 'take clears the timer').to.equal(0);
  });

  it('ignores a ttl that is not positive, and refuses a record without a string id', () => {
    const store = new MemorySessionStore();
    for (const ttl of [0, -5, Number.NaN]) store.save(record('a', Date.now() + 1000), ttl);
    expect(store.size).to.equal(0);
    expect(() => store.save({ id: 1 } as unknown as SessionRecord, 100)).to.throw(TypeError);
  });

  it('its timers do not keep the process alive', () => {
    const spy = sinon.spy(globalThis, 'setTimeout');
    const store = new MemorySessionStore();
    store.save(record('a', Date.now() + 60_000), 60_000);
    store.save(record('b', Date.now() + 2 ** 40), 2 ** 40);
    expect(spy.callCount).to.equal(2);
    for (const timer of spy.returnValues) {
      expect(timer.hasRef()).to.equal(false);
    }
    expect(spy.args[1][1], 'a ttl past 2^31-1 ms is clamped, not fired at once').to.equal(
      2 ** 31 - 1,
    );
    store.take('a', ALL);
    store.take('b', ALL);
  });
});

describe('resume memory bound', () => {
  const t = fakeClockEachTest();

  it('per-session logs are bounded and freed when the window ends', async () => {
    const WINDOW = 10_000;
    const MAX = 50;
    const { server, url } = await startServer({
      heartbeatInterval: Infinity,
      resumeWindow: WINDOW,
      resumeLog: { maxMessages: MAX },
    });
    // The sessions as the server holds them (internal: a ConnectedClient is its Session).
    interface Internal {
      status: string;
      resume?: ResumeLog;
    }
    const clients: SocketClient[] = [];
    for (let i = 0; i < 200; i++) {
      // They would come back only long after the window (a client with reconnect: false does not
      // ask for a resumable session at all).
      const client = await connectClient(url, {
        reconnect: { retries: 1, minDelay: 50 * WINDOW, maxDelay: 50 * WINDOW },
      });
      await client.join('room');
      clients.push(client);
    }
    // One more that comes back after the window, to ask for its session then.
    sinon.stub(Math, 'random').returns(0.999);
    const late = newClient(url, {
      reconnect: { minDelay: 2 * WINDOW, maxDelay: 2 * WINDOW },
    });
    await late.connect();
    await late.join('room');
    const outcomes: unknown[] = [];
    late.onReconnected((outcome) => outcomes.push(outcome));
    const all = [...clients, late];
    const sessions = all.map((c) => server.getClient(c.id!) as unknown as Internal);
    for (const client of all) dropConnection(server, client.id!);
    await flush();
    expect(server.clientCount).to.equal(0);
    expect(sessions.every((s) => s.status === 'parked')).to.equal(true);
    // Up to the limit, every parked session keeps what it misses.
    for (let i = 0; i < MAX; i++) {
      expect(server.to('room').emit('n', i), 'parked sessions take the broadcast').to.equal(201);
    }
    const payloadOf = (frame: AnyFrame): unknown =>
      (JSON.parse(frame as string) as { payload?: unknown }).payload;
    for (const session of sessions) {
      const log = session.resume!;
      expect(log.length).to.equal(MAX);
      expect(log.kept().map(payloadOf)).to.deep.equal(Array.from({ length: MAX }, (_, i) => i));
    }
    // A broadcast frame is one object in every log, not a copy each.
    expect(sessions[0].resume!.kept()[0]).to.equal(sessions[199].resume!.kept()[0]);
    // One more: each log would drop a frame its client missed, so the session can only end in
    // overflow — its log is let go at once and nothing more is kept for it.
    for (let i = MAX; i < 500; i++) {
      expect(server.to('room').emit('n', i), 'a doomed session takes nothing').to.equal(0);
    }
    for (const session of sessions) {
      expect(session.resume!.length).to.equal(0);
      expect(session.resume!.bytes).to.equal(0);
    }

    await t.clock.tickAsync(WINDOW);
    await flush();
    for (const session of sessions) {
      expect(session.status).to.equal('gone');
      expect(session.resume?.length ?? 0).to.equal(0);
      expect(session.resume?.bytes ?? 0).to.equal(0);
    }
    expect(server.to('room').emit('n', 'after'), 'nobody is left in the topic').to.equal(0);
    const metrics = server.getMetrics();
    expect(metrics.connections).to.equal(0);
    expect(metrics.topics).to.deep.equal({});
    expect(
      t.clock.countTimers(),
      'no park timer left (only the clients’ own reconnect timers)',
    ).to.equal(all.length);

    await t.clock.tickAsync(2 * WINDOW);
    for (let i = 0; i < 3; i++) await flush();
    expect(late.state).to.equal('open');
    expect(outcomes).to.deep.equal([{ resumed: false, reason: 'expired' }]);
  });
});
