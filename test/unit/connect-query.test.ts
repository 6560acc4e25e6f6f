// mergeConnectQuery: how every shipped client transport puts ConnectOptions.query into its url.
import { expect } from 'chai';
import { mergeConnectQuery, SocketServer } from 'plugsocket';
import { WsSocket, WsSocketServer } from 'plugsocket/ws';

const merged = (url: string, query?: Record<string, string>): string => {
  const target = new URL(url);
  mergeConnectQuery(target, query);
  return target.href;
};

describe('mergeConnectQuery', () => {
  it("keeps the url's own parameters byte for byte and appends the options', encoded", () => {
    expect(merged('ws://h/rt?sig=a~b%2Fc&x=1', { token: 'a b&c' })).to.equal(
      'ws://h/rt?sig=a~b%2Fc&x=1&token=a%20b%26c',
    );
  });

  it('replaces a parameter the options name, however the url encoded its name', () => {
    expect(merged('ws://h/?token=old&to%6Ben=older&keep=1', { token: 'new' })).to.equal(
      'ws://h/?keep=1&token=new',
    );
    expect(merged('ws://h/?a+b=1&c=2', { 'a b': '3' })).to.equal('ws://h/?c=2&a%20b=3');
  });

  it('leaves the url alone without a query or with an empty one', () => {
    expect(merged('ws://h/?s=a~b')).to.equal('ws://h/?s=a~b');
    expect(merged('ws://h/?s=a~b', {})).to.equal('ws://h/?s=a~b');
  });

  it('keeps a key such as __proto__ as a parameter, and survives a malformed escape in the url', () => {
    const query = Object.fromEntries([['__proto__', 'x']]) as Record<string, string>;
    expect(merged('ws://h/?bad=%E0%A4%A', query)).to.equal('ws://h/?bad=%E0%A4%A&__proto__=x');
  });

  it('is what WsSocket does: a pre-signed url reaches the server unchanged', async () => {
    const server = new SocketServer(new WsSocketServer({ port: 0, host: '127.0.0.1' }));
    const seen: string[] = [];
    server.useConnection((ctx, next) => {
      seen.push(ctx.handshake.url);
      return next();
    });
    const { url } = await server.listen();
    const socket = new WsSocket();
    try {
      await socket.connect({ url: `${url}?sig=a~b`, query: { room: 'r 1' } });
      expect(seen[0]).to.match(/\?sig=a~b&room=r%201$/);
    } finally {
      await socket.disconnect();
      await server.shutdown();
    }
  });
});
