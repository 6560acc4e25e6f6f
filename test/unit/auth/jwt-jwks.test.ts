// JwtAuthorization with a JSON Web Key Set: as a value, and fetched from a URL (a loopback HTTP
// server that counts fetches): cached between verifications, refetched for an unknown kid only
// after the cooldown, refetched when the cache ages out, and a fetch failure refused as
// 'key set unavailable' and reported. Only Date is faked, so sockets and fetch run for real.
import { expect } from 'chai';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sinon from 'sinon';
import { JwtAuthorization } from '../../../adapters/jwt/index.js';
import type { AuthorizationResult } from '../../../src/ports/authorization-strategy.js';

const NOW = 1_893_456_000;

interface Signer {
  kid: string;
  alg: 'RS256' | 'ES256' | 'EdDSA';
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signer(kid: string, alg: Signer['alg']): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function sign(s: Signer, claims: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ sub: 'alice', exp: NOW + 3600, ...claims })
    .setProtectedHeader({ alg: s.alg, kid: s.kid })
    .setIssuedAt(NOW)
    .sign(s.privateKey);
}

function reasonOf(result: AuthorizationResult<unknown>): string | true {
  return result.ok ? true : result.reason;
}

describe('JwtAuthorization with a key set', () => {
  let clock: sinon.SinonFakeTimers;
  let rsa: Signer;
  let ec: Signer;
  let ed: Signer;
  let rotated: Signer;
  before(async () => {
    [rsa, ec, ed, rotated] = await Promise.all([
      signer('rsa-1', 'RS256'),
      signer('ec-1', 'ES256'),
      signer('ed-1', 'EdDSA'),
      signer('rsa-2', 'RS256'),
    ]);
  });
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: NOW * 1000, toFake: ['Date'] });
  });
  afterEach(() => clock.restore());

  describe('given as a value', () => {
    it('selects the key by kid and alg, for every asymmetric algorithm', async () => {
      const jwt = new JwtAuthorization({
        algorithms: ['RS256', 'ES256', 'EdDSA'],
        jwks: { keys: [rsa.jwk, ec.jwk, ed.jwk] },
      });
      for (const s of [rsa, ec, ed])
        expect(reasonOf(await jwt.verify(await sign(s))), s.alg).to.equal(true);
    });

    it('refuses a kid it does not hold, a listed alg it was not given, and a key of the wrong kid', async () => {
      const jwt = new JwtAuthorization({ algorithms: ['RS256'], jwks: { keys: [rsa.jwk] } });
      expect(reasonOf(await jwt.verify(await sign(rotated)))).to.equal('invalid token');
      expect(reasonOf(await jwt.verify(await sign(ec)))).to.equal('invalid token');
      const lying = await new SignJWT({ sub: 'x' })
        .setProtectedHeader({ alg: 'RS256', kid: rsa.kid })
        .sign(rotated.privateKey);
      expect(reasonOf(await jwt.verify(lying))).to.equal('invalid token');
    });

    it('will not be built with HMAC algorithms, private members or a malformed set', async () => {
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      const priv = await exportJWK(privateKey);
      expect(
        () => new JwtAuthorization({ algorithms: ['HS256'], jwks: { keys: [rsa.jwk] } }),
      ).to.throw(TypeError, /cannot be used with a key set/);
      expect(
        () => new JwtAuthorization({ algorithms: ['ES256'], jwks: { keys: [priv] } }),
      ).to.throw(TypeError, /public key/);
      expect(
        () =>
          new JwtAuthorization({
            algorithms: ['ES256'],
            jwks: { keys: [{ kty: 'oct', k: 'abc' }] },
          }),
      ).to.throw(TypeError);
      expect(() => new JwtAuthorization({ algorithms: ['ES256'], jwks: { keys: [] } })).to.throw(
        TypeError,
      );
    });
  });

  describe('fetched from a URL', () => {
    let server: Server;
    let url: string;
    let fetches: number;
    let served: { status: number; body: unknown };

    beforeEach(async () => {
      fetches = 0;
      served = { status: 200, body: { keys: [rsa.jwk] } };
      server = createServer((_req, res) => {
        fetches += 1;
        res.writeHead(served.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(served.body));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    });
    afterEach(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('fetches on the first verification only, and caches the set between verifications', async () => {
      const jwt = new JwtAuthorization({ algorithms: ['RS256'], jwks: url });
      expect(jwt.usesRemoteKeySet).to.equal(true);
      expect(fetches).to.equal(0);
      const token = await sign(rsa);
      expect(reasonOf(await jwt.verify(token))).to.equal(true);
      expect(reasonOf(await jwt.verify(token))).to.equal(true);
      clock.tick(60_000);
      expect(reasonOf(await jwt.verify(token))).to.equal(true);
      expect(fetches).to.equal(1);
    });

    it('shares one fetch between concurrent first verifications', async () => {
      const jwt = new JwtAuthorization({ algorithms: ['RS256'], jwks: new URL(url) });
      const token = await sign(rsa);
      const results = await Promise.all([1, 2, 3, 4, 5].map(() => jwt.verify(token)));
      expect(results.map(reasonOf)).to.deep.equal([true, true, true, true, true]);
      expect(fetches).to.equal(1);
    });

    it('refetches for an unknown kid (key rotation), but not again within the cooldown', async () => {
      const jwt = new JwtAuthorization({ algorithms: ['RS256'], jwks: url, jwksCooldown: 30_000 });
      expect(reasonOf(await jwt.verify(await sign(rsa)))).to.equal(true);
      expect(fetches).to.equal(1);
      // The issuer rotates: its set now also holds rsa-2.
      served.body = { keys: [rsa.jwk, rotated.jwk] };
      const fresh = await sign(rotated);
      clock.tick(29_999);
      expect(reasonOf(await jwt.verify(fresh))).to.equal('invalid token');
      expect(reasonOf(await jwt.verify(await sign(rsa)))).to.equal(true);
      expect(fetches, 'no refetch within the cooldown').to.equal(1);
      clock.tick(1);
      expect(reasonOf(await jwt.verify(fresh))).to.equal(true);
      expect(fetches).to.equal(2);
      expect(reasonOf(await jwt.verify(fresh))).to.equal(true);
      expect(fetches).to.equal(2);
    });

    it('forged kids cost at most one fetch per cooldown', async () => {
      const jwt = new JwtAuthorization({ algorithms: ['RS256'], jwks: url });
      for (let i = 0; i < 20; i++) {
        const forged = await new SignJWT({})
          .setProtectedHeader({ alg: 'RS256', kid: `forged-${i}` })
          .sign(rotated.privateKey);
        expect(reasonOf(await jwt.verify(forged))).to.equal('invalid token');
      }
      expect(fetches).to.equal(1);
    });

    it('refetches once the cache is older than jwksCacheMaxAge', async () => {
      const jwt = new JwtAuthorization({
        algorithms: ['RS256'],
        jwks: url,
        jwksCacheMaxAge: 120_000,
      });
      const token = await sign(rsa);
      await jwt.verify(token);
      clock.tick(119_999);
      await jwt.verify(token);
      expect(fetches).to.equal(1);
      clock.tick(1);
      expect(reasonOf(await jwt.verify(token))).to.equal(true);
      expect(fetches).to.equal(2);
    });

    it('never fetches for a token refused before key selection (alg none, an alg not listed)', async () => {
      const jwt = new JwtAuthorization({ algorithms: ['RS256'], jwks: url });
      const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`;
      expect(reasonOf(await jwt.verify(none))).to.equal('invalid token');
      expect(reasonOf(await jwt.verify(await sign(ec)))).to.equal('invalid token');
      expect(reasonOf(await jwt.verify('not.a.jwt'))).to.equal('invalid token');
      expect(fetches).to.equal(0);
    });

    it('refuses with key set unavailable and tells onError when the set cannot be fetched', async () => {
      const errors: unknown[] = [];
      const jwt = new JwtAuthorization({
        algorithms: ['RS256'],
        jwks: url,
        onError: (error) => {
          errors.push(error);
          throw new Error('observers may throw');
        },
      });
      const token = await sign(rsa);
      served = { status: 500, body: { error: 'down' } };
      expect(reasonOf(await jwt.verify(token))).to.equal('key set unavailable');
      served = { status: 200, body: { not: 'a key set' } };
      expect(reasonOf(await jwt.verify(token))).to.equal('key set unavailable');
      expect(errors).to.have.length(2);
      expect(errors.every((e) => e instanceof Error)).to.equal(true);
      served = { status: 200, body: { keys: [rsa.jwk] } };
      expect(reasonOf(await jwt.verify(token))).to.equal(true);
    });

    it('refuses with key set unavailable when the server is unreachable or too slow', async () => {
      const errors: unknown[] = [];
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      const jwt = new JwtAuthorization({
        algorithms: ['RS256'],
        jwks: url,
        onError: (e) => void errors.push(e),
      });
      expect(reasonOf(await jwt.verify(await sign(rsa)))).to.equal('key set unavailable');
      expect(errors).to.have.length(1);
      // reopened for afterEach, on a server that never answers: jwksTimeout decides
      server = createServer(() => void (fetches += 1));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const slowUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const slow = new JwtAuthorization({
        algorithms: ['RS256'],
        jwks: slowUrl,
        jwksTimeout: 50,
        onError: (e) => void errors.push(e),
      });
      expect(reasonOf(await slow.verify(await sign(rsa)))).to.equal('key set unavailable');
      expect((errors[1] as { code?: string }).code).to.equal('ERR_JWKS_TIMEOUT');
    });

    it('sends jwksHeaders with the request', async () => {
      let seen: string | undefined;
      server.removeAllListeners('request');
      server.on('request', (req, res) => {
        seen = req.headers['x-api-key'] as string | undefined;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: [rsa.jwk] }));
      });
      const jwt = new JwtAuthorization({
        algorithms: ['RS256'],
        jwks: url,
        jwksHeaders: { 'x-api-key': 'k' },
      });
      expect(reasonOf(await jwt.verify(await sign(rsa)))).to.equal(true);
      expect(seen).to.equal('k');
    });
  });
});
