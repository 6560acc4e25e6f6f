import { register } from 'node:module';

register('./block-transports.mjs', import.meta.url);
