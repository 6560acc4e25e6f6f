import type { MemorySocketServer } from './memory-socket-server.js';

/**
 * The registry of in-memory servers, keyed by name: what a DNS plus a routing table would be for
 * a real network. One per process; servers register on `listen()` and leave on `close()`.
 */
const servers = new Map<string, MemorySocketServer>();
let anonymous = 0;

/** @internal */
export const memoryNetwork = {
  register(name: string | undefined, server: MemorySocketServer): string {
    const chosen = name ?? `server-${++anonymous}`;
    if (servers.has(chosen)) throw new Error(`memory://${chosen} is already in use`);
    servers.set(chosen, server);
    return chosen;
  },
  unregister(name: string, server: MemorySocketServer): void {
    if (servers.get(name) === server) servers.delete(name);
  },
  lookup(url: string): MemorySocketServer | undefined {
    const name = parseMemoryUrl(url)?.name;
    return name === undefined ? undefined : servers.get(name);
  },
};

/** Splits `memory://name/path?query` into its parts; undefined for any other scheme. */
export function parseMemoryUrl(url: string): { name: string; path: string } | undefined {
  if (!url.startsWith('memory://')) return undefined;
  const rest = url.slice('memory://'.length);
  const end = rest.search(/[/?]/);
  const name = end === -1 ? rest : rest.slice(0, end);
  if (name === '') return undefined;
  return { name, path: end === -1 ? '/' : rest.slice(end) };
}

/**
 * Runs `fn` after the current call stack and its microtasks, as a network would: a frame is
 * never delivered inside the sender's call. Promise jobs are used rather than timers so that
 * tests with fake timers still see delivery without ticking the clock.
 */
export function deliverLater(fn: () => void): void {
  void Promise.resolve().then(fn);
}
