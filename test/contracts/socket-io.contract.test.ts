// The transport contract on the Socket.IO adapter: a real Socket.IO server on loopback, port 0,
// with the client's default transport (WebSocket only: one TCP connection per client, which the
// fault tier's proxy can cut). `through` spelled out as an example; the default does the same.
import { describeTransportContract } from 'plugsocket/contracts';
import { SOCKET_IO_CAPABILITIES, SocketIoServer } from 'plugsocket/socket.io';
import { SocketIoSocket } from 'plugsocket/socket.io/client';

describeTransportContract({
  name: 'socket.io',
  createServer: () => new SocketIoServer({ port: 0, host: '127.0.0.1' }),
  createClient: () => new SocketIoSocket(),
  supports: SOCKET_IO_CAPABILITIES,
  createServerAt: (address) => new SocketIoServer({ port: address.port, host: '127.0.0.1' }),
  faults: {
    through: (address, proxy) => ({ url: `http://${proxy.host}:${proxy.port}/` }),
  },
});
