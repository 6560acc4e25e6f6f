import { expect } from '../assert.js';
import type { TransportHarness } from '../transport-harness.js';

/** Registers the tests of what the client's handshake carries to the server's `connection`. */
export function describeHandshakeTests(h: TransportHarness): void {
  h.group('handshake', () => {
    h.test(
      {
        id: 'T-HANDSHAKE-01',
        level: 'MUST',
        title: 'headers reach the server handshake with lower-cased keys',
        requires: 'handshakeHeaders',
      },
      async () => {
        const p = await h.pair({ headers: { 'X-Plug-Contract': 'yes', 'X-Mixed-Case': 'KeepMe' } });
        const { headers } = p.log.connections[0].value;
        expect(headers['x-plug-contract'], "headers['x-plug-contract']").to.equal('yes');
        // Keys are lower-cased, values are not.
        expect(headers['x-mixed-case'], "headers['x-mixed-case']").to.equal('KeepMe');
        expect(Object.keys(headers), 'header keys').not.to.include('X-Plug-Contract');
      },
    );

    h.test(
      {
        id: 'T-HANDSHAKE-02',
        level: 'MUST',
        title: 'query parameters reach the server handshake, decoded',
        requires: 'handshakeQuery',
      },
      async () => {
        const p = await h.pair({ query: { room: 'lobby', tricky: 'a b&c=d/é' } });
        const { query } = p.log.connections[0].value;
        expect(query.room, 'query.room').to.equal('lobby');
        expect(query.tricky, 'query.tricky').to.equal('a b&c=d/é');
      },
    );

    h.test(
      {
        id: 'T-HANDSHAKE-03',
        level: 'MUST',
        title: 'an auth object with nested values reaches the server handshake intact',
        requires: 'handshakeAuth',
      },
      async () => {
        const auth = {
          token: 'secret-token',
          user: {
            id: 42,
            roles: ['admin', 'editor'],
            profile: { name: '漢字 👋🏽', active: true, score: 1.5, none: null },
          },
        };
        const p = await h.pair({ auth });
        expect(p.log.connections[0].value.auth, 'handshake.auth').to.deep.equal(auth);
      },
    );

    h.test(
      {
        id: 'T-HANDSHAKE-04',
        level: 'MUST',
        title: 'the server handshake reports remoteAddress as a non-empty string',
        requires: 'remoteAddress',
      },
      async () => {
        const p = await h.pair();
        const { remoteAddress } = p.log.connections[0].value;
        expect(remoteAddress, 'handshake.remoteAddress').to.be.a('string').that.is.not.empty;
      },
    );
  });
}
