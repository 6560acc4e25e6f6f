import { expect } from '../assert.js';
import { PlugSocketError, type InboundContext, type Middleware } from '../../src/index.js';
import { delay, rejectionOf, waitFor, withTimeout } from '../helpers.js';
import type { LayerHarness } from './layer-harness.js';
import { expectCode } from './layer-helpers.js';

/**
 * Registers the layer contract's middleware tests: order (global, then the handler's own, koa
 * style), refusal by a typed throw or by not calling `next()`, `ctx.reply` short-circuits, and
 * connection middleware refusing a handshake.
 */
export function describeMiddlewareTests(h: LayerHarness): void {
  h.group('middleware', () => {
    h.test(
      {
        id: 'L-MW-01',
        level: 'MUST',
        title:
          'runs global middleware in order, then the handler’s own, around the handler (koa style); it may change the payload and store values the handler reads; other handlers skip the per-handler middleware',
      },
      async () => {
        const { server, url } = await h.server();
        const order: string[] = [];
        server.use(async (ctx, next) => {
          order.push(`g1>${ctx.kind}:${ctx.name}`);
          ctx.set('seenBy', 'g1');
          await next();
          order.push('g1<');
        });
        server.use((_ctx, next) => {
          order.push('g2>');
          return next();
        });
        const own: Middleware[] = [
          (ctx, next) => {
            order.push('h1>');
            ctx.payload = { ...(ctx.payload as object), extra: 100 };
            return next();
          },
          async (_ctx, next) => {
            order.push('h2>');
            await delay(5);
            await next();
            order.push('h2<');
          },
        ];
        server.handle('sum', own, (payload, ctx) => {
          const { a, b, extra } = payload as { a: number; b: number; extra: number };
          order.push(`sum:${String(ctx.get('seenBy'))}`);
          return a + b + extra;
        });
        server.handle('plain', () => {
          order.push('plain');
          return 'p';
        });
        const client = await h.connected(url);
        expect(
          await withTimeout(client.request('sum', { a: 1, b: 2 }), h.wait, 'sum'),
          'what request("sum", { a: 1, b: 2 }) resolved with (middleware adds extra: 100)',
        ).to.equal(103);
        const expected = ['g1>request:sum', 'g2>', 'h1>', 'h2>', 'sum:g1', 'h2<', 'g1<'];
        await waitFor(
          () => order.length >= expected.length,
          h.wait,
          'the middleware chain of "sum" to unwind (7 steps)',
        );
        await delay(h.quiet);
        expect(
          order,
          'the steps of the "sum" chain: global middleware, then its own, the handler, unwinding',
        ).to.deep.equal(expected);
        order.length = 0;
        expect(
          await withTimeout(client.request('plain', null), h.wait, 'plain'),
          'what request("plain") resolved with',
        ).to.equal('p');
        await waitFor(
          () => order.length >= 4,
          h.wait,
          'the middleware chain of "plain" to unwind (4 steps)',
        );
        await delay(h.quiet);
        expect(
          order,
          'the steps of the "plain" chain (the global middleware only, not "sum"’s own)',
        ).to.deep.equal(['g1>request:plain', 'g2>', 'plain', 'g1<']);
      },
    );

    h.test(
      {
        id: 'L-MW-02',
        level: 'MUST',
        title:
          'middleware refuses a request by throwing a typed error (sync or async: the client gets that code and message) or by not calling next() (UNAUTHORIZED); a plain throw is SERVER_ERROR without its message; the handler never runs',
      },
      async () => {
        const { server, url } = await h.server();
        const handled: string[] = [];
        const handler = (_payload: unknown, ctx: InboundContext) => void handled.push(ctx.name);
        server.use(async (ctx, next) => {
          if (ctx.name === 'limited') {
            await delay(5);
            throw new PlugSocketError('RATE_LIMITED', 'easy there ⏱');
          }
          if (ctx.name === 'broken') throw new Error('secret detail');
          if (ctx.name === 'dropped') return;
          await next();
        });
        const adminsOnly: Middleware = () => {
          throw new PlugSocketError('UNAUTHORIZED', 'admins only');
        };
        server.handle('admin', [adminsOnly], handler);
        for (const name of ['limited', 'broken', 'dropped', 'open']) server.handle(name, handler);
        const client = await h.connected(url);
        const ask = (name: string) => rejectionOf(client.request(name, 1), h.wait, name);
        const admin = expectCode(
          await ask('admin'),
          'UNAUTHORIZED',
          'request("admin"), whose own middleware throws UNAUTHORIZED',
        );
        expect(admin.message, 'the message of that UNAUTHORIZED at the client').to.equal(
          'admins only',
        );
        const limited = expectCode(
          await ask('limited'),
          'RATE_LIMITED',
          'request("limited"), which async global middleware refuses with RATE_LIMITED',
        );
        expect(limited.message, 'the message of that RATE_LIMITED at the client').to.equal(
          'easy there ⏱',
        );
        const broken = expectCode(
          await ask('broken'),
          'SERVER_ERROR',
          'request("broken"), for which global middleware throws a plain Error',
        );
        expect(
          broken.message,
          'the message of that SERVER_ERROR (the original message must not leak)',
        ).to.not.contain('secret detail');
        expectCode(
          await ask('dropped'),
          'UNAUTHORIZED',
          'request("dropped"), for which global middleware returns without calling next()',
        );
        expect(
          await withTimeout(client.request('open', 1), h.wait, 'open'),
          'what request("open"), which middleware lets through, resolved with',
        ).to.equal(undefined);
        expect(handled, 'the handlers that ran (only "open" got past middleware)').to.deep.equal([
          'open',
        ]);
      },
    );

    h.test(
      {
        id: 'L-MW-03',
        level: 'MUST',
        title:
          'ctx.reply(result) in middleware answers at once: later middleware and the handler do not run, and a second answer (another reply, or the handler after next()) is ignored',
      },
      async () => {
        const { server, url } = await h.server();
        const ran: string[] = [];
        server.use((ctx, next) => {
          if ((ctx.payload as { cached?: boolean }).cached === true) {
            ctx.reply({ from: 'cache', text: 'ünï' });
            ctx.reply('second answer');
            return;
          }
          return next();
        });
        server.use(async (ctx, next) => {
          ran.push('later middleware');
          await next();
          ctx.reply('after the handler');
        });
        server.handle('get', () => {
          ran.push('handler');
          return { from: 'handler' };
        });
        const client = await h.connected(url);
        const cached = await withTimeout(client.request('get', { cached: true }), h.wait, 'cached');
        expect(
          cached,
          'what request("get", { cached: true }) resolved with (the first ctx.reply in middleware)',
        ).to.deep.equal({ from: 'cache', text: 'ünï' });
        // Frames from one client are handled in order: once this answers, the first one finished.
        const fresh = await withTimeout(client.request('get', { cached: false }), h.wait, 'fresh');
        expect(
          fresh,
          'what request("get", { cached: false }) resolved with (the handler, not a later reply)',
        ).to.deep.equal({ from: 'handler' });
        expect(
          ran,
          'what ran past the replying middleware over both requests (only for the uncached one)',
        ).to.deep.equal(['later middleware', 'handler']);
      },
    );

    h.test(
      {
        id: 'L-MW-04',
        level: 'MUST',
        title:
          'connection middleware runs on each handshake before authorization: a typed throw makes connect() reject with that code and message, one that does not call next() with UNAUTHORIZED; values it sets reach handlers',
      },
      async () => {
        let attempt = 0;
        let authorized = 0;
        const { server, url } = await h.server({
          authorization: {
            applyAuthorization: (o) => o,
            authorize: () => {
              authorized++;
              return { ok: true, principal: 'p' };
            },
          },
        });
        server.useConnection(async (ctx, next) => {
          attempt++;
          if (attempt === 1) throw new PlugSocketError('AUTHENTICATION_FAILED', 'who are you');
          await delay(5);
          if (attempt === 2) throw new PlugSocketError('UNAUTHORIZED', 'not today');
          if (attempt === 3) return;
          ctx.set('attempt', attempt);
          await next();
        });
        server.handle('attempt', (_payload, ctx) => ctx.get('attempt'));
        const connections: string[] = [];
        server.onConnection((c) => void connections.push(c.id));
        const refusals: [string, string][] = [
          ['AUTHENTICATION_FAILED', 'who are you'],
          ['UNAUTHORIZED', 'not today'],
          ['UNAUTHORIZED', ''],
        ];
        for (const [code, message] of refusals) {
          const client = await h.client(url);
          const error = await rejectionOf(client.connect(), h.wait, `connect() #${attempt + 1}`);
          const refused = expectCode(
            error,
            code as 'UNAUTHORIZED',
            `connect() #${attempt}, which connection middleware refuses`,
          );
          if (message !== '') {
            expect(
              refused.message,
              `the message of the ${code} that connect() #${attempt} rejected with`,
            ).to.contain(message);
          }
          expect(
            client.isConnected,
            `isConnected of the client whose connect() #${attempt} was refused`,
          ).to.equal(false);
        }
        expect(
          authorized,
          'authorize() calls for handshakes connection middleware refused',
        ).to.equal(0);
        const admitted = await h.connected(url);
        expect(
          await withTimeout(admitted.request('attempt', 1), h.wait, 'attempt'),
          'the value connection middleware set on handshake #4, as a request handler reads it',
        ).to.equal(4);
        expect(
          authorized,
          'authorize() calls after three refused handshakes and one admitted',
        ).to.equal(1);
        expect(connections, 'client ids onConnection got (only the admitted client)').to.deep.equal(
          [admitted.id],
        );
        expect(
          server.clientCount,
          'clients the server counts after three refused handshakes and one admitted',
        ).to.equal(1);
      },
    );
  });
}
