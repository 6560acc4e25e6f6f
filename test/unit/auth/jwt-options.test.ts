// JwtAuthorization's options: a mistake is a TypeError or RangeError at construction, never a
// strategy that silently accepts more than meant.
import { expect } from 'chai';
import { generateKeyPair } from 'jose';
import { createSecretKey, generateKeyPairSync } from 'node:crypto';
import {
  JwtAuthorization,
  MAX_CLOCK_TOLERANCE,
  type JwtAuthorizationOptions,
} from '../../../adapters/jwt/index.js';

const SECRET = 'a-test-secret-that-is-at-least-64-bytes-long-for-hs512-0123456789';
const ok: JwtAuthorizationOptions = { algorithms: ['HS256'], key: SECRET };

function build(options: unknown): JwtAuthorization {
  return new JwtAuthorization(options as JwtAuthorizationOptions);
}

describe('JwtAuthorization options', () => {
  it('accepts a minimal valid configuration', () => {
    expect(build(ok)).to.be.instanceOf(JwtAuthorization);
  });

  it('requires the algorithms to be listed explicitly', () => {
    expect(() => build({ key: SECRET })).to.throw(TypeError, /algorithms must list/);
    expect(() => build({ key: SECRET, algorithms: [] })).to.throw(
      TypeError,
      /algorithms must list/,
    );
    expect(() => build({ key: SECRET, algorithms: 'HS256' })).to.throw(TypeError);
  });

  it('refuses none in any spelling, and algorithms it does not support', () => {
    for (const alg of ['none', 'NONE', 'None']) {
      expect(() => build({ key: SECRET, algorithms: ['HS256', alg] })).to.throw(TypeError, /none/);
    }
    for (const alg of ['RS512', 'PS256', 'ES384', 'hs256', 42]) {
      expect(() => build({ key: SECRET, algorithms: [alg] }), String(alg)).to.throw(TypeError);
    }
  });

  it('refuses options it does not know (a typo must not drop a check)', () => {
    expect(() => build({ ...ok, audiance: 'chat' })).to.throw(
      TypeError,
      /unknown option "audiance"/,
    );
    expect(() => build(null)).to.throw(TypeError);
    expect(() => build('HS256')).to.throw(TypeError);
  });

  it('needs exactly one of key and jwks', () => {
    expect(() => build({ algorithms: ['RS256'] })).to.throw(
      TypeError,
      /exactly one of key and jwks/,
    );
    expect(() =>
      build({ algorithms: ['RS256'], key: SECRET, jwks: 'https://issuer.example/jwks' }),
    ).to.throw(TypeError, /exactly one of key and jwks/);
  });

  it('refuses HMAC secrets shorter than the hash (RFC 7518 §3.2) and empty ones', () => {
    expect(() => build({ algorithms: ['HS256'], key: 'short' })).to.throw(RangeError, /32 bytes/);
    expect(() => build({ algorithms: ['HS256'], key: 'x'.repeat(32) })).to.not.throw();
    expect(() => build({ algorithms: ['HS384'], key: 'x'.repeat(47) })).to.throw(RangeError, /48/);
    expect(() => build({ algorithms: ['HS512'], key: createSecretKey(Buffer.alloc(63)) })).to.throw(
      RangeError,
    );
    expect(() => build({ algorithms: ['HS256'], key: '' })).to.throw(TypeError, /empty/);
    expect(() => build({ algorithms: ['HS256'], key: new Uint8Array(0) })).to.throw(TypeError);
  });

  it('refuses private keys and things that are not keys', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    expect(() => build({ algorithms: ['EdDSA'], key: privateKey })).to.throw(
      TypeError,
      /public key/,
    );
    const pair = await generateKeyPair('ES256', { extractable: true });
    expect(() => build({ algorithms: ['ES256'], key: pair.privateKey })).to.throw(
      TypeError,
      /public/,
    );
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(() =>
      build({ algorithms: ['RS256'], key: rsa.privateKey.export({ format: 'jwk' }) }),
    ).to.throw(TypeError, /public JWK/);
    for (const key of [null, 42, { kty: 'XYZ' }, { kty: 'EC', crv: 'P-521' }]) {
      expect(() => build({ algorithms: ['ES256'], key }), JSON.stringify(key)).to.throw(TypeError);
    }
  });

  it('validates jwks: a key set, or an https: URL (http: only on loopback)', () => {
    const es = { algorithms: ['ES256'] };
    expect(() => build({ ...es, jwks: 'https://issuer.example/jwks' })).to.not.throw();
    expect(() => build({ ...es, jwks: 'http://127.0.0.1:1/jwks' })).to.not.throw();
    expect(() => build({ ...es, jwks: 'http://localhost:1/jwks' })).to.not.throw();
    expect(() => build({ ...es, jwks: 'http://[::1]:1/jwks' })).to.not.throw();
    expect(() => build({ ...es, jwks: 'http://issuer.example/jwks' })).to.throw(TypeError, /https/);
    expect(() => build({ ...es, jwks: 'file:///etc/jwks.json' })).to.throw(TypeError, /https/);
    expect(() => build({ ...es, jwks: 'not a url' })).to.throw(TypeError);
    expect(() => build({ ...es, jwks: { keys: 'no' } })).to.throw(TypeError);
    expect(() => build({ ...es, jwks: 42 })).to.throw(TypeError);
  });

  it('validates the URL key set options, and only allows them with a URL', () => {
    const remote = { algorithms: ['ES256'], jwks: 'https://issuer.example/jwks' };
    expect(() =>
      build({
        ...remote,
        jwksCooldown: 0,
        jwksCacheMaxAge: Infinity,
        jwksTimeout: 1000,
        jwksHeaders: { 'x-key': 'v' },
      }),
    ).to.not.throw();
    expect(() => build({ ...remote, jwksCooldown: -1 })).to.throw(RangeError);
    expect(() => build({ ...remote, jwksCooldown: 1.5 })).to.throw(RangeError);
    expect(() => build({ ...remote, jwksCacheMaxAge: NaN })).to.throw(TypeError);
    expect(() => build({ ...remote, jwksTimeout: Infinity })).to.throw(RangeError);
    expect(() => build({ ...remote, jwksTimeout: '5s' })).to.throw(TypeError);
    expect(() => build({ ...remote, jwksHeaders: { n: 1 } })).to.throw(TypeError);
    expect(() => build({ ...ok, jwksCooldown: 1000 })).to.throw(TypeError, /need a jwks URL/);
  });

  it('validates clockTolerance (0 to 300 s), maxTokenAge, issuer, audience, requiredClaims', () => {
    expect(() => build({ ...ok, clockTolerance: 0 })).to.not.throw();
    expect(() => build({ ...ok, clockTolerance: MAX_CLOCK_TOLERANCE })).to.not.throw();
    expect(() => build({ ...ok, clockTolerance: MAX_CLOCK_TOLERANCE + 1 })).to.throw(RangeError);
    expect(() => build({ ...ok, clockTolerance: -1 })).to.throw(RangeError);
    expect(() => build({ ...ok, clockTolerance: NaN })).to.throw(TypeError);
    expect(() => build({ ...ok, clockTolerance: '5s' })).to.throw(TypeError);
    expect(() => build({ ...ok, maxTokenAge: 0 })).to.throw(RangeError);
    expect(() => build({ ...ok, maxTokenAge: Infinity })).to.throw(RangeError);
    expect(() => build({ ...ok, maxTokenAge: '1h' })).to.throw(TypeError);
    expect(() => build({ ...ok, issuer: '' })).to.throw(TypeError);
    expect(() => build({ ...ok, issuer: [] })).to.throw(TypeError);
    expect(() => build({ ...ok, audience: ['chat', 7] })).to.throw(TypeError);
    expect(() => build({ ...ok, requiredClaims: ['sub', ''] })).to.throw(TypeError);
    expect(() => build({ ...ok, requiredClaims: 'sub' })).to.throw(TypeError);
  });

  it('validates principal, onError and queryParam', () => {
    expect(() => build({ ...ok, principal: 'sub' })).to.throw(TypeError);
    expect(() => build({ ...ok, onError: true })).to.throw(TypeError);
    expect(() => build({ ...ok, queryParam: '' })).to.throw(TypeError);
    expect(() => build({ ...ok, queryParam: true })).to.throw(TypeError);
    expect(() => build({ ...ok, queryParam: false })).to.not.throw();
  });

  it('keeps its own copy of a secret given as bytes', async () => {
    const bytes = new TextEncoder().encode(SECRET);
    const jwt = build({ algorithms: ['HS256'], key: bytes });
    const { SignJWT } = await import('jose');
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).sign(bytes);
    bytes.fill(0);
    expect((await jwt.verify(token)).ok).to.equal(true);
  });
});
