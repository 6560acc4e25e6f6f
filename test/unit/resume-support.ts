// Fixtures shared by the session resume specs: a server without heartbeats, a raw client's
// welcome, the resume query, and a settle step for quick reconnects under a fake clock.
import { expect } from 'chai';
import type sinon from 'sinon';
import type { SocketServerOptions } from '../../src/index.js';
import { RawClient, flush, startServer, type ServerFixture } from './support.js';

/** A memory server with heartbeats off (the resume specs drop connections by hand). */
export function startQuiet<P = unknown>(
  options: SocketServerOptions<P> = {},
): Promise<ServerFixture<P>> {
  return startServer<P>({ heartbeatInterval: Infinity, ...options });
}

/** Lets a quick reconnect (≤ 10 ms) happen and every frame in flight arrive. */
export async function settle(clock: sinon.SinonFakeTimers, ms = 50): Promise<void> {
  await clock.tickAsync(ms);
  await flush();
  await clock.tickAsync(1);
  await flush();
}

/**
 * A raw client admitted on `url`; its welcome is the first frame. Without `query` it asks for a
 * new resumable session, as a SocketClient does.
 */
export async function rawWelcome(
  url: string,
  query: Record<string, string> = { 'plugsocket-resume': 'new' },
  auth?: Record<string, unknown>,
): Promise<{ raw: RawClient; welcome: Record<string, unknown> }> {
  const raw = await new RawClient().open(url, { query, ...(auth && { auth }) });
  await flush();
  const welcome = raw.messages[0];
  expect(welcome?.k, 'first frame').to.equal('welcome');
  return { raw, welcome };
}

/** The query of a connect that resumes the session of `token`, having received `received`. */
export function resumeQuery(token: unknown, received: number): Record<string, string> {
  return { 'plugsocket-resume': String(token), 'plugsocket-received': String(received) };
}
