import { expect } from 'chai';
import sinon from 'sinon';
import { CompositeAuthorization } from '../../../src/auth/composite.js';
import { FirstFrameAuthorization } from '../../../src/auth/first-frame.js';
import { QueryTokenAuthorization } from '../../../src/auth/query-token.js';
import { TokenRegistry } from '../../../src/auth/token-registry.js';
import { INVALID_CREDENTIALS, NO_CREDENTIALS } from '../../../src/auth/token.js';
import type {
  AuthorizationResult,
  AuthorizationStrategy,
} from '../../../src/ports/authorization-strategy.js';
import type { ConnectOptions, Handshake } from '../../../src/ports/types.js';

function handshake(parts: Partial<Handshake> = {}): Handshake {
  return Object.freeze({ url: '', headers: {}, query: {}, auth: {}, ...parts });
}

/** A strategy that recognises handshakes with `query.via === name` and admits them as `name`. */
function named(
  name: string,
  extra: Omit<Partial<AuthorizationStrategy<string>>, 'authorize'> = {},
) {
  return {
    applyAuthorization: (options: ConnectOptions): ConnectOptions => ({
      ...options,
      query: { ...options.query, [name]: '1' },
    }),
    authorize: sinon.fake((): AuthorizationResult<string> => ({ ok: true, principal: name })),
    recognizes: (h: Handshake): boolean => h.query.via === name,
    ...extra,
  };
}

describe('CompositeAuthorization', () => {
  describe('constructor', () => {
    it('needs a non-empty array of strategies', () => {
      expect(() => new CompositeAuthorization([])).to.throw(TypeError, /non-empty/);
      expect(() => new CompositeAuthorization(undefined as never)).to.throw(TypeError);
      expect(() => new CompositeAuthorization([{} as never])).to.throw(
        TypeError,
        /strategies\[0\]/,
      );
    });

    it('is not affected by later changes to the array', () => {
      const strategies: AuthorizationStrategy<string>[] = [named('a')];
      const composite = new CompositeAuthorization(strategies);
      strategies.unshift(named('b', { recognizes: () => true }));
      expect(composite.authorize(handshake({ query: { via: 'a' } }))).to.deep.equal({
        ok: true,
        principal: 'a',
      });
    });
  });

  describe('#authorize', () => {
    it('lets the first strategy that recognises the handshake decide', async () => {
      const a = named('a');
      const b = named('b');
      const composite = new CompositeAuthorization([a, b]);
      expect(await composite.authorize(handshake({ query: { via: 'b' } }))).to.deep.equal({
        ok: true,
        principal: 'b',
      });
      expect(a.authorize.callCount).to.equal(0);
    });

    it('returns the deciding strategy verdict as is, a denial included, without trying the next', async () => {
      const denial = { ok: false, code: 'UNAUTHORIZED', reason: 'no' } as const;
      const first = { ...named('a', { recognizes: () => true }), authorize: () => denial };
      const second = named('b', { recognizes: () => true });
      const composite = new CompositeAuthorization<string>([first, second]);
      expect(await composite.authorize(handshake())).to.equal(denial);
      expect(second.authorize.callCount).to.equal(0);
    });

    it('treats a strategy without recognizes as recognising everything, in its place', async () => {
      const catchAll = named('all', { recognizes: undefined });
      const composite = new CompositeAuthorization([named('a'), catchAll, named('b')]);
      expect(await composite.authorize(handshake({ query: { via: 'a' } }))).to.deep.equal({
        ok: true,
        principal: 'a',
      });
      expect(await composite.authorize(handshake({ query: { via: 'b' } }))).to.deep.equal({
        ok: true,
        principal: 'all',
      });
    });

    it('refuses with NO_CREDENTIALS when none recognises the handshake', async () => {
      const composite = new CompositeAuthorization([named('a'), named('b')]);
      expect(await composite.authorize(handshake())).to.equal(NO_CREDENTIALS);
    });

    it('routes a query token to the registry and anything else to the first frame', async () => {
      const registry = new TokenRegistry({ users: { alice: 'a1' } });
      const composite = new CompositeAuthorization([
        new QueryTokenAuthorization({ verifier: registry }),
        new FirstFrameAuthorization({ verify: registry }),
      ]);
      const viaUrl = handshake({ query: { token: 'a1' } });
      const bare = handshake();
      expect(await composite.authorize(viaUrl)).to.deep.equal({ ok: true, principal: 'alice' });
      expect(await composite.authorize(handshake({ query: { token: 'x' } }))).to.equal(
        INVALID_CREDENTIALS,
      );
      expect(composite.expectsFirstFrame(viaUrl)).to.equal(false);
      expect(composite.expectsFirstFrame(bare)).to.equal(true);
      // The frame's credentials arrive as handshake.auth, which the query strategy recognises
      // first; it reads auth.token too, so the verdict is the same.
      expect(await composite.authorize(handshake({ auth: { token: 'a1' } }))).to.deep.equal({
        ok: true,
        principal: 'alice',
      });
    });
  });

  describe('#expectsFirstFrame', () => {
    it('asks the strategy that would decide, not any strategy', () => {
      const frame = named('f', { expectsFirstFrame: () => true });
      const plain = named('p');
      const composite = new CompositeAuthorization([plain, frame]);
      expect(composite.expectsFirstFrame(handshake({ query: { via: 'p' } }))).to.equal(false);
      expect(composite.expectsFirstFrame(handshake({ query: { via: 'f' } }))).to.equal(true);
      expect(composite.expectsFirstFrame(handshake())).to.equal(false);
    });

    it('passes the handshake on', () => {
      const expects = sinon.fake.returns(true);
      const composite = new CompositeAuthorization([named('f', { expectsFirstFrame: expects })]);
      const h = handshake({ query: { via: 'f' } });
      composite.expectsFirstFrame(h);
      expect(expects.calledOnceWithExactly(h)).to.equal(true);
    });
  });

  describe('#recognizes', () => {
    it('is true when any strategy recognises the handshake', () => {
      const composite = new CompositeAuthorization([named('a'), named('b')]);
      expect(composite.recognizes(handshake({ query: { via: 'b' } }))).to.equal(true);
      expect(composite.recognizes(handshake({ query: { via: 'c' } }))).to.equal(false);
    });
  });

  describe('client side', () => {
    it('applies every strategy in order, each to the previous result', async () => {
      const order: string[] = [];
      const step = (name: string) =>
        named(name, {
          applyAuthorization: async (options: ConnectOptions) => {
            await Promise.resolve();
            order.push(name);
            return { ...options, query: { ...options.query, last: name } };
          },
        });
      const composite = new CompositeAuthorization([step('a'), step('b'), named('c')]);
      const options = Object.freeze({ url: 'ws://x/' });
      expect(await composite.applyAuthorization(options)).to.deep.equal({
        url: 'ws://x/',
        query: { last: 'b', c: '1' },
      });
      expect(order).to.deep.equal(['a', 'b']);
    });

    it('has firstFrame when any strategy has it', () => {
      expect(new CompositeAuthorization([named('a')]).firstFrame).to.equal(false);
      expect(
        new CompositeAuthorization([named('a'), named('b', { firstFrame: true })]).firstFrame,
      ).to.equal(true);
    });

    it('takes the credentials of the first strategy that has them', async () => {
      const composite = new CompositeAuthorization([
        named('a'),
        named('b', { credentials: () => ({ from: 'b' }) }),
        named('c', { credentials: () => ({ from: 'c' }) }),
      ]);
      expect(await composite.credentials?.()).to.deep.equal({ from: 'b' });
    });

    it('calls credentials on its own strategy (this is kept)', async () => {
      const query = new QueryTokenAuthorization({ token: () => 'tok' });
      const composite = new CompositeAuthorization([query]);
      expect(await composite.credentials?.()).to.deep.equal({ token: 'tok' });
    });

    it('has no credentials when no strategy has them', () => {
      const composite = new CompositeAuthorization([named('a')]);
      expect(composite.credentials).to.equal(undefined);
      expect('credentials' in composite).to.equal(false);
    });
  });

  describe('#onRevoke', () => {
    it('registers with every strategy that can revoke, and unsubscribes from all', () => {
      const first = new TokenRegistry({ users: { alice: 'a1' } });
      const second = new TokenRegistry({ users: { bob: 'b1' } });
      const composite = new CompositeAuthorization<string>([first, named('x'), second]);
      const listener = sinon.fake();
      const unsubscribe = composite.onRevoke(listener);
      first.removeUser('alice');
      second.removeUser('bob');
      expect(listener.args).to.deep.equal([['alice'], ['bob']]);
      unsubscribe();
      first.setUser('carol', 'c1');
      first.removeUser('carol');
      second.setUser('dave', 'd1');
      second.removeUser('dave');
      expect(listener.callCount).to.equal(2);
    });
  });
});
