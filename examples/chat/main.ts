// `npm run chat`: the chat example on http://127.0.0.1:8080/ (PORT and HOST change it). Open it in
// two browser windows, log in as two of the demo users, join the same room. Runs until Ctrl-C.
import { DEMO_USERS, startChat } from './server.js';

const port = process.env.PORT === undefined ? 8080 : Number(process.env.PORT);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be an integer in 0–65535, got ${process.env.PORT}`);
  process.exit(1);
}

const chat = await startChat({ port, host: process.env.HOST ?? '127.0.0.1' });
console.log(`chat: open ${chat.url}`);
console.log(
  `demo users: ${Object.entries(DEMO_USERS)
    .map(([name, password]) => `${name} / ${password}`)
    .join(', ')}`,
);

let stopping = false;
const stop = (): void => {
  if (stopping) process.exit(130); // a second Ctrl-C does not wait
  stopping = true;
  console.log('\nchat: shutting down');
  chat.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
