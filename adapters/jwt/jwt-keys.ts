// Which algorithms a verification key may serve. jose already refuses a key of the wrong type at
// verification time; checking here as well turns a misconfiguration (an RSA public key given with
// `HS256`, a PEM string given as an HMAC secret) into a TypeError at construction, before any
// token is seen, which is the only place the classic HS/RS key-confusion attack can be stopped
// for good.
import type { CryptoKey, JWK, KeyObject } from 'jose';

/** The signature algorithms `JwtAuthorization` accepts. `none` is never one of them. */
export type JwtAlgorithm = 'HS256' | 'HS384' | 'HS512' | 'RS256' | 'ES256' | 'EdDSA';

/** A family of algorithms that share one kind of key. */
export type KeyFamily = 'HMAC' | 'RSA' | 'EC P-256' | 'Ed25519';

/** @internal Each algorithm's key family, and for HMAC the least secret size in bytes. */
export const ALGORITHMS: Readonly<Record<JwtAlgorithm, { family: KeyFamily; minBytes?: number }>> =
  Object.freeze({
    // RFC 7518 §3.2: a key of the same size as the hash output or larger MUST be used.
    HS256: { family: 'HMAC', minBytes: 32 },
    HS384: { family: 'HMAC', minBytes: 48 },
    HS512: { family: 'HMAC', minBytes: 64 },
    RS256: { family: 'RSA' },
    ES256: { family: 'EC P-256' },
    EdDSA: { family: 'Ed25519' },
  });

/**
 * A verification key given as a value: an HMAC secret (a string, taken as its UTF-8 bytes, or
 * bytes), a Node `KeyObject`, a WebCrypto `CryptoKey`, or a JWK. Asymmetric keys must be public.
 */
export type JwtKey = string | Uint8Array | KeyObject | CryptoKey | JWK;

/** A key as jose takes it, with what it is. */
export interface ResolvedKey {
  readonly key: Uint8Array | KeyObject | CryptoKey | JWK;
  readonly family: KeyFamily;
  /** The size of an HMAC secret, in bytes. */
  readonly bytes?: number;
}

const encoder = new TextEncoder();

function tagOf(value: object): unknown {
  return (value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag];
}

/**
 * @internal Classifies a key given as a value; throws TypeError for anything that cannot verify a
 * signature (a private key, an unknown key type, an empty secret, a PEM string).
 */
export function resolveKey(key: unknown): ResolvedKey {
  if (typeof key === 'string') {
    if (key === '') throw new TypeError('key: an HMAC secret must not be empty');
    // A PEM given as a string would otherwise become an HMAC secret anyone holding the public
    // key knows: exactly the HS/RS confusion this strategy exists to refuse.
    if (/-----BEGIN [A-Z0-9 ]*KEY-----/.test(key)) {
      throw new TypeError(
        'key: a PEM string is not an HMAC secret; import it (jose importSPKI, crypto.createPublicKey) and pass the key object',
      );
    }
    const bytes = encoder.encode(key);
    return { key: bytes, family: 'HMAC', bytes: bytes.byteLength };
  }
  if (key instanceof Uint8Array) {
    if (key.byteLength === 0) throw new TypeError('key: an HMAC secret must not be empty');
    // A copy: the caller may reuse its buffer, and the secret must not change under us.
    return { key: key.slice(), family: 'HMAC', bytes: key.byteLength };
  }
  if (typeof key !== 'object' || key === null) {
    throw new TypeError(
      'key must be a secret (string or Uint8Array), a KeyObject, a CryptoKey or a JWK',
    );
  }
  const tag = tagOf(key);
  if (tag === 'KeyObject') return resolveKeyObject(key as KeyObject);
  if (tag === 'CryptoKey') return resolveCryptoKey(key as CryptoKey);
  return resolveJwk(key);
}

function resolveKeyObject(key: KeyObject): ResolvedKey {
  const k = key as KeyObject & {
    type?: string;
    asymmetricKeyType?: string;
    asymmetricKeyDetails?: { namedCurve?: string };
    symmetricKeySize?: number;
  };
  if (k.type === 'secret') return { key, family: 'HMAC', bytes: k.symmetricKeySize ?? 0 };
  if (k.type !== 'public') throw new TypeError('key: give the public key, not the private key');
  switch (k.asymmetricKeyType) {
    case 'rsa':
      return { key, family: 'RSA' };
    case 'ec':
      if (k.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { key, family: 'EC P-256' };
      break;
    case 'ed25519':
      return { key, family: 'Ed25519' };
  }
  throw new TypeError(`key: unsupported key type ${String(k.asymmetricKeyType)}`);
}

function resolveCryptoKey(key: CryptoKey): ResolvedKey {
  const k = key as {
    type?: string;
    algorithm?: { name?: string; namedCurve?: string; length?: number };
  };
  const name = k.algorithm?.name;
  if (k.type === 'secret') {
    if (name !== 'HMAC')
      throw new TypeError(`key: a ${String(name)} secret key cannot verify a JWT`);
    return { key, family: 'HMAC', bytes: Math.floor((k.algorithm?.length ?? 0) / 8) };
  }
  if (k.type !== 'public') throw new TypeError('key: give the public key, not the private key');
  if (name === 'RSASSA-PKCS1-v1_5') return { key, family: 'RSA' };
  if (name === 'ECDSA' && k.algorithm?.namedCurve === 'P-256') return { key, family: 'EC P-256' };
  if (name === 'Ed25519') return { key, family: 'Ed25519' };
  throw new TypeError(`key: unsupported CryptoKey algorithm ${String(name)}`);
}

function resolveJwk(jwk: JWK): ResolvedKey {
  const j = jwk as Record<string, unknown>;
  if (j.kty === 'oct') {
    if (typeof j.k !== 'string' || j.k === '') throw new TypeError('key: an oct JWK needs "k"');
    // base64url without padding: 4 characters carry 3 bytes.
    return { key: jwk, family: 'HMAC', bytes: Math.floor((j.k.length * 3) / 4) };
  }
  if (j.d !== undefined) throw new TypeError('key: give the public JWK, not the private one');
  if (j.kty === 'RSA') return { key: jwk, family: 'RSA' };
  if (j.kty === 'EC' && j.crv === 'P-256') return { key: jwk, family: 'EC P-256' };
  if (j.kty === 'OKP' && j.crv === 'Ed25519') return { key: jwk, family: 'Ed25519' };
  throw new TypeError(
    'key must be a secret (string or Uint8Array), a KeyObject, a CryptoKey or a supported JWK (oct, RSA, EC P-256, OKP Ed25519)',
  );
}

function article(family: KeyFamily): string {
  return family === 'HMAC' || family === 'RSA' || family === 'EC P-256' ? 'an' : 'a';
}

/** @internal Throws unless every algorithm can be verified with `key`, and no other. */
export function checkKeyFitsAlgorithms(
  key: ResolvedKey,
  algorithms: readonly JwtAlgorithm[],
): void {
  for (const alg of algorithms) {
    const { family, minBytes } = ALGORITHMS[alg];
    if (family !== key.family) {
      throw new TypeError(
        `algorithms: ${alg} needs ${article(family)} ${family} key, and the key is ${article(key.family)} ${key.family} key; ` +
          'one key never serves two algorithm families',
      );
    }
    if (minBytes !== undefined && (key.bytes ?? 0) < minBytes) {
      throw new RangeError(
        `key: an ${alg} secret must be at least ${minBytes} bytes (RFC 7518 §3.2), got ${key.bytes ?? 0}`,
      );
    }
  }
}
