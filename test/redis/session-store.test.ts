import { expect } from 'chai';
import type { Redis } from 'ioredis';
import type { SessionRecord } from 'plugsocket';
import { RedisSessionStore } from 'plugsocket/redis';
import {
  REDIS_URL,
  adminClient,
  deleteKeys,
  keysUnder,
  needRedis,
  sleep,
  uniquePrefix,
} from './support/redis.js';

const record = (id: string, extra: Partial<SessionRecord> = {}): SessionRecord => ({
  id,
  secret: 's3cret',
  principal: { sub: 'alice', roles: ['admin'] },
  principalKey: 'alice',
  topics: ['room', 'lobby'],
  data: [
    ['count', 3],
    ['blob', new Uint8Array([9, 8, 7])],
  ],
  received: 4,
  logStart: 10,
  log: ['text frame', new Uint8Array([0, 1, 2, 255]), '', 'ünïcödé ✓ 🎉', '\ufeffBOM first'],
  expiresAt: Date.now() + 60_000,
  ...extra,
});

describe('RedisSessionStore', function () {
  let admin: Redis;
  let prefix: string;
  let store: RedisSessionStore;
  const stores: RedisSessionStore[] = [];

  const another = (): RedisSessionStore => {
    const made = new RedisSessionStore({ redis: REDIS_URL, prefix });
    stores.push(made);
    return made;
  };

  before(async () => {
    await needRedis();
    admin = adminClient();
  });
  after(() => admin?.quit());
  beforeEach(() => {
    prefix = uniquePrefix();
    store = another();
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await deleteKeys(admin, prefix);
  });

  it('gives back an equal record, frames with their type, bytes exactly', async () => {
    const saved = record('r1', { previousSecret: 'old' });
    await store.save(saved, 60_000);
    const taken = await another().take('r1', () => true);
    expect(taken).to.deep.equal(saved);
    expect(taken!.log[1]).to.be.instanceOf(Uint8Array);
    expect(typeof taken!.log[0]).to.equal('string');
    expect(taken!.data[1][1]).to.be.instanceOf(Uint8Array);
  });

  it('removes the record it hands over: a second take finds nothing, no key remains', async () => {
    await store.save(record('r1'), 60_000);
    expect(await store.take('r1', () => true)).to.not.equal(undefined);
    expect(await store.take('r1', () => true)).to.equal(undefined);
    expect(await keysUnder(admin, prefix)).to.deep.equal([]);
  });

  it('keeps a record accept refuses, for its owner', async () => {
    await store.save(record('r1'), 60_000);
    let seen: SessionRecord | undefined;
    expect(
      await store.take('r1', (r) => {
        seen = r;
        return r.secret === 'forged';
      }),
    ).to.equal(undefined);
    expect(seen?.id).to.equal('r1');
    expect((await store.take('r1', (r) => r.secret === 's3cret'))?.id).to.equal('r1');
  });

  it('never returns a record past its ttl, nor one past expiresAt', async () => {
    await store.save(record('short'), 40);
    await store.save(record('stale', { expiresAt: Date.now() - 1 }), 60_000);
    await sleep(80);
    expect(await store.take('short', () => true)).to.equal(undefined);
    expect(await store.take('stale', () => true)).to.equal(undefined);
    expect(await admin.pttl(`${prefix}:session-log:short`)).to.equal(-2);
  });

  it('sets the same ttl on the record and its log', async () => {
    await store.save(record('r1'), 30_000);
    for (const key of [`${prefix}:session:r1`, `${prefix}:session-log:r1`])
      expect(await admin.pttl(key), key).to.be.within(29_000, 30_000);
    expect(await admin.type(`${prefix}:session-log:r1`)).to.equal('stream');
  });

  it('ignores a ttl that is not positive, as the memory store does', async () => {
    await store.save(record('r1'), 0);
    expect(await keysUnder(admin, prefix)).to.deep.equal([]);
  });

  it('replaces a record saved again with the same id (log included)', async () => {
    await store.save(record('r1'), 60_000);
    await store.save(record('r1', { log: ['only'], received: 9 }), 60_000);
    const taken = await store.take('r1', () => true);
    expect(taken?.log).to.deep.equal(['only']);
    expect(taken?.received).to.equal(9);
  });

  it('hands a record to exactly one of many concurrent takes', async () => {
    for (let round = 0; round < 10; round++) {
      await store.save(record(`race-${round}`), 60_000);
      const takers = [store, another(), another(), another()];
      const results = await Promise.all(takers.map((s) => s.take(`race-${round}`, () => true)));
      expect(
        results.filter((r) => r !== undefined),
        `round ${round}`,
      ).to.have.length(1);
    }
  });

  it('does not hand over a record saved again between its read and its removal', async () => {
    await store.save(record('r1', { received: 1 }), 60_000);
    const taken = await store.take('r1', () => {
      // A newer record of the session is saved meanwhile (on the same connection, so it
      // reaches Redis before the removal): that one must stay.
      void store.save(record('r1', { received: 2 }), 60_000);
      return true;
    });
    await sleep(20);
    expect(taken).to.equal(undefined);
    expect((await store.take('r1', () => true))?.received).to.equal(2);
  });

  it('carries an empty log, and structured (JSON array) frames', async () => {
    await store.save(record('empty', { log: [] }), 60_000);
    expect((await store.take('empty', () => true))?.log).to.deep.equal([]);
    await store.save(record('structured', { log: [['event', { a: 1 }], 'text'] }), 60_000);
    expect((await store.take('structured', () => true))?.log).to.deep.equal([
      ['event', { a: 1 }],
      'text',
    ]);
  });

  it('stores a principal JSON cannot encode as absent, and what JSON can as JSON would', async () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    await store.save(record('cyclic', { principal: cyclic }), 60_000);
    expect((await store.take('cyclic', () => true))?.principal).to.equal(undefined);
    const when = new Date(0);
    await store.save(record('dated', { principal: { when } }), 60_000);
    expect((await store.take('dated', () => true))?.principal).to.deep.equal({
      when: when.toISOString(),
    });
  });

  it('ignores (and logs) a record it cannot read', async () => {
    const warnings: string[] = [];
    const logging = new RedisSessionStore({
      redis: REDIS_URL,
      prefix,
      logger: { debug() {}, error() {}, warn: (m: string) => void warnings.push(m) },
    });
    stores.push(logging);
    await admin.set(`${prefix}:session:bad`, '{not json');
    expect(await logging.take('bad', () => true)).to.equal(undefined);
    expect(warnings).to.have.length(1);
  });

  it('works on a client you pass, and leaves it open', async () => {
    const mine = adminClient();
    try {
      const onMine = new RedisSessionStore({ redis: mine, prefix });
      await onMine.save(record('r1'), 60_000);
      expect((await onMine.take('r1', () => true))?.id).to.equal('r1');
      await onMine.close();
      expect(await mine.ping()).to.equal('PONG');
    } finally {
      await mine.quit();
    }
  });
});
