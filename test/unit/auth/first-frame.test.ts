import { expect } from 'chai';
import sinon from 'sinon';
import { FirstFrameAuthorization } from '../../../src/auth/first-frame.js';
import { TokenRegistry } from '../../../src/auth/token-registry.js';
import { INVALID_CREDENTIALS, NO_CREDENTIALS } from '../../../src/auth/token.js';
import type { Handshake } from '../../../src/ports/types.js';

function handshake(parts: Partial<Handshake> = {}): Handshake {
  return Object.freeze({ url: '', headers: {}, query: {}, auth: {}, ...parts });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

const ALICE = { ok: true, principal: 'alice' } as const;

describe('FirstFrameAuthorization', () => {
  describe('constructor', () => {
    it('needs credentials or verify', () => {
      expect(() => new FirstFrameAuthorization({})).to.throw(TypeError, /credentials.*verify/);
    });

    it('rejects unknown options and wrong types', () => {
      const credentials = () => ({ token: 't' });
      expect(() => new FirstFrameAuthorization({ credentials, token: 't' } as never)).to.throw(
        TypeError,
        /unknown option "token"/,
      );
      expect(() => new FirstFrameAuthorization({ credentials: {} as never })).to.throw(TypeError);
      expect(() => new FirstFrameAuthorization({ verify: {} as never })).to.throw(TypeError);
      expect(() => new FirstFrameAuthorization({ verify: 'x' as never })).to.throw(TypeError);
    });
  });

  describe('client side', () => {
    const auth = new FirstFrameAuthorization({ credentials: () => ({ token: 'a1' }) });

    it('sends its credentials in a first frame', () => {
      expect(auth.firstFrame).to.equal(true);
    });

    it('leaves the URL, query and headers alone', () => {
      const options = Object.freeze({ url: 'ws://x/?room=1', headers: { a: 'b' } });
      expect(auth.applyAuthorization(options)).to.equal(options);
    });

    it('gives the credentials the function returns, sync or async', async () => {
      expect(await auth.credentials()).to.deep.equal({ token: 'a1' });
      const later = new FirstFrameAuthorization({
        credentials: () => Promise.resolve({ user: 'u', password: 'p' }),
      });
      expect(await later.credentials()).to.deep.equal({ user: 'u', password: 'p' });
      const bare = Object.assign(Object.create(null) as Record<string, unknown>, { token: 't' });
      expect(await new FirstFrameAuthorization({ credentials: () => bare }).credentials()).to.equal(
        bare,
      );
    });

    it('throws a TypeError when the credentials are not a plain object', async () => {
      for (const value of [null, 'token', 42, ['t'], new Map(), new (class Creds {})()]) {
        const bad = new FirstFrameAuthorization({ credentials: () => value as never });
        const error = await rejection(bad.credentials());
        expect(error, Object.prototype.toString.call(value)).to.be.instanceOf(TypeError);
        expect((error as Error).message).to.match(/plain object/);
      }
    });

    it('throws a TypeError without a credentials option', async () => {
      const serverOnly = new FirstFrameAuthorization({ verify: new TokenRegistry() });
      expect(await rejection(serverOnly.credentials())).to.be.instanceOf(TypeError);
    });
  });

  describe('server side, with a TokenVerifier', () => {
    const registry = new TokenRegistry({ users: { alice: 'a1' } });
    const auth = new FirstFrameAuthorization({ verify: registry });

    it('expects a first frame and recognises every handshake', () => {
      expect(auth.expectsFirstFrame()).to.equal(true);
      expect(auth.recognizes()).to.equal(true);
    });

    it("admits the frame's valid token", async () => {
      expect(await auth.authorize(handshake({ auth: { token: 'a1' } }))).to.deep.equal(ALICE);
    });

    it('refuses a wrong token with the verifier verdict', async () => {
      expect(await auth.authorize(handshake({ auth: { token: 'nope' } }))).to.equal(
        INVALID_CREDENTIALS,
      );
    });

    it('refuses credentials without a non-empty string token with NO_CREDENTIALS', async () => {
      for (const credentials of [{}, { token: '' }, { token: 42 }, { password: 'a1' }])
        expect(
          await auth.authorize(handshake({ auth: credentials })),
          JSON.stringify(credentials),
        ).to.equal(NO_CREDENTIALS);
    });

    it('never reads the URL or headers', async () => {
      expect(
        await auth.authorize(
          handshake({ query: { token: 'a1' }, headers: { authorization: 'Bearer a1' } }),
        ),
      ).to.equal(NO_CREDENTIALS);
    });

    it("passes on the verifier's revocations", () => {
      const registry = new TokenRegistry({ users: { bob: 'b1' } });
      const listener = sinon.fake();
      const unsubscribe = new FirstFrameAuthorization({ verify: registry }).onRevoke(listener);
      registry.removeUser('bob');
      expect(listener.calledOnceWithExactly('bob')).to.equal(true);
      unsubscribe();
      registry.setUser('bob', 'b1');
      registry.removeUser('bob');
      expect(listener.callCount).to.equal(1);
    });
  });

  describe('server side, with a function', () => {
    it('gives it the whole credentials object and the handshake, and returns its verdict', async () => {
      const verdict = { ok: true, principal: { id: 'u' } } as const;
      const verify = sinon.fake.resolves(verdict);
      const auth = new FirstFrameAuthorization({ verify });
      const h = handshake({ auth: { user: 'u', password: 'p' } });
      expect(await auth.authorize(h)).to.equal(verdict);
      expect(verify.calledOnceWithExactly(h.auth, h)).to.equal(true);
    });

    it('returns its denial as is', async () => {
      const denial = { ok: false, code: 'UNAUTHORIZED', reason: 'banned' } as const;
      const auth = new FirstFrameAuthorization({ verify: () => denial });
      expect(await auth.authorize(handshake({ auth: { user: 'u' } }))).to.equal(denial);
    });

    it('has no revocations to pass on', () => {
      const auth = new FirstFrameAuthorization({ verify: () => NO_CREDENTIALS });
      expect(() => auth.onRevoke(sinon.fake())()).to.not.throw();
    });
  });

  it('throws a TypeError on authorize without verify', () => {
    const clientOnly = new FirstFrameAuthorization({ credentials: () => ({}) });
    expect(() => clientOnly.authorize(handshake({ auth: { token: 't' } }))).to.throw(
      TypeError,
      /verify/,
    );
  });
});
