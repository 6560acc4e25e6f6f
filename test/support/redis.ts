import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';

/** Where the tests' Redis listens: the machine's own, on loopback. */
export const REDIS_HOST = '127.0.0.1';
export const REDIS_PORT = 6379;
export const REDIS_URL = `redis://${REDIS_HOST}:${REDIS_PORT}`;

/** True when a Redis answers PING on the tests' address within `timeout` ms. */
export function redisAnswers(timeout = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: REDIS_HOST, port: REDIS_PORT });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeout);
    let reply = '';
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.on('error', () => done(false));
  });
}

let started: Promise<void> | undefined;

/**
 * Makes sure the tests' Redis runs: when nothing answers on 127.0.0.1:6379, starts one
 * (`redis-server --daemonize yes`, loopback only, no persistence) and waits for it, up to 10 s.
 * @throws when none answers and none could be started.
 */
export function ensureRedis(): Promise<void> {
  started ??= (async () => {
    if (await redisAnswers()) return;
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        'redis-server',
        [
          '--daemonize',
          'yes',
          '--bind',
          REDIS_HOST,
          '--port',
          String(REDIS_PORT),
          '--save',
          '',
          '--appendonly',
          'no',
        ],
        { stdio: 'ignore' },
      );
      child.on('error', reject);
      child.on('exit', () => resolve());
    });
    for (let i = 0; i < 100; i++) {
      if (await redisAnswers()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`Redis did not start on ${REDIS_HOST}:${REDIS_PORT}`);
  })();
  return started;
}
