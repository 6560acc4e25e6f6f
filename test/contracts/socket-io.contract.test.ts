// The transport contract on the Socket.IO adapter: a real Socket.IO server on loopback, port 0,
// with the client's default transport (WebSocket only).
import { describeTransportContract } from 'plugsocket/contracts';
import { SOCKET_IO_CAPABILITIES, SocketIoServer } from 'plugsocket/socket.io';
import { SocketIoSocket } from 'plugsocket/socket.io/client';

describeTransportContract({
  name: 'socket.io',
  createServer: () => new SocketIoServer({ port: 0, host: '127.0.0.1' }),
  createClient: () => new SocketIoSocket(),
  supports: SOCKET_IO_CAPABILITIES,
});
