// `node --import ./test/architecture/register-block-transports.mjs`: installs the hook of
// block-transports.mjs. `PLUGSOCKET_BLOCK` (comma-separated package names) replaces its default
// list, e.g. `PLUGSOCKET_BLOCK=socket.io-client,engine.io-client,inversify,reflect-metadata`.
import { register } from 'node:module';
import process from 'node:process';

const list = process.env.PLUGSOCKET_BLOCK;
const blocked = list === undefined ? undefined : list.split(',').filter((name) => name !== '');

register('./block-transports.mjs', import.meta.url, { data: { blocked } });
