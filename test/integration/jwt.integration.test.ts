// JwtAuthorization end to end on every shipped transport: a client presenting its token with
// `auth: { token }` is admitted with the principal built from the claims; every kind of bad token
// makes connect() reject with AUTHENTICATION_FAILED. Only Date is faked (tokens are judged at a
// fixed instant); sockets and timers run for real on 127.0.0.1.
import { expect } from 'chai';
import {
  base64url,
  exportSPKI,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWTPayload,
} from 'jose';
import { PlugSocketError, SocketClient, SocketServer, type AnySchema } from 'plugsocket';
import { JwtAuthorization, type JwtPrincipal } from 'plugsocket/jwt';
import sinon from 'sinon';
import { TRANSPORTS } from './transports.js';

const NOW = 1_893_456_000; // 2030-01-01T00:00:00Z
const ISSUER = 'https://issuer.example/';
const AUDIENCE = 'chat';
const claims = { sub: 'alice', iss: ISSUER, aud: AUDIENCE, exp: NOW + 3600, nbf: NOW - 10 };

function sign(payload: JWTPayload, key: CryptoKey | Uint8Array, alg = 'RS256'): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT' }).setIssuedAt(NOW).sign(key);
}

for (const transport of TRANSPORTS) {
  describe(`JwtAuthorization over ${transport.name}`, function () {
    this.timeout(30_000);
    let issuer: { publicKey: CryptoKey; privateKey: CryptoKey };
    let stranger: { publicKey: CryptoKey; privateKey: CryptoKey };
    let publicPem: string;
    let server: SocketServer<AnySchema, JwtPrincipal>;
    let url: string;
    let clock: sinon.SinonFakeTimers;
    const clients: SocketClient[] = [];

    before(async () => {
      [issuer, stranger] = await Promise.all([
        generateKeyPair('RS256', { extractable: true }),
        generateKeyPair('RS256'),
      ]);
      publicPem = await exportSPKI(issuer.publicKey);
    });

    beforeEach(async () => {
      clock = sinon.useFakeTimers({ now: NOW * 1000, toFake: ['Date'] });
      server = new SocketServer<AnySchema, JwtPrincipal>(transport.createServer(), {
        authorization: new JwtAuthorization({
          algorithms: ['RS256'],
          key: issuer.publicKey,
          issuer: ISSUER,
          audience: AUDIENCE,
        }),
      });
      url = (await server.listen()).url!;
    });

    afterEach(async () => {
      await Promise.allSettled(clients.splice(0).map((c) => c.disconnect()));
      await server.shutdown();
      clock.restore();
    });

    const client = (token?: string): SocketClient => {
      const c = new SocketClient(transport.createClient(), {
        url,
        connectTimeout: 10_000,
        ...(token === undefined ? {} : { auth: { token } }),
      });
      clients.push(c);
      return c;
    };

    async function refused(token: string | undefined): Promise<PlugSocketError> {
      const error = await client(token)
        .connect()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error, 'connect() should have rejected').to.be.instanceOf(PlugSocketError);
      expect((error as PlugSocketError).code).to.equal('AUTHENTICATION_FAILED');
      expect(server.clientCount).to.equal(0);
      return error as PlugSocketError;
    }

    it('admits a valid token, and the server sees the principal built from its claims', async () => {
      const c = client(await sign(claims, issuer.privateKey));
      await c.connect();
      const principal = server.getClient(c.id!)?.principal;
      expect(principal).to.deep.include({ id: 'alice', sub: 'alice', iss: ISSUER, aud: AUDIENCE });
      expect(Object.isFrozen(principal)).to.equal(true);
    });

    it('refuses a token signed with another key', async () => {
      await refused(await sign(claims, stranger.privateKey));
    });

    it('refuses an expired token, saying so', async () => {
      const error = await refused(await sign({ ...claims, exp: NOW - 60 }, issuer.privateKey));
      expect(error.message).to.contain('token expired');
    });

    it('refuses a token whose nbf is in the future', async () => {
      await refused(await sign({ ...claims, nbf: NOW + 600 }, issuer.privateKey));
    });

    it('refuses a token for another audience', async () => {
      await refused(await sign({ ...claims, aud: 'billing' }, issuer.privateKey));
    });

    it('refuses a token from another issuer', async () => {
      await refused(await sign({ ...claims, iss: 'https://evil.example/' }, issuer.privateKey));
    });

    it('refuses a tampered token (payload changed, signature kept)', async () => {
      const [h, , s] = (await sign(claims, issuer.privateKey)).split('.');
      const forged = base64url.encode(JSON.stringify({ ...claims, iat: NOW, sub: 'admin' }));
      await refused(`${h}.${forged}.${s}`);
    });

    it('refuses a client without a token, saying no credentials', async () => {
      const error = await refused(undefined);
      expect(error.message).to.contain('no credentials');
    });

    it('refuses an unsigned token (alg none)', async () => {
      const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
      const payload = base64url.encode(JSON.stringify({ ...claims, iat: NOW }));
      await refused(`${header}.${payload}.`);
    });

    it('refuses a token HMAC-signed with the public key as secret (HS/RS confusion)', async () => {
      await refused(await sign(claims, new TextEncoder().encode(publicPem), 'HS256'));
    });
  });
}
