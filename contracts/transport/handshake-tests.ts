import { expect } from '../assert.js';
import type { AbstractSocket, ConnectOptions } from '../../src/index.js';
import { waitFor, withTimeout } from '../helpers.js';
import type { HandshakeExtras, TransportHarness } from '../transport-harness.js';

/** Query values a transport that decodes twice, or not at all, or splits by hand, gets wrong. */
const TRICKY_QUERY = {
  pct: '100%25',
  lit: '%41%zz',
  plus: 'a+b c',
  amp: 'x&y=z',
  hash: '#frag?q',
  uni: 'é 漢 👋🏽',
  empty: '',
};

/** Keys a plain object would take for its prototype or its methods. */
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'toString'];

/** `url` with `pairs` appended to its query, repeats kept. */
function withQuery(url: string, pairs: readonly [string, string][]): string {
  const parsed = new URL(url);
  for (const [key, value] of pairs) parsed.searchParams.append(key, value);
  return parsed.toString();
}

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

    h.test(
      {
        id: 'T-HANDSHAKE-05',
        level: 'MUST',
        title:
          'query values with percent signs, plus signs, reserved and non-ASCII characters, and empty values arrive exactly as sent (decoded once)',
        requires: 'handshakeQuery',
      },
      async () => {
        const p = await h.pair({ query: TRICKY_QUERY });
        const { query } = p.log.connections[0].value;
        for (const [key, value] of Object.entries(TRICKY_QUERY)) {
          expect(query[key], `handshake.query.${key} (sent as ${JSON.stringify(value)})`).to.equal(
            value,
          );
        }
      },
    );

    h.test(
      {
        id: 'T-HANDSHAKE-06',
        level: 'MUST',
        title:
          'a key repeated in the url query arrives with its first value; a key in both the url and options.query with the option value',
        requires: 'handshakeQuery',
      },
      async () => {
        const l = await h.listen();
        const base = h.connectOptions(l.address, { query: { both: 'option' } });
        const url = withQuery(base.url, [
          ['dup', 'first'],
          ['dup', 'second'],
          ['both', 'url'],
        ]);
        const client = await h.createClient();
        await withTimeout(client.connect({ ...base, url }), h.wait, `connect() to ${url}`);
        await waitFor(() => l.log.connections.length >= 1, h.wait, 'the server connection event');
        const { query } = l.log.connections[0].value;
        expect(query.dup, 'handshake.query.dup (url ?dup=first&dup=second)').to.equal('first');
        expect(
          query.both,
          "handshake.query.both (url ?both=url, options.query.both 'option')",
        ).to.equal('option');
      },
    );

    h.test(
      {
        id: 'T-HANDSHAKE-07',
        level: 'MUST',
        title: 'handshake.url is the request path, starting with /, with the query the client sent',
        requires: 'handshakeQuery',
      },
      async () => {
        const p = await h.pair({ query: { room: 'lobby', n: '1' } });
        const { url } = p.log.connections[0].value;
        expect(url.startsWith('/'), `handshake.url ${JSON.stringify(url)} starts with /`).to.equal(
          true,
        );
        const at = url.indexOf('?');
        const params = new URLSearchParams(at === -1 ? '' : url.slice(at + 1));
        expect(
          params.get('room'),
          `room in the query of handshake.url ${JSON.stringify(url)}`,
        ).to.equal('lobby');
        expect(params.get('n'), `n in the query of handshake.url ${JSON.stringify(url)}`).to.equal(
          '1',
        );
      },
    );

    h.test(
      {
        id: 'T-HANDSHAKE-08',
        level: 'MUST',
        title: 'query keys __proto__, constructor and toString arrive as own string values',
        requires: 'handshakeQuery',
      },
      async () => {
        // JSON.parse makes `__proto__` an own key, as a parsed query string would.
        const sent = JSON.parse('{"__proto__":"p","constructor":"c","toString":"t"}') as Record<
          string,
          string
        >;
        const p = await h.pair({ query: sent });
        const { query } = p.log.connections[0].value;
        for (const key of PROTOTYPE_KEYS) {
          expect(Object.hasOwn(query, key), `handshake.query has ${key} as an own key`).to.equal(
            true,
          );
          expect(query[key], `handshake.query[${JSON.stringify(key)}]`).to.equal(sent[key]);
        }
      },
    );

    h.test(
      {
        id: 'T-HANDSHAKE-09',
        level: 'MUST',
        title:
          'handshake.query holds exactly the parameters the client sent: no transport parameters, no auth or headers',
        requires: 'handshakeQuery',
      },
      async () => {
        const { handshakeAuth, handshakeHeaders } = h.options.supports;
        const p = await h.pair({
          query: { a: '1', b: '2' },
          ...(handshakeAuth ? { auth: { token: 't' } } : {}),
          ...(handshakeHeaders ? { headers: { 'x-extra': 'h' } } : {}),
        });
        expect(
          Object.keys(p.log.connections[0].value.query).sort(),
          "the keys of handshake.query (sent: { a: '1', b: '2' })",
        ).to.deep.equal(['a', 'b']);
      },
    );

    h.test(
      {
        id: 'T-HANDSHAKE-10',
        level: 'MUST',
        title:
          'any header, not only x-*, reaches the handshake lower-cased with its value: Authorization, Accept-Language, X-Trace',
        requires: 'handshakeHeaders',
      },
      async () => {
        const sent = {
          Authorization: 'Bearer abc.def',
          'Accept-Language': 'de-CH, en;q=0.5',
          'X-Trace': '42',
        };
        const p = await h.pair({ headers: sent });
        const { headers } = p.log.connections[0].value;
        for (const [key, value] of Object.entries(sent)) {
          const lower = key.toLowerCase();
          expect(headers[lower], `handshake.headers[${JSON.stringify(lower)}]`).to.equal(value);
        }
      },
    );

    h.test(
      {
        id: 'T-HANDSHAKE-11',
        level: 'MUST',
        title:
          'each connection carries the handshake of the client behind it: three clients one after another and three at once, from the same host',
      },
      async () => {
        const { handshakeQuery, handshakeHeaders, handshakeAuth } = h.options.supports;
        const extras = (who: string): HandshakeExtras => ({
          ...(handshakeQuery ? { query: { who } } : {}),
          ...(handshakeHeaders ? { headers: { 'x-who': who } } : {}),
          ...(handshakeAuth ? { auth: { who } } : {}),
        });
        const l = await h.listen();
        const clients: [string, AbstractSocket][] = [];
        for (const who of ['c0', 'c1', 'c2']) {
          clients.push([who, (await h.connectClient(l, extras(who))).client]);
        }
        const connect = async (who: string): Promise<[string, AbstractSocket]> => {
          const client = await h.createClient();
          const options: ConnectOptions = h.connectOptions(l.address, extras(who));
          await withTimeout(client.connect(options), h.wait, `connect() of client ${who}`);
          return [who, client];
        };
        clients.push(...(await Promise.all(['c3', 'c4', 'c5'].map(connect))));
        await waitFor(() => l.log.connections.length >= 6, h.wait, '6 server connection events');
        // Each client names itself over its own connection: the frame tells who is behind it.
        for (const [who, client] of clients) {
          expect(client.send(who), `client ${who} send() result`).to.equal(true);
        }
        await waitFor(
          () => l.log.connections.every((c) => l.log.messagesFrom(c.connection).length >= 1),
          h.wait,
          'a frame on every connection',
        );
        const behind = l.log.connections.map((c) => l.log.messagesFrom(c.connection)[0]);
        expect([...behind].sort(), 'the clients behind the 6 connections (one each)').to.deep.equal(
          clients.map(([who]) => who).sort(),
        );
        l.log.connections.forEach(({ value }, i) => {
          const who = behind[i];
          if (handshakeQuery) {
            expect(
              value.query.who,
              `handshake.query.who of client ${String(who)}'s connection`,
            ).to.equal(who);
          }
          if (handshakeHeaders) {
            expect(
              value.headers['x-who'],
              `handshake.headers['x-who'] of client ${String(who)}'s connection`,
            ).to.equal(who);
          }
          if (handshakeAuth) {
            expect(
              value.auth.who,
              `handshake.auth.who of client ${String(who)}'s connection`,
            ).to.equal(who);
          }
        });
      },
    );
  });
}
