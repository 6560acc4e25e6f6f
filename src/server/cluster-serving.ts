import { PlugSocketError } from '../errors.js';
import type { Cursor } from './cluster-stream.js';
import { isNames, K, type ClusterWire } from './cluster-wire.js';
import type { ServerCore } from './core.js';
import type { BroadcastReplies, RequestOptions } from './requests.js';
import type { Session } from './session.js';

/** @internal What the cluster asks of the server it belongs to, for work another node sent. */
export interface ClusterHost<P> {
  /** The server asks one of its clients (`from`: the asking client, for a client request). */
  request(
    session: Session<P>,
    name: string,
    payload: unknown,
    options: RequestOptions,
    from: string | undefined,
    headers: Record<string, unknown> | undefined,
  ): Promise<unknown>;
  /** The server asks many of its clients. */
  requestMany(
    sessions: Session<P>[],
    name: string,
    payload: unknown,
    timeout: number,
  ): Promise<BroadcastReplies>;
  /** Closes one of its clients' connections (or ends its parked session). */
  disconnect(clientId: string, code: number, reason: string): Promise<void>;
  /**
   * Hands a session held here to the shared session store, so another node can resume it.
   * @returns false when it is not here.
   */
  handOff(clientId: string, proof: HandOffProof): Promise<boolean>;
  /**
   * Takes session `clientId` from the shared store and keeps it parked here (a node that shut
   * down handed it over), catching up with `cursor`.
   */
  adopt(clientId: string, cursor: Cursor): void;
  /** The server's request timeout, for waits on other nodes. */
  requestTimeout: number;
}

/**
 * What a node asking for a session shows its holder: the resume secret and the principal the
 * client presented. The holder checks them as for a resume of its own, and keeps the session
 * when they do not match (a forged token must not take a session from its owner).
 */
export interface HandOffProof {
  readonly secret: string;
  readonly user: string | undefined;
  /** Frames the client says it received: more than were sent is refused, as on one node. */
  readonly received: number;
}

/**
 * @internal What other nodes ask of this node's clients: requests (cancellable), broadcast
 * requests, kicks and session hand-overs, each answered to the asking node.
 */
export class ClusterServing<P> {
  /** The server that serves them; set when the link opens. */
  host: ClusterHost<P> | undefined;
  /** Requests other nodes asked of this node's clients, by `node:r`, to cancel. */
  readonly #serving = new Map<string, AbortController>();

  constructor(
    private readonly core: ServerCore<P>,
    private readonly wire: ClusterWire,
  ) {}

  /** The link closes: what is served is aborted. */
  close(): void {
    for (const controller of this.#serving.values()) controller.abort();
    this.#serving.clear();
  }

  /** Node `node` left: what it asked is aborted. */
  nodeGone(node: string): void {
    for (const [key, controller] of this.#serving) {
      if (key.startsWith(`${node}:`)) {
        controller.abort();
        this.#serving.delete(key);
      }
    }
  }

  /** Node `from` cancels a request it asked of one of this node's clients. */
  cancel(from: string, data: Record<string, unknown>): void {
    this.#serving.get(`${from}:${data.r as number}`)?.abort();
  }

  /** Node `from` asks to close one of this node's clients. */
  kick(from: string, data: Record<string, unknown>): void {
    const r = data.r as number;
    this.host!.disconnect(data.id as string, data.c as number, data.m as string).then(
      () => this.wire.send(from, { kind: K.done, data: { r } }),
      () => this.wire.send(from, { kind: K.done, data: { r } }),
    );
  }

  /** Node `from` asks for a session held here; `cursor`: where this node was when asked. */
  handOver(from: string, data: Record<string, unknown>, cursor: Cursor): void {
    // The cursor only when this node did hand it over: it is the session's, nobody else's.
    const done = (handed: boolean): void =>
      this.wire.send(from, {
        kind: K.done,
        data: handed ? { r: data.r, v: cursor } : { r: data.r },
      });
    this.host!.handOff(data.id as string, {
      secret: String(data.sec),
      user: typeof data.u === 'string' ? data.u : undefined,
      received: typeof data.rcv === 'number' ? data.rcv : Infinity,
    }).then(done, () => done(false));
  }

  /** Node `from` asks one of this node's clients. */
  serveRequest(from: string, data: Record<string, unknown>): void {
    const r = data.r as number;
    const answer = (value: unknown, error?: unknown): void => {
      this.#serving.delete(key);
      if (error === undefined) {
        const body: Record<string, unknown> = { r };
        if (value !== undefined) body.v = value;
        this.wire.send(from, { kind: K.answer, data: body });
      } else
        this.wire.send(from, {
          kind: K.answer,
          data: { r, e: PlugSocketError.from(error).toJSON() },
        });
    };
    const key = `${from}:${r}`;
    const registry = this.core.registry;
    const id = data.id;
    if (typeof id !== 'string' || typeof data.n !== 'string') {
      answer(undefined, new PlugSocketError('INVALID_MESSAGE', 'a malformed request packet'));
      return;
    }
    const session = registry.byId.get(id) ?? registry.parked.get(id);
    if (session === undefined || !session.live) {
      answer(undefined, new PlugSocketError('NOT_CONNECTED', `client ${id} is not connected`));
      return;
    }
    const controller = new AbortController();
    this.#serving.set(key, controller);
    this.host!.request(
      session,
      data.n,
      data.p,
      { timeout: typeof data.ms === 'number' ? data.ms : Infinity, signal: controller.signal },
      data.f as string | undefined,
      data.h as Record<string, unknown> | undefined,
    ).then(
      (value) => {
        try {
          answer(value);
        } catch (error) {
          answer(
            undefined,
            new PlugSocketError('INVALID_MESSAGE', 'the answer cannot cross the backplane', {
              cause: error,
            }),
          );
        }
      },
      (error: unknown) => answer(undefined, error),
    );
  }

  /** Node `from` asks the matching clients of this node. */
  serveMany(from: string, data: Record<string, unknown>): void {
    const r = data.r as number;
    if (typeof data.n !== 'string' || !isNames(data.t) || !isNames(data.x)) {
      this.wire.send(from, { kind: K.manyAnswer, data: { r, v: { ok: [], err: [], late: [] } } });
      return;
    }
    const sessions = this.core.router.select({
      topics: data.t as string[] | undefined,
      except: data.x as string[] | undefined,
    });
    this.host!.requestMany(
      sessions,
      data.n,
      data.p,
      typeof data.ms === 'number' ? data.ms : Infinity,
    ).then(
      (replies) => {
        const v = {
          ok: [...replies.results].map(([id, value]) => (value === undefined ? [id] : [id, value])),
          err: [...replies.errors].map(([id, error]) => [id, error.toJSON()]),
          late: replies.timedOut,
        };
        try {
          this.wire.send(from, { kind: K.manyAnswer, data: { r, v } });
        } catch {
          // An answer the backplane cannot carry: the asking node counts these clients as failed.
          this.wire.send(from, {
            kind: K.manyAnswer,
            data: {
              r,
              v: {
                ok: [],
                err: [...replies.results.keys()].map((id) => [
                  id,
                  new PlugSocketError(
                    'INVALID_MESSAGE',
                    'the answer cannot cross the backplane',
                  ).toJSON(),
                ]),
                late: replies.timedOut,
              },
            },
          });
        }
      },
      () =>
        this.wire.send(from, { kind: K.manyAnswer, data: { r, v: { ok: [], err: [], late: [] } } }),
    );
  }
}
