// The layer contract's requests that fail (L-REQ-05..07): typed errors thrown by a handler on
// either side, any other throw kept from the caller, and a name without a handler.
import { expect, show } from '../assert.js';
import { PlugSocketError } from '../../src/index.js';
import { delay, rejectionOf, withTimeout } from '../helpers.js';
import type { LayerHarness } from './layer-harness.js';
import { expectCode } from './layer-helpers.js';

/** Registers L-REQ-05..07 in the group of {@link describeRequestTests}. */
export function describeRequestErrorTests(h: LayerHarness): void {
  h.test(
    {
      id: 'L-REQ-05',
      level: 'MUST',
      title:
        'a typed PlugSocketError thrown by a server handler (sync or async) reaches the client with its code and message; any other throw arrives as SERVER_ERROR without the original message, and server onError gets the original',
    },
    async () => {
      const { server, url } = await h.server();
      const reported: PlugSocketError[] = [];
      server.onError((_id, e) => void reported.push(e));
      const original = new Error('secret detail: db password');
      server.handle('typed', () => {
        throw new PlugSocketError('RATE_LIMITED', 'slow down, 慢');
      });
      server.handle('typedAsync', async () => {
        await delay(5);
        throw new PlugSocketError('UNAUTHORIZED', 'not yours');
      });
      server.handle('plain', () => {
        throw original;
      });
      server.handle('plainAsync', async () => {
        await delay(5);
        throw new TypeError('secret detail: stack');
      });
      server.handle('echo', (payload) => payload);
      const client = await h.connected(url);
      const ask = (name: string) => rejectionOf(client.request(name, 1), h.wait, name);
      const typed = expectCode(
        await ask('typed'),
        'RATE_LIMITED',
        'client.request("typed"), whose handler throws RATE_LIMITED',
      );
      expect(typed.message, 'the message of that RATE_LIMITED at the client').to.equal(
        'slow down, 慢',
      );
      const typedAsync = expectCode(
        await ask('typedAsync'),
        'UNAUTHORIZED',
        'client.request("typedAsync"), whose async handler throws UNAUTHORIZED',
      );
      expect(typedAsync.message, 'the message of that UNAUTHORIZED at the client').to.equal(
        'not yours',
      );
      for (const name of ['plain', 'plainAsync']) {
        const error = expectCode(
          await ask(name),
          'SERVER_ERROR',
          `client.request("${name}"), whose handler throws a plain error`,
        );
        expect(
          error.message,
          `the message of the SERVER_ERROR from "${name}" (the original message must not leak)`,
        ).to.not.contain('secret detail');
      }
      expect(
        reported.some((e) => e.code === 'SERVER_ERROR' && e.cause === original),
        `server onError got a SERVER_ERROR with the thrown Error itself as cause (it got ${show(
          reported.map((e) => [e.code, e.cause]),
        )})`,
      ).to.equal(true);
      expect(
        await withTimeout(client.request('echo', 'still'), h.wait, 'echo'),
        'what request("echo") resolved with after the failed requests',
      ).to.equal('still');
      expect(client.isConnected, 'client.isConnected after its requests failed').to.equal(true);
    },
  );

  h.test(
    {
      id: 'L-REQ-06',
      level: 'MUST',
      title:
        'a client handler’s errors reach server.request() the same way: a typed code and message kept, a plain throw as SERVER_ERROR without its message',
    },
    async () => {
      const { server, url } = await h.server();
      const client = await h.connected(url);
      client.handle('typed', async () => {
        await delay(5);
        throw new PlugSocketError('TOO_MANY_REQUESTS', 'busy ⏳');
      });
      client.handle('plain', () => {
        throw new Error('secret detail');
      });
      const typed = expectCode(
        await rejectionOf(server.request(client.id!, 'typed', 1), h.wait, 'typed'),
        'TOO_MANY_REQUESTS',
        'server.request(client, "typed"), whose client handler throws TOO_MANY_REQUESTS',
      );
      expect(typed.message, 'the message of that TOO_MANY_REQUESTS at the server').to.equal(
        'busy ⏳',
      );
      const plain = expectCode(
        await rejectionOf(server.request(client.id!, 'plain', 1), h.wait, 'plain'),
        'SERVER_ERROR',
        'server.request(client, "plain"), whose client handler throws a plain Error',
      );
      expect(
        plain.message,
        'the message of that SERVER_ERROR at the server (the original message must not leak)',
      ).to.not.contain('secret detail');
    },
  );

  h.test(
    {
      id: 'L-REQ-07',
      level: 'MUST',
      title:
        'a request for a name without a handler rejects with HANDLER_NOT_FOUND both ways (also after removeHandler), and the connection keeps serving',
    },
    async () => {
      const { server, url } = await h.server();
      server.handle('gone', () => 'here');
      const client = await h.connected(url);
      client.handle('echo', (payload) => payload);
      expect(
        await withTimeout(client.request('gone', 1), h.wait, 'gone'),
        'what request("gone") resolved with before removeHandler',
      ).to.equal('here');
      expect(
        server.removeHandler('gone'),
        'server.removeHandler("gone") returns whether it removed a handler',
      ).to.equal(true);
      for (const name of ['missing', 'gone']) {
        const error = await rejectionOf(client.request(name, 1), h.wait, name);
        expectCode(
          error,
          'HANDLER_NOT_FOUND',
          `client.request("${name}") with no server handler for "${name}"`,
        );
      }
      const down = await rejectionOf(server.request(client.id!, 'missing', 1), h.wait, 'missing');
      expectCode(
        down,
        'HANDLER_NOT_FOUND',
        'server.request(client, "missing") with no client handler for "missing"',
      );
      expect(
        await withTimeout(server.request(client.id!, 'echo', 'ok'), h.wait, 'echo'),
        'what server.request(client, "echo") resolved with after HANDLER_NOT_FOUND both ways',
      ).to.equal('ok');
    },
  );
}
