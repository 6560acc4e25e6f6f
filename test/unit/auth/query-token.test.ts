import { expect } from 'chai';
import sinon from 'sinon';
import { QueryTokenAuthorization } from '../../../src/auth/query-token.js';
import { TokenRegistry } from '../../../src/auth/token-registry.js';
import { INVALID_CREDENTIALS, NO_CREDENTIALS } from '../../../src/auth/token.js';
import type { TokenVerifier } from '../../../src/auth/verifier.js';
import type { ConnectOptions, Handshake } from '../../../src/ports/types.js';

function handshake(parts: Partial<Handshake> = {}): Handshake {
  return Object.freeze({ url: '', headers: {}, query: {}, auth: {}, ...parts });
}

const ALICE = { ok: true, principal: 'alice' } as const;

describe('QueryTokenAuthorization', () => {
  describe('constructor', () => {
    it('needs a token or a verifier', () => {
      expect(() => new QueryTokenAuthorization({})).to.throw(TypeError, /token.*verifier/);
    });

    it('rejects unknown options and wrong types', () => {
      const token = (): string => 't';
      expect(() => new QueryTokenAuthorization({ token, tokn: 1 } as never)).to.throw(
        TypeError,
        /unknown option "tokn"/,
      );
      expect(() => new QueryTokenAuthorization({ token, param: '' })).to.throw(TypeError);
      expect(() => new QueryTokenAuthorization({ token: 't' as never })).to.throw(TypeError);
      expect(() => new QueryTokenAuthorization({ verifier: {} as never })).to.throw(TypeError);
      expect(() => new QueryTokenAuthorization(null as never)).to.throw(TypeError);
    });
  });

  describe('client side', () => {
    it('adds the token as the token query parameter, keeping the other parameters', async () => {
      const auth = new QueryTokenAuthorization({ token: () => 'tok' });
      const options: ConnectOptions = Object.freeze({ url: 'ws://x/', query: { room: '1' } });
      expect(await auth.applyAuthorization(options)).to.deep.equal({
        url: 'ws://x/',
        query: { room: '1', token: 'tok' },
      });
      expect(options.query).to.deep.equal({ room: '1' });
    });

    it('uses the configured parameter and an async token, fetched anew each time', async () => {
      let n = 0;
      const auth = new QueryTokenAuthorization({
        param: 'key',
        token: () => Promise.resolve(`t${++n}`),
      });
      expect((await auth.applyAuthorization({ url: 'ws://x/' })).query).to.deep.equal({
        key: 't1',
      });
      expect((await auth.applyAuthorization({ url: 'ws://x/' })).query).to.deep.equal({
        key: 't2',
      });
    });

    it('does not mutate the options or their query', async () => {
      const query = { a: 'b' };
      const options = { url: 'ws://x/', query };
      const result = await new QueryTokenAuthorization({ token: () => 't' }).applyAuthorization(
        options,
      );
      expect(result).to.not.equal(options);
      expect(result.query).to.not.equal(query);
      expect(options).to.deep.equal({ url: 'ws://x/', query: { a: 'b' } });
    });

    it('gives { token } as the credentials of a refresh', async () => {
      const auth = new QueryTokenAuthorization({ token: () => 'fresh' });
      expect(await auth.credentials()).to.deep.equal({ token: 'fresh' });
    });

    it('throws a TypeError without a token option, or when token() gives no non-empty string', async () => {
      const serverOnly = new QueryTokenAuthorization({ verifier: new TokenRegistry() });
      await expectRejection(serverOnly.applyAuthorization({ url: 'ws://x/' }), /token option/);
      await expectRejection(serverOnly.credentials(), /token option/);
      const empty = new QueryTokenAuthorization({ token: () => '' });
      await expectRejection(empty.applyAuthorization({ url: 'ws://x/' }), /non-empty string/);
    });
  });

  describe('server side', () => {
    const registry = new TokenRegistry({ users: { alice: 'a1' } });
    const auth = new QueryTokenAuthorization({ verifier: registry });

    it('admits a valid token from the query parameter', async () => {
      expect(await auth.authorize(handshake({ query: { token: 'a1' } }))).to.deep.equal(ALICE);
    });

    it('reads the configured parameter', async () => {
      const custom = new QueryTokenAuthorization({ param: 'key', verifier: registry });
      expect(await custom.authorize(handshake({ query: { key: 'a1' } }))).to.deep.equal(ALICE);
      expect(await custom.authorize(handshake({ query: { token: 'a1' } }))).to.equal(
        NO_CREDENTIALS,
      );
    });

    it('prefers auth.token, where a refresh brings it, over the query parameter', async () => {
      const verify = sinon.fake((token: string) => registry.verify(token));
      const spied = new QueryTokenAuthorization({ verifier: { verify } });
      expect(
        await spied.authorize(handshake({ query: { token: 'stale' }, auth: { token: 'a1' } })),
      ).to.deep.equal(ALICE);
      expect(verify.calledOnceWithExactly('a1')).to.equal(true);
    });

    it('refuses a wrong token with the verifier verdict and no token with NO_CREDENTIALS', async () => {
      expect(await auth.authorize(handshake({ query: { token: 'nope' } }))).to.equal(
        INVALID_CREDENTIALS,
      );
      expect(await auth.authorize(handshake())).to.equal(NO_CREDENTIALS);
      expect(await auth.authorize(handshake({ query: { token: '' } }))).to.equal(NO_CREDENTIALS);
    });

    it('throws a TypeError without a verifier', () => {
      const clientOnly = new QueryTokenAuthorization({ token: () => 't' });
      expect(() => clientOnly.authorize(handshake({ query: { token: 't' } }))).to.throw(
        TypeError,
        /verifier/,
      );
    });

    it('recognizes a handshake exactly when it carries a token', () => {
      expect(auth.recognizes(handshake({ query: { token: 'x' } }))).to.equal(true);
      expect(auth.recognizes(handshake({ auth: { token: 'x' } }))).to.equal(true);
      expect(auth.recognizes(handshake({ query: { other: 'x' } }))).to.equal(false);
    });

    it("passes on the verifier's revocations", () => {
      const registry = new TokenRegistry({ users: { bob: 'b1' } });
      const listener = sinon.fake();
      const unsubscribe = new QueryTokenAuthorization({ verifier: registry }).onRevoke(listener);
      registry.removeUser('bob');
      expect(listener.calledOnceWithExactly('bob')).to.equal(true);
      unsubscribe();
      registry.setUser('carol', 'c1');
      registry.removeUser('carol');
      expect(listener.callCount).to.equal(1);
    });

    it('gives a no-op unsubscribe when the verifier cannot revoke', () => {
      const verifier: TokenVerifier<string> = { verify: () => INVALID_CREDENTIALS };
      const unsubscribe = new QueryTokenAuthorization({ verifier }).onRevoke(sinon.fake());
      expect(unsubscribe).to.be.a('function');
      expect(() => unsubscribe()).to.not.throw();
    });
  });
});

async function expectRejection(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).to.be.instanceOf(TypeError);
  expect((error as Error).message).to.match(message);
}
