// JwtAuthorization (plugsocket/jwt) as a verifier and a server-side strategy: every algorithm,
// every refusal, every token location, key confusion, and the clock edges, on a fixed clock.
import { expect } from 'chai';
import {
  base64url,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  generateSecret,
  SignJWT,
  type CryptoKey,
  type JWTPayload,
} from 'jose';
import { createSecretKey, generateKeyPairSync } from 'node:crypto';
import sinon from 'sinon';
import {
  DEFAULT_CLOCK_TOLERANCE,
  JWT_REFUSALS,
  JwtAuthorization,
  MAX_TOKEN_LENGTH,
  type JwtAlgorithm,
  type JwtPrincipal,
} from '../../../adapters/jwt/index.js';
import type { AuthorizationResult } from '../../../src/ports/authorization-strategy.js';
import type { Handshake } from '../../../src/ports/types.js';

/** 2030-01-01T00:00:00Z, in seconds: every token and check below is relative to it. */
const NOW = 1_893_456_000;
const SECRET = 'a-test-secret-that-is-at-least-64-bytes-long-for-hs512-0123456789';

function handshake(parts: Partial<Handshake> = {}): Handshake {
  return Object.freeze({ url: '', headers: {}, query: {}, auth: {}, ...parts });
}

interface SignOptions {
  alg?: string;
  kid?: string;
  iat?: number | false;
}

function sign(
  claims: JWTPayload,
  key: CryptoKey | Uint8Array,
  { alg = 'HS256', kid, iat = NOW }: SignOptions = {},
): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT', ...(kid ? { kid } : {}) });
  if (iat !== false) jwt.setIssuedAt(iat);
  return jwt.sign(key);
}

const secretBytes = new TextEncoder().encode(SECRET);
const base = { sub: 'alice', exp: NOW + 3600 };

function refusedWith(result: AuthorizationResult<unknown>, reason: string): void {
  expect(result).to.deep.equal({ ok: false, code: 'AUTHENTICATION_FAILED', reason });
}

function b64json(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

describe('JwtAuthorization', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    // Only Date is faked: jose reads the time with `new Date()`.
    clock = sinon.useFakeTimers({ now: NOW * 1000, toFake: ['Date'] });
  });
  afterEach(() => clock.restore());

  describe('#verify accepts a valid token', () => {
    for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
      it(`signed with ${alg} and a secret`, async () => {
        const jwt = new JwtAuthorization({ algorithms: [alg], key: SECRET });
        const result = await jwt.verify(await sign(base, secretBytes, { alg }));
        expect(result.ok).to.equal(true);
      });
    }

    for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
      it(`signed with ${alg}, verified with the public key as CryptoKey, KeyObject and JWK`, async () => {
        const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
        const token = await sign(base, privateKey, { alg });
        const pem = await exportSPKI(publicKey);
        const { createPublicKey } = await import('node:crypto');
        for (const key of [publicKey, createPublicKey(pem), await exportJWK(publicKey)]) {
          const result = await new JwtAuthorization({ algorithms: [alg], key }).verify(token);
          expect(result.ok, `key as ${key.constructor.name}`).to.equal(true);
        }
      });
    }

    it('with a secret given as a KeyObject, an oct JWK and a Uint8Array', async () => {
      const token = await sign(base, secretBytes);
      const keys = [
        createSecretKey(secretBytes),
        { kty: 'oct', k: base64url.encode(secretBytes) },
        secretBytes,
      ];
      for (const key of keys) {
        const result = await new JwtAuthorization({ algorithms: ['HS256'], key }).verify(token);
        expect(result.ok).to.equal(true);
      }
    });

    it('resolves the principal (claims frozen, id = sub) and expiresAt = exp × 1000', async () => {
      const jwt = new JwtAuthorization({ algorithms: ['HS256'], key: SECRET });
      const claims = { ...base, id: 'not-the-subject', roles: ['admin'] };
      const result = await jwt.verify(await sign(claims, secretBytes));
      if (!result.ok) throw new Error('refused');
      expect(result.expiresAt).to.equal((NOW + 3600) * 1000);
      const principal: JwtPrincipal = result.principal;
      expect(principal).to.deep.equal({ ...claims, id: 'alice', iat: NOW });
      expect(Object.isFrozen(principal)).to.equal(true);
      expect(Object.isFrozen(principal.roles)).to.equal(true);
    });

    it('without exp: no expiresAt, and a principal without sub has id undefined', async () => {
      const jwt = new JwtAuthorization({ algorithms: ['HS256'], key: SECRET });
      const result = await jwt.verify(await sign({ name: 'x' }, secretBytes));
      if (!result.ok) throw new Error('refused');
      expect(result).to.not.have.property('expiresAt');
      expect(result.principal.id).to.equal(undefined);
    });

    it('builds the principal with the principal option, sync or async', async () => {
      const token = await sign(base, secretBytes);
      const sync = new JwtAuthorization({
        algorithms: ['HS256'],
        key: SECRET,
        principal: (claims) => ({ user: String(claims.sub) }),
      });
      const asyncJwt = new JwtAuthorization({
        algorithms: ['HS256'],
        key: SECRET,
        principal: (claims) => Promise.resolve(`user:${String(claims.sub)}`),
      });
      expect(await sync.verify(token)).to.deep.include({ ok: true, principal: { user: 'alice' } });
      expect(await asyncJwt.verify(token)).to.deep.include({ ok: true, principal: 'user:alice' });
    });

    it('rejects (a server error, not a refusal) when the principal option throws', async () => {
      const jwt = new JwtAuthorization({
        algorithms: ['HS256'],
        key: SECRET,
        principal: () => {
          throw new Error('boom');
        },
      });
      let caught: unknown;
      await jwt.verify(await sign(base, secretBytes)).catch((e: unknown) => (caught = e));
      expect((caught as Error).message).to.equal('boom');
    });

    it('checks iss, aud (any of several) and requiredClaims when configured', async () => {
      const jwt = new JwtAuthorization({
        algorithms: ['HS256'],
        key: SECRET,
        issuer: ['https://a.example/', 'https://b.example/'],
        audience: 'chat',
        requiredClaims: ['sub'],
      });
      const token = await sign(
        { ...base, iss: 'https://b.example/', aud: ['other', 'chat'] },
        secretBytes,
      );
      expect((await jwt.verify(token)).ok).to.equal(true);
    });
  });

  describe('#verify refuses', () => {
    const jwt = (): JwtAuthorization =>
      new JwtAuthorization({
        algorithms: ['HS256'],
        key: SECRET,
        issuer: 'https://issuer.example/',
        audience: 'chat',
      });
    const good = { ...base, iss: 'https://issuer.example/', aud: 'chat' };

    it('a token it would accept (the control for the cases below)', async () => {
      expect((await jwt().verify(await sign(good, secretBytes))).ok).to.equal(true);
    });

    it('a token signed with another secret: invalid token', async () => {
      const other = new TextEncoder().encode(`${SECRET}-but-another`);
      refusedWith(await jwt().verify(await sign(good, other)), 'invalid token');
    });

    it('a token signed with another key pair: invalid token', async () => {
      const mine = await generateKeyPair('ES256');
      const theirs = await generateKeyPair('ES256');
      const verifier = new JwtAuthorization({ algorithms: ['ES256'], key: mine.publicKey });
      const token = await sign(base, theirs.privateKey, { alg: 'ES256' });
      refusedWith(await verifier.verify(token), 'invalid token');
    });

    it('an expired token: token expired', async () => {
      const token = await sign({ ...good, exp: NOW - 60 }, secretBytes, { iat: NOW - 120 });
      refusedWith(await jwt().verify(token), 'token expired');
    });

    it('a token not yet valid (nbf in the future): invalid token', async () => {
      refusedWith(
        await jwt().verify(await sign({ ...good, nbf: NOW + 60 }, secretBytes)),
        'invalid token',
      );
    });

    it('a token for another audience, or none: invalid token', async () => {
      refusedWith(
        await jwt().verify(await sign({ ...good, aud: 'billing' }, secretBytes)),
        'invalid token',
      );
      refusedWith(
        await jwt().verify(await sign({ ...base, iss: good.iss }, secretBytes)),
        'invalid token',
      );
    });

    it('a token from another issuer, or none: invalid token', async () => {
      refusedWith(
        await jwt().verify(await sign({ ...good, iss: 'https://evil.example/' }, secretBytes)),
        'invalid token',
      );
      refusedWith(
        await jwt().verify(await sign({ ...base, aud: 'chat' }, secretBytes)),
        'invalid token',
      );
    });

    it('a token whose signature was changed: invalid token', async () => {
      const [h, p, s] = (await sign(good, secretBytes)).split('.');
      // A character in the middle: the last one may carry only padding bits.
      const i = 10;
      const flipped = s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
      refusedWith(await jwt().verify(`${h}.${p}.${flipped}`), 'invalid token');
      refusedWith(await jwt().verify(`${h}.${p}.`), 'invalid token');
    });

    it('a token whose payload was changed (signature kept): invalid token', async () => {
      const [h, , s] = (await sign(good, secretBytes)).split('.');
      const forged = b64json({ ...good, iat: NOW, sub: 'admin' });
      refusedWith(await jwt().verify(`${h}.${forged}.${s}`), 'invalid token');
    });

    it('an unsigned token (alg none, any spelling): invalid token', async () => {
      const payload = b64json({ ...good, iat: NOW });
      for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
        const header = b64json({ alg, typ: 'JWT' });
        refusedWith(await jwt().verify(`${header}.${payload}.`), 'invalid token');
      }
    });

    it('a token with an algorithm not listed, even with the right secret: invalid token', async () => {
      refusedWith(
        await jwt().verify(await sign(good, secretBytes, { alg: 'HS512' })),
        'invalid token',
      );
    });

    it('missing or requiredClaims-missing, too old, malformed or oversized tokens', async () => {
      const strict = new JwtAuthorization({
        algorithms: ['HS256'],
        key: SECRET,
        requiredClaims: ['exp', 'scope'],
      });
      refusedWith(await strict.verify(''), 'no credentials');
      refusedWith(await strict.verify(await sign(base, secretBytes)), 'invalid token');
      const aged = new JwtAuthorization({ algorithms: ['HS256'], key: SECRET, maxTokenAge: 60 });
      const old = await sign(base, secretBytes, { iat: NOW - 61 - DEFAULT_CLOCK_TOLERANCE });
      refusedWith(await aged.verify(old), 'token expired');
      refusedWith(
        await aged.verify(await sign(base, secretBytes, { iat: false })),
        'invalid token',
      );
      for (const junk of ['x', 'a.b.c', '...', '\u0000.\u0000.\u0000']) {
        refusedWith(await jwt().verify(junk), 'invalid token');
      }
      const huge = await sign({ ...good, pad: 'x'.repeat(MAX_TOKEN_LENGTH) }, secretBytes);
      refusedWith(await jwt().verify(huge), 'invalid token');
    });

    it('never says which check failed, nor echoes the token', () => {
      for (const r of Object.values(JWT_REFUSALS)) {
        expect(Object.isFrozen(r)).to.equal(true);
        expect(r.reason).to.match(
          /^(no credentials|invalid token|token expired|key set unavailable)$/,
        );
      }
    });
  });

  describe('HS/RS key confusion', () => {
    let rsa: { publicKey: CryptoKey; privateKey: CryptoKey };
    let pem: string;
    before(async () => {
      rsa = await generateKeyPair('RS256', { extractable: true });
      pem = await exportSPKI(rsa.publicKey);
    });

    it('refuses a token HMAC-signed with the public key bytes (PEM and DER) as secret', async () => {
      const jwt = new JwtAuthorization({ algorithms: ['RS256'], key: rsa.publicKey });
      expect((await jwt.verify(await sign(base, rsa.privateKey, { alg: 'RS256' }))).ok).to.equal(
        true,
      );
      const der = new Uint8Array(await crypto.subtle.exportKey('spki', rsa.publicKey));
      for (const secret of [new TextEncoder().encode(pem), der]) {
        for (const alg of ['HS256', 'HS384', 'HS512']) {
          refusedWith(await jwt.verify(await sign(base, secret, { alg })), 'invalid token');
        }
      }
    });

    it('refuses the same forgery against a key set holding the RSA key', async () => {
      const jwk = { ...(await exportJWK(rsa.publicKey)), kid: 'k1' };
      const jwt = new JwtAuthorization({ algorithms: ['RS256'], jwks: { keys: [jwk] } });
      const forged = await sign(base, new TextEncoder().encode(pem), { alg: 'HS256', kid: 'k1' });
      refusedWith(await jwt.verify(forged), 'invalid token');
    });

    it('will not be built with an RSA key and an HMAC algorithm, nor with a PEM string as secret', async () => {
      const { createPublicKey } = await import('node:crypto');
      expect(
        () => new JwtAuthorization({ algorithms: ['RS256', 'HS256'], key: rsa.publicKey }),
      ).to.throw(TypeError, /HS256 needs an HMAC key/);
      expect(
        () => new JwtAuthorization({ algorithms: ['HS256'], key: createPublicKey(pem) }),
      ).to.throw(TypeError, /one key never serves two algorithm families/);
      expect(() => new JwtAuthorization({ algorithms: ['HS256'], key: pem })).to.throw(
        TypeError,
        /PEM string is not an HMAC secret/,
      );
      expect(() => new JwtAuthorization({ algorithms: ['RS256'], key: pem })).to.throw(TypeError);
      expect(() => new JwtAuthorization({ algorithms: ['RS256'], key: SECRET })).to.throw(
        TypeError,
        /RS256 needs an RSA key/,
      );
    });

    it('will not use an EC key for EdDSA, nor a P-384 key for ES256', async () => {
      const ec = await generateKeyPair('ES256');
      expect(() => new JwtAuthorization({ algorithms: ['EdDSA'], key: ec.publicKey })).to.throw(
        TypeError,
      );
      const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey;
      expect(() => new JwtAuthorization({ algorithms: ['ES256'], key: p384 })).to.throw(TypeError);
    });
  });

  describe('#authorize and #recognizes read the token where readBearerToken does', () => {
    let token: string;
    const jwt = (queryParam?: string | false): JwtAuthorization =>
      new JwtAuthorization({
        algorithms: ['HS256'],
        key: SECRET,
        ...(queryParam === undefined ? {} : { queryParam }),
      });
    before(async () => {
      // `before` runs outside the fake clock: the token does not depend on the time
      token = await sign(base, secretBytes);
    });

    it('from auth.token', async () => {
      const h = handshake({ auth: { token } });
      expect((await jwt().authorize(h)).ok).to.equal(true);
      expect(jwt().recognizes(h)).to.equal(true);
    });

    it('from the Authorization: Bearer header', async () => {
      const h = handshake({ headers: { authorization: `Bearer ${token}` } });
      expect((await jwt().authorize(h)).ok).to.equal(true);
      expect(jwt().recognizes(h)).to.equal(true);
    });

    it('from the token query parameter, or the one configured', async () => {
      expect((await jwt().authorize(handshake({ query: { token } }))).ok).to.equal(true);
      const custom = handshake({ query: { access_token: token } });
      expect((await jwt('access_token').authorize(custom)).ok).to.equal(true);
      refusedWith(await jwt().authorize(custom), 'no credentials');
    });

    it('never from the URL with queryParam: false', async () => {
      const h = handshake({ url: `/?token=${token}`, query: { token } });
      refusedWith(await jwt(false).authorize(h), 'no credentials');
      expect(jwt(false).recognizes(h)).to.equal(false);
    });

    it('auth.token first: a bad one there is not rescued by a good one in the URL', async () => {
      const h = handshake({ auth: { token: 'garbage' }, query: { token } });
      refusedWith(await jwt().authorize(h), 'invalid token');
    });

    it('refuses a handshake without a token with no credentials', async () => {
      const h = handshake({ headers: { authorization: 'Basic dXNlcjpwYXNz' }, auth: { token: 1 } });
      refusedWith(await jwt().authorize(h), 'no credentials');
      expect(jwt().recognizes(h)).to.equal(false);
    });

    it('adds nothing client side', () => {
      const options = { url: 'ws://127.0.0.1:1/', auth: { token } };
      expect(jwt().applyAuthorization(options)).to.equal(options);
    });
  });

  describe('clock tolerance, on a fixed clock', () => {
    const at = (seconds: number): void => clock.setSystemTime(seconds * 1000);
    const verify = async (claims: JWTPayload, clockTolerance?: number): Promise<string | true> => {
      const jwt = new JwtAuthorization({
        algorithms: ['HS256'],
        key: SECRET,
        ...(clockTolerance === undefined ? {} : { clockTolerance }),
      });
      const result = await jwt.verify(await sign(claims, secretBytes, { iat: false }));
      return result.ok ? true : result.reason;
    };

    it(`allows ${DEFAULT_CLOCK_TOLERANCE} s past exp by default, not one more`, async () => {
      const exp = NOW;
      at(exp + DEFAULT_CLOCK_TOLERANCE - 1);
      expect(await verify({ exp })).to.equal(true);
      at(exp + DEFAULT_CLOCK_TOLERANCE);
      expect(await verify({ exp })).to.equal('token expired');
    });

    it('with clockTolerance 0, a token is expired from the second of exp', async () => {
      at(NOW - 1);
      expect(await verify({ exp: NOW }, 0)).to.equal(true);
      at(NOW);
      expect(await verify({ exp: NOW }, 0)).to.equal('token expired');
    });

    it('accepts nbf up to the tolerance ahead, not one second more', async () => {
      at(NOW);
      expect(await verify({ nbf: NOW + DEFAULT_CLOCK_TOLERANCE })).to.equal(true);
      expect(await verify({ nbf: NOW + DEFAULT_CLOCK_TOLERANCE + 1 })).to.equal('invalid token');
      expect(await verify({ nbf: NOW + 30 }, 30)).to.equal(true);
      expect(await verify({ nbf: NOW + 1 }, 0)).to.equal('invalid token');
      expect(await verify({ nbf: NOW }, 0)).to.equal(true);
    });

    it('applies it to maxTokenAge too', async () => {
      const jwt = new JwtAuthorization({
        algorithms: ['HS256'],
        key: SECRET,
        maxTokenAge: 60,
        clockTolerance: 10,
      });
      const token = await sign({}, secretBytes, { iat: NOW });
      at(NOW + 70);
      expect((await jwt.verify(token)).ok).to.equal(true);
      at(NOW + 71);
      refusedWith(await jwt.verify(token), 'token expired');
    });
  });

  describe('every listed algorithm, one verifier per family', () => {
    it('accepts HS256, HS384 and HS512 with one 64-byte secret', async () => {
      const algorithms: JwtAlgorithm[] = ['HS256', 'HS384', 'HS512'];
      const jwt = new JwtAuthorization({ algorithms, key: SECRET });
      for (const alg of algorithms) {
        expect((await jwt.verify(await sign(base, secretBytes, { alg }))).ok, alg).to.equal(true);
      }
    });

    it('accepts a generated secret of exactly the minimum size', async () => {
      const key = await generateSecret('HS256', { extractable: true });
      const jwt = new JwtAuthorization({ algorithms: ['HS256'], key });
      expect((await jwt.verify(await sign(base, key))).ok).to.equal(true);
    });
  });
});
