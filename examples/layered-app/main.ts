// Runs the chat service on the transport named by the first argument (memory, ws or socket.io):
//   node --conditions=plugsocket-source --import tsx examples/layered-app/main.ts ws
import { SocketClient, type AbstractSocket } from 'plugsocket';
import { TOKENS } from 'plugsocket/di';
import { ChatService, type Chat } from './chat-service.js';
import { buildContainer } from './container.js';
import { transports, type TransportName } from './transports.js';

const name = (process.argv[2] ?? 'ws') as TransportName;
if (!(name in transports))
  throw new Error(`unknown transport ${name}; use ${Object.keys(transports).join(', ')}`);
const container = buildContainer(transports[name]());
const chat = container.get(ChatService);
const url = await chat.start();
console.log(`chat service on ${name} at ${url}`);

const newClient = () =>
  new SocketClient<Chat>(container.get<AbstractSocket>(TOKENS.ClientTransport), { url });
const [ann, ben] = [newClient(), newClient()];
const heard = new Promise<void>((resolve) =>
  ben.subscribe('said', (p) => (console.log(`ben heard: ${p.text}`), resolve())),
);
await Promise.all([ann.connect(), ben.connect()]);
await Promise.all([ann.join('general'), ben.join('general')]);
ann.emit('say', { room: 'general', text: 'hi from the application layer' });
await heard;
await Promise.all([ann.disconnect(), ben.disconnect()]);
await container.unbindAllAsync();
console.log('stopped');
