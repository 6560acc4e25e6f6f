// The transport contract on the ws adapter: a real WebSocket server on loopback, port 0.
import { describeTransportContract } from 'plugsocket/contracts';
import { WS_CAPABILITIES, WsSocket, WsSocketServer } from 'plugsocket/ws';

describeTransportContract({
  name: 'ws',
  createServer: () => new WsSocketServer({ port: 0, host: '127.0.0.1' }),
  createClient: () => new WsSocket(),
  supports: WS_CAPABILITIES,
});
