import { PlugSocketError } from '../errors.js';
import type { SocketMessage } from '../message.js';
import type { AnyFrame } from '../ports/types.js';
import type { ClientEnvelope, MessageEnvelope } from '../protocol/envelope.js';
import { isPromiseLike } from '../shared/is-promise-like.js';
import { sendError, sendNack, type ServerCore } from './core.js';
import { isDone, runChain } from './middleware.js';
import type { MiddlewareStack } from './middleware-stack.js';
import { MessageContext } from './call.js';
import type { ServerRequests } from './requests.js';
import type { Session } from './session.js';

/** Reads one client frame: size check, decode and parse, throwing typed errors. */
export interface ClientFrameReader {
  /**
   * @throws {PlugSocketError} `PAYLOAD_TOO_LARGE` or `INVALID_MESSAGE`; for a frame that names a
   *   request id, the error's `requestId` is that id.
   */
  read(frame: AnyFrame): ClientEnvelope;
}

/** Topic membership asked for by a client, as the server decides it. */
export interface TopicGate<P> {
  join(session: Session<P>, id: number, topic: string): void;
  leave(session: Session<P>, id: number, topic: string): void;
}

/**
 * @internal The inbound pipeline of an admitted client: size → decode → parse → [middleware] →
 * handler by kind. Control frames (`join`, `leave`, answers, `cancel`) go straight to their
 * handler; messages and requests pass the application middleware first. With no middleware
 * registered a message costs one branch more than its delivery. While an asynchronous middleware
 * holds one of a client's messages, its later messages wait, so handlers see them in order.
 */
export class Inbound<P> {
  constructor(
    private readonly core: ServerCore<P>,
    private readonly reader: ClientFrameReader,
    private readonly middleware: MiddlewareStack<P>,
    private readonly requests: ServerRequests<P>,
    private readonly topics: TopicGate<P>,
    /** Delivers a message that passed the middleware to listeners, callbacks and streams. */
    private readonly deliver: (session: Session<P>, message: SocketMessage) => void,
    /** The most messages that may wait behind an asynchronous middleware. */
    private readonly maxQueued: number,
  ) {}

  /** One frame from an admitted client. */
  frame(session: Session<P>, frame: AnyFrame): void {
    let envelope: ClientEnvelope;
    try {
      envelope = this.reader.read(frame);
    } catch (error) {
      const e = PlugSocketError.from(error, 'INVALID_MESSAGE');
      const requestId = (error as { requestId?: unknown }).requestId;
      // A request the client waits on is answered with its id, not with a bare error frame.
      if (typeof requestId === 'number') sendNack(this.core, session, requestId, e);
      else sendError(this.core, session, e);
      this.core.report(session.id, e);
      return;
    }
    switch (envelope.k) {
      case 'msg':
        this.message(session, envelope);
        return;
      case 'req':
        this.requests.incoming(session, envelope);
        return;
      case 'ack':
        this.requests.answered(session, envelope.id, undefined, envelope.result);
        return;
      case 'nack':
        this.requests.answered(
          session,
          envelope.id,
          PlugSocketError.fromWire(envelope.error),
          undefined,
        );
        return;
      case 'cancel':
        this.requests.cancelled(session, envelope.id);
        return;
      case 'join':
        this.topics.join(session, envelope.id, envelope.topic);
        return;
      case 'leave':
        this.topics.leave(session, envelope.id, envelope.topic);
        return;
    }
  }

  message(session: Session<P>, envelope: MessageEnvelope): void {
    const queue = session.queue;
    if (queue !== undefined) {
      if (queue.length >= this.maxQueued) {
        const e = new PlugSocketError('RATE_LIMITED', 'too many messages waiting for middleware');
        sendError(this.core, session, e);
        this.core.report(session.id, e);
      } else queue.push(envelope);
      return;
    }
    const chain = this.middleware.chainFor(envelope.type);
    if (chain.length === 0) {
      this.deliver(session, toMessage(envelope, envelope.payload));
      return;
    }
    const call = new MessageContext<P>(envelope.type, envelope.payload, envelope.headers, session);
    let result: void | Promise<void>;
    try {
      result = runChain(chain, call, this.#afterMiddleware);
    } catch (error) {
      this.#middlewareFailed(session, call, error);
      return;
    }
    if (isDone(result) || !isPromiseLike(result)) return;
    session.queue = [];
    result.then(
      () => this.#drain(session),
      (error: unknown) => {
        this.#middlewareFailed(session, call, error);
        this.#drain(session);
      },
    );
  }

  /** The end of a message's chain (made once, not per message): deliver what passed. */
  readonly #afterMiddleware = (call: MessageContext<P>): void => {
    const { name: type, payload, headers } = call;
    this.deliver(
      call.session,
      headers === undefined ? { type, payload } : { type, payload, headers },
    );
  };

  #drain(session: Session<P>): void {
    const queue = session.queue;
    session.queue = undefined;
    if (queue === undefined || session.status !== 'open') return;
    for (let i = 0; i < queue.length; i++) {
      this.message(session, queue[i] as MessageEnvelope);
      const held = session.queue as unknown[] | undefined;
      if (held !== undefined) {
        // Another asynchronous middleware holds a message: the rest wait behind it, in order.
        held.push(...queue.slice(i + 1));
        return;
      }
    }
  }

  #middlewareFailed(session: Session<P>, call: MessageContext<P>, error: unknown): void {
    if (PlugSocketError.is(error)) {
      sendError(this.core, session, error);
      this.core.report(session.id, error);
      return;
    }
    this.core.report(
      session.id,
      new PlugSocketError('SERVER_ERROR', `middleware failed on "${call.name}"`, { cause: error }),
    );
    sendError(
      this.core,
      session,
      new PlugSocketError('SERVER_ERROR', `message "${call.name}" failed on the server`),
    );
  }
}

function toMessage(envelope: MessageEnvelope, payload: unknown): SocketMessage {
  return envelope.headers === undefined
    ? { type: envelope.type, payload }
    : { type: envelope.type, payload, headers: envelope.headers };
}

/** @internal answers `join`/`leave` as `canSubscribe` decides. */
export function topicGate<P>(
  core: ServerCore<P>,
  canSubscribe: ((client: Session<P>, topic: string) => boolean | Promise<boolean>) | undefined,
): TopicGate<P> {
  const ack = (session: Session<P>, id: number): void => {
    if (session.status === 'open') core.router.toSession(session, { k: 'ack', id });
  };
  return {
    leave(session, id, topic) {
      core.registry.unsubscribe(session, topic);
      ack(session, id);
    },
    join(session, id, topic) {
      const answer = (allowed: boolean): void => {
        if (session.status !== 'open') return;
        if (!allowed) {
          sendNack(
            core,
            session,
            id,
            new PlugSocketError('UNAUTHORIZED', `may not join topic ${JSON.stringify(topic)}`),
          );
          return;
        }
        core.registry.subscribe(session, topic);
        ack(session, id);
      };
      const failed = (error: unknown): void => {
        core.report(
          session.id,
          new PlugSocketError('SERVER_ERROR', 'canSubscribe threw', { cause: error }),
        );
        sendNack(core, session, id, new PlugSocketError('SERVER_ERROR', 'could not join topic'));
      };
      if (canSubscribe === undefined) {
        answer(true);
        return;
      }
      try {
        const verdict = canSubscribe(session, topic);
        if (isPromiseLike(verdict)) verdict.then((v) => answer(v === true), failed);
        else answer(verdict === true);
      } catch (error) {
        failed(error);
      }
    },
  };
}
