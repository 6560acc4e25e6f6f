// Commands between bench/multinode.ts and the processes it forks (server nodes, the client
// process): the parent calls `peer.call('cmd', args)`, the child answers from `serve(handlers)`.
// A child exits when its parent goes away (the IPC channel closes), so nothing outlives a run.
import { fork, type ChildProcess } from 'node:child_process';

type Handlers = Record<string, (args: never) => unknown>;

interface Call {
  id: number;
  cmd: string;
  args: unknown;
}
type Answer = { id: number; value: unknown } | { id: number; error: string };

/** Answers the parent's commands with `handlers` (the value may be a promise). */
export function serve(handlers: Handlers): void {
  process.on('message', (m: Call) => {
    const handler = handlers[m.cmd] as ((args: unknown) => unknown) | undefined;
    const reply = (answer: Answer): void => void process.send?.(answer);
    if (handler === undefined) return reply({ id: m.id, error: `unknown command ${m.cmd}` });
    Promise.resolve()
      .then(() => handler(m.args))
      .then(
        (value) => reply({ id: m.id, value: value ?? null }),
        (error: unknown) =>
          reply({
            id: m.id,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          }),
      );
  });
  // The parent is gone (it exited, or was killed): so is this process.
  process.on('disconnect', () => process.exit(0));
}

/** A forked process the parent sends commands to. */
export class Peer {
  readonly #pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  #next = 0;
  #exited: string | undefined;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.on('message', (m: Answer) => {
      const pending = this.#pending.get(m.id);
      if (pending === undefined) return;
      this.#pending.delete(m.id);
      if ('error' in m) pending.reject(new Error(`${name}: ${m.error}`));
      else pending.resolve(m.value);
    });
    child.on('exit', (code, signal) => {
      this.#exited = `${name} exited (${signal ?? `code ${code}`})`;
      for (const pending of this.#pending.values()) pending.reject(new Error(this.#exited));
      this.#pending.clear();
    });
  }

  /** Runs `cmd` in the child; rejects after `timeoutMs` or when the child exits. */
  call<T = unknown>(cmd: string, args: object = {}, timeoutMs = 30_000): Promise<T> {
    if (this.#exited !== undefined) return Promise.reject(new Error(this.#exited));
    const id = ++this.#next;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.name}: ${cmd} took more than ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ id, cmd, args } satisfies Call);
    });
  }

  kill(): void {
    if (this.#exited === undefined) this.child.kill('SIGKILL');
  }
}

/** Every process forked through {@link forkPeer}, killed by {@link killAll}. */
const children = new Set<Peer>();

/**
 * Forks `script` with this process's Node flags (`--conditions=plugsocket-source --import tsx`),
 * stdout and stderr inherited. A child that dies unasked fails the run (`onDeath`).
 */
export function forkPeer(
  name: string,
  script: string,
  argv: string[],
  onDeath: (why: string) => void,
): Peer {
  const child = fork(script, argv, {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const peer = new Peer(name, child);
  children.add(peer);
  child.on('exit', (code, signal) => {
    if (!stopping) onDeath(`${name} exited (${signal ?? `code ${code}`})`);
  });
  return peer;
}

let stopping = false;

/** Kills every forked process (SIGKILL), at once; safe to call twice. */
export function killAll(): void {
  stopping = true;
  for (const peer of children) peer.kill();
  children.clear();
}
