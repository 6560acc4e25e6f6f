// The protocol contract against plugsocket's own server: SocketServer on the ws adapter, with
// every feature the suite can use configured, so that no test is skipped.
import { describeProtocolConformance } from 'plugsocket/contracts';
import { SocketServer, type AuthorizationStrategy, type Handshake } from 'plugsocket';
import { WsSocketServer } from 'plugsocket/ws';

const TOKEN = 's3cret';

/** Admits a handshake whose auth object carries the token; refuses the rest with 4401. */
const tokenAuthorization: AuthorizationStrategy<{ id: string }> = {
  applyAuthorization: (options) => options,
  authorize: (handshake: Handshake) =>
    handshake.auth?.token === TOKEN
      ? { ok: true, principal: { id: 'contract' } }
      : { ok: false, reason: 'a valid token is required' },
};

let server: { shutdown(): Promise<void> } | undefined;
let url = '';

describe('plugsocket SocketServer on ws, checked over the wire', () => {
  before(async () => {
    const socketServer = new SocketServer(new WsSocketServer({ port: 0, host: '127.0.0.1' }), {
      authorization: tokenAuthorization,
      canSubscribe: (_client, topic) => topic !== 'admin',
      maxPayload: 64 * 1024,
    });
    socketServer.handle('echo', (payload) => payload);
    socketServer.relay('chat');
    server = socketServer;
    const address = await socketServer.listen();
    url = address.url!;
  });

  after(async () => {
    await server?.shutdown();
  });

  describeProtocolConformance({
    name: 'plugsocket ws',
    url: () => url,
    credentials: { valid: { auth: { token: TOKEN } }, invalid: { auth: { token: 'wrong' } } },
    refusedTopic: 'admin',
    echoRequest: 'echo',
    relayType: 'chat',
    maxPayload: 64 * 1024,
    report: process.env.PLUGSOCKET_CONTRACT_REPORTS || undefined,
  });
});
