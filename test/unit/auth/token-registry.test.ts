import { expect } from 'chai';
import fc from 'fast-check';
import sinon from 'sinon';
import { constantTimeEqual, sha256, sha256Sync } from '../../../src/auth/digest.js';
import { TokenRegistry } from '../../../src/auth/token-registry.js';
import { INVALID_CREDENTIALS, NO_CREDENTIALS } from '../../../src/auth/token.js';
import type { Handshake } from '../../../src/ports/types.js';

function handshake(parts: Partial<Handshake> = {}): Handshake {
  return Object.freeze({ url: '', headers: {}, query: {}, auth: {}, ...parts });
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** A Uint8Array whose indexed reads are counted, to prove a comparison visits every byte. */
function counted(bytes: number[]): { array: Uint8Array; reads: Set<number> } {
  const reads = new Set<number>();
  const target = Uint8Array.from(bytes);
  const array = new Proxy(target, {
    get(t, key) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads.add(Number(key));
      const value: unknown = Reflect.get(t, key);
      return typeof value === 'function' ? (value as () => unknown).bind(t) : value;
    },
  });
  return { array, reads };
}

describe('digest', () => {
  describe('sha256', () => {
    it('gives the FIPS 180-4 digests of "" and "abc"', async () => {
      expect(hex(await sha256(''))).to.equal(
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      );
      expect(hex(await sha256('abc'))).to.equal(
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      );
    });
  });

  describe('sha256Sync', () => {
    it('agrees with Web Crypto across the padding boundaries (55, 56, 64 bytes) and long input', async () => {
      for (const length of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 1000]) {
        const text = 'x'.repeat(length);
        expect(hex(sha256Sync(text)), `length ${length}`).to.equal(hex(await sha256(text)));
      }
    });

    it('agrees with Web Crypto on any string, lone surrogates and astral characters included', async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }), async (text) => {
          expect(hex(sha256Sync(text))).to.equal(hex(await sha256(text)));
        }),
        { numRuns: 200 },
      );
    });
  });

  describe('constantTimeEqual', () => {
    it('is true for equal bytes and false for any difference', () => {
      expect(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3))).to.equal(true);
      expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).to.equal(true);
      expect(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4))).to.equal(false);
      expect(constantTimeEqual(Uint8Array.of(0, 2, 3), Uint8Array.of(1, 2, 3))).to.equal(false);
    });

    it('is false for different lengths, even when one is a prefix of the other or padded with zeros', () => {
      expect(constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3))).to.equal(false);
      expect(constantTimeEqual(Uint8Array.of(1, 2, 0), Uint8Array.of(1, 2))).to.equal(false);
      expect(constantTimeEqual(new Uint8Array(0), Uint8Array.of(0))).to.equal(false);
    });

    it('reads every byte when the first bytes differ (no early exit)', () => {
      const a = counted([9, 2, 3, 4]);
      const b = counted([1, 2, 3, 4]);
      expect(constantTimeEqual(a.array, b.array)).to.equal(false);
      expect([...a.reads].sort()).to.deep.equal([0, 1, 2, 3]);
      expect([...b.reads].sort()).to.deep.equal([0, 1, 2, 3]);
    });

    it('reads every byte of both when the lengths differ (no shortcut on length)', () => {
      const a = counted([1, 2]);
      const b = counted([1, 2, 3, 4, 5]);
      expect(constantTimeEqual(a.array, b.array)).to.equal(false);
      expect([...a.reads].sort()).to.deep.equal([0, 1]);
      expect([...b.reads].sort()).to.deep.equal([0, 1, 2, 3, 4]);
    });
  });
});

describe('TokenRegistry', () => {
  describe('#verify', () => {
    it("admits a user's token with the user's name as the principal", () => {
      const registry = new TokenRegistry({ users: { alice: 'tok-alice', bob: 'tok-bob' } });
      expect(registry.verify('tok-alice')).to.deep.equal({ ok: true, principal: 'alice' });
      expect(registry.verify('tok-bob')).to.deep.equal({ ok: true, principal: 'bob' });
    });

    it('works right after setUser', () => {
      const registry = new TokenRegistry();
      registry.setUser('carol', 'tok-carol');
      expect(registry.verify('tok-carol')).to.deep.equal({ ok: true, principal: 'carol' });
    });

    it('refuses wrong tokens of every length with the same INVALID_CREDENTIALS', () => {
      const registry = new TokenRegistry({ users: { alice: 'tok-alice' } });
      for (const wrong of [
        'tok-alicf',
        'Tok-alice',
        'tok-alic',
        'tok-alice ',
        'x',
        'tok-alice'.repeat(9),
      ])
        expect(registry.verify(wrong), wrong).to.equal(INVALID_CREDENTIALS);
    });

    it('refuses an empty or non-string token', () => {
      const registry = new TokenRegistry({ users: { alice: 'tok-alice' } });
      expect(registry.verify('')).to.equal(INVALID_CREDENTIALS);
      expect(registry.verify(42 as unknown as string)).to.equal(INVALID_CREDENTIALS);
    });

    it('keeps no token, only digests', () => {
      const registry = new TokenRegistry({ users: { alice: 'tok-alice-secret' } });
      const seen = new Set<unknown>();
      const strings: string[] = [];
      const walk = (value: unknown): void => {
        if (typeof value === 'string') strings.push(value);
        if (typeof value !== 'object' || value === null || seen.has(value)) return;
        seen.add(value);
        if (value instanceof Map)
          for (const [k, v] of value) {
            walk(k);
            walk(v);
          }
        else if (value instanceof Set) for (const v of value) walk(v);
        else for (const v of Object.values(value)) walk(v);
      };
      walk(registry);
      expect(strings).to.include('alice');
      expect(strings.some((s) => s.includes('tok-alice-secret'))).to.equal(false);
      const secretBytes = new TextEncoder().encode('tok-alice-secret');
      for (const value of seen)
        if (value instanceof Uint8Array)
          expect(hex(value).includes(hex(secretBytes))).to.equal(false);
    });
  });

  describe('#setUser / #removeUser / #hasUser / #size', () => {
    it('tracks users', () => {
      const registry = new TokenRegistry({ users: [['alice', 'a1']] });
      expect(registry.size).to.equal(1);
      expect(registry.hasUser('alice')).to.equal(true);
      registry.setUser('bob', 'b1');
      expect(registry.size).to.equal(2);
      expect(registry.removeUser('alice')).to.equal(true);
      expect(registry.removeUser('alice')).to.equal(false);
      expect(registry.hasUser('alice')).to.equal(false);
      expect(registry.size).to.equal(1);
      expect(registry.verify('a1')).to.equal(INVALID_CREDENTIALS);
    });

    it("accepts a Map and a record, and replaces a user's token", () => {
      const registry = new TokenRegistry({ users: new Map([['alice', 'old']]) });
      registry.setUser('alice', 'new');
      expect(registry.size).to.equal(1);
      expect(registry.verify('old')).to.equal(INVALID_CREDENTIALS);
      expect(registry.verify('new')).to.deep.equal({ ok: true, principal: 'alice' });
    });

    it('refuses a token another user already has, and changes nothing', () => {
      const registry = new TokenRegistry({ users: { alice: 'shared' } });
      expect(() => registry.setUser('bob', 'shared'))
        .to.throw(Error, /another user/)
        .that.is.not.instanceOf(TypeError);
      expect(registry.hasUser('bob')).to.equal(false);
      expect(registry.verify('shared')).to.deep.equal({ ok: true, principal: 'alice' });
      expect(() => new TokenRegistry({ users: { alice: 'same', bob: 'same' } })).to.throw(
        /another user/,
      );
    });

    it('lets a token be reused once its user is gone', () => {
      const registry = new TokenRegistry({ users: { alice: 'shared' } });
      registry.removeUser('alice');
      registry.setUser('bob', 'shared');
      expect(registry.verify('shared')).to.deep.equal({ ok: true, principal: 'bob' });
    });

    it('throws a TypeError for an empty or non-string name or token', () => {
      const registry = new TokenRegistry();
      for (const [name, token] of [
        ['', 't'],
        ['n', ''],
        [1, 't'],
        ['n', null],
      ] as [string, string][])
        expect(() => registry.setUser(name, token), `${String(name)}/${String(token)}`).to.throw(
          TypeError,
        );
      expect(registry.size).to.equal(0);
    });
  });

  describe('#onRevoke', () => {
    it('calls the listeners with the name on removeUser', () => {
      const registry = new TokenRegistry({ users: { alice: 'a1' } });
      const listener = sinon.fake();
      registry.onRevoke(listener);
      registry.removeUser('alice');
      expect(listener.calledOnceWithExactly('alice')).to.equal(true);
      registry.removeUser('alice');
      expect(listener.callCount).to.equal(1);
    });

    it('calls them when setUser replaces a token, not for the same token or a new user', () => {
      const registry = new TokenRegistry({ users: { alice: 'a1' } });
      const listener = sinon.fake();
      registry.onRevoke(listener);
      registry.setUser('alice', 'a1');
      registry.setUser('bob', 'b1');
      expect(listener.callCount).to.equal(0);
      registry.setUser('alice', 'a2');
      expect(listener.calledOnceWithExactly('alice')).to.equal(true);
    });

    it('revokes only after the new token is in place, so a listener sees the new state', () => {
      const registry = new TokenRegistry({ users: { alice: 'a1' } });
      let verdict: unknown;
      registry.onRevoke(() => (verdict = registry.verify('a2')));
      registry.setUser('alice', 'a2');
      expect(verdict).to.deep.equal({ ok: true, principal: 'alice' });
    });

    it('stops calling a listener once unsubscribed', () => {
      const registry = new TokenRegistry({ users: { alice: 'a1', bob: 'b1' } });
      const listener = sinon.fake();
      const unsubscribe = registry.onRevoke(listener);
      unsubscribe();
      registry.removeUser('alice');
      expect(listener.callCount).to.equal(0);
    });

    it('calls every listener even when one throws, then rethrows', () => {
      const registry = new TokenRegistry({ users: { alice: 'a1' } });
      const second = sinon.fake();
      registry.onRevoke(() => {
        throw new Error('boom');
      });
      registry.onRevoke(second);
      expect(() => registry.removeUser('alice')).to.throw('boom');
      expect(second.calledOnceWithExactly('alice')).to.equal(true);
      expect(registry.hasUser('alice')).to.equal(false);
    });
  });

  describe('#authorize', () => {
    const registry = new TokenRegistry({ users: { alice: 'a1' } });

    it('reads the token from auth.token, the bearer header and the token query parameter', () => {
      const admitted = { ok: true, principal: 'alice' };
      expect(registry.authorize(handshake({ auth: { token: 'a1' } }))).to.deep.equal(admitted);
      expect(
        registry.authorize(handshake({ headers: { authorization: 'Bearer a1' } })),
      ).to.deep.equal(admitted);
      expect(registry.authorize(handshake({ query: { token: 'a1' } }))).to.deep.equal(admitted);
    });

    it('refuses a wrong token with INVALID_CREDENTIALS and none with NO_CREDENTIALS', () => {
      expect(registry.authorize(handshake({ query: { token: 'nope' } }))).to.equal(
        INVALID_CREDENTIALS,
      );
      expect(registry.authorize(handshake())).to.equal(NO_CREDENTIALS);
    });

    it('reads the configured query parameter, or none with queryParam false', () => {
      const custom = new TokenRegistry({ users: { alice: 'a1' }, queryParam: 'key' });
      expect(custom.authorize(handshake({ query: { key: 'a1' } }))).to.deep.equal({
        ok: true,
        principal: 'alice',
      });
      expect(custom.authorize(handshake({ query: { token: 'a1' } }))).to.equal(NO_CREDENTIALS);
      const noUrl = new TokenRegistry({ users: { alice: 'a1' }, queryParam: false });
      expect(noUrl.authorize(handshake({ query: { token: 'a1' } }))).to.equal(NO_CREDENTIALS);
    });
  });

  describe('#recognizes', () => {
    it('is true exactly when a token is present', () => {
      const registry = new TokenRegistry();
      expect(registry.recognizes(handshake({ query: { token: 'x' } }))).to.equal(true);
      expect(registry.recognizes(handshake({ auth: { token: 'x' } }))).to.equal(true);
      expect(registry.recognizes(handshake())).to.equal(false);
      expect(registry.recognizes(handshake({ query: { other: 'x' } }))).to.equal(false);
    });
  });

  describe('#applyAuthorization', () => {
    it('returns the options unchanged', () => {
      const options = { url: 'ws://x/' };
      expect(new TokenRegistry().applyAuthorization(options)).to.equal(options);
    });
  });

  describe('constructor', () => {
    it('rejects unknown options, a bad queryParam and bad users', () => {
      expect(() => new TokenRegistry({ user: {} } as never)).to.throw(TypeError, /unknown option/);
      expect(() => new TokenRegistry({ queryParam: '' })).to.throw(TypeError);
      expect(() => new TokenRegistry({ users: 'alice' as never })).to.throw(TypeError);
      expect(() => new TokenRegistry({ users: [['alice']] as never })).to.throw(TypeError);
      expect(() => new TokenRegistry({ users: { alice: '' } })).to.throw(TypeError);
    });
  });
});
