// The transport contract on the ws adapter: a real WebSocket server on loopback, port 0, with the
// fault tier on (the defaults reach it through a fault proxy: its url with the proxy's host:port).
import { describeTransportContract } from 'plugsocket/contracts';
import { WS_CAPABILITIES, WsSocket, WsSocketServer } from 'plugsocket/ws';

describeTransportContract({
  name: 'ws',
  createServer: () => new WsSocketServer({ port: 0, host: '127.0.0.1' }),
  createClient: () => new WsSocket(),
  supports: WS_CAPABILITIES,
  createServerAt: (address) => new WsSocketServer({ port: address.port, host: '127.0.0.1' }),
  faults: true,
});
