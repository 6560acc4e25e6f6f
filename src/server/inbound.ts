import { PlugSocketError } from '../errors.js';
import type { SocketMessage } from '../message.js';
import type { AnyFrame } from '../ports/types.js';
import { CloseCodes } from '../ports/close.js';
import type { AuthEnvelope, ClientEnvelope, MessageEnvelope } from '../protocol/envelope.js';
import { isPromiseLike } from '../shared/is-promise-like.js';
import { sendError, sendNack, type ServerCore } from './core.js';
import { isDone, runChain } from './middleware.js';
import type { MiddlewareStack } from './middleware-stack.js';
import { MessageContext } from './call.js';
import type { ServerRequests } from './requests.js';
import { frameSize } from '../protocol/frame-size.js';
import { takeStructuredSize } from '../protocol/structured.js';
import { RateVerdict, takeFrame, type RateLimitSettings } from './rate-limit.js';
import { countTaken } from './resume.js';
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
  /** Asks the join hook again for each of the session's topics; leaves and lists those refused. */
  revalidate(session: Session<P>): Promise<string[]>;
}

/**
 * @internal The inbound pipeline of an admitted client: rate limit → size → decode → parse →
 * [middleware] → handler by kind. The rate limit comes first for text and binary frames, so a
 * frame past it is not processed (it is decoded only to answer it, at most `maxViolations` times
 * an interval before the client is cut off); a structured frame is limited right after its
 * decoding walk, which measures it. Control frames (`join`, `leave`, answers, `cancel`) go straight to their
 * handler; messages and requests pass the application middleware first. With no middleware
 * registered a message costs one branch more than its delivery. While an asynchronous middleware
 * holds one of a client's messages, its later messages wait, so handlers see them in order.
 */
export class Inbound<P> {
  /** The protocol's `pong` frame, encoded on first use. */
  #pong: AnyFrame | undefined;

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
    /** The per-connection rate limit, when on. */
    private readonly rateLimit: RateLimitSettings | undefined,
    /** An admitted client's fresh credentials (`auth`). */
    private readonly refresh: (session: Session<P>, envelope: AuthEnvelope) => void,
    /** A client cut off for flooding: counted against its address, as a failed login is. */
    private readonly cutOff: (session: Session<P>) => void,
  ) {}

  /** One frame from an admitted client. */
  frame(session: Session<P>, frame: AnyFrame): void {
    const limit = this.rateLimit;
    // Text and binary frames are measured and limited before they are decoded; a structured one
    // after, with the size its decoding walk measured (no second walk).
    const structured = limit !== undefined && typeof frame !== 'string' && Array.isArray(frame);
    if (limit !== undefined && !structured) {
      const size = typeof frame === 'string' ? frame.length : (frame as Uint8Array).byteLength;
      const verdict = takeFrame(limit, session, size);
      if (verdict !== RateVerdict.Pass) {
        const envelope =
          verdict === RateVerdict.Disconnect ? undefined : this.#readOrUndefined(frame);
        this.#limited(session, envelope, verdict);
        return;
      }
    }
    let envelope: ClientEnvelope;
    try {
      envelope = this.reader.read(frame);
      if (structured) {
        const measured = takeStructuredSize();
        const size = measured >= 0 ? measured : frameSize(frame, limit.burstBytes);
        const verdict = takeFrame(limit, session, size);
        if (verdict !== RateVerdict.Pass) {
          this.#limited(session, envelope, verdict);
          return;
        }
      }
    } catch (error) {
      // A structured frame that does not decode still counts (its size is unknown: nothing).
      if (structured) {
        const verdict = takeFrame(limit, session, 0);
        if (verdict !== RateVerdict.Pass) {
          this.#limited(session, undefined, verdict);
          return;
        }
      }
      countTaken(this.core, session, undefined);
      const e = PlugSocketError.from(error, 'INVALID_MESSAGE');
      const requestId = (error as { requestId?: unknown }).requestId;
      // A request the client waits on is answered with its id, not with a bare error frame.
      if (typeof requestId === 'number') sendNack(this.core, session, requestId, e);
      else sendError(this.core, session, e);
      this.core.report(session.id, e);
      return;
    }
    if (session.resume !== undefined) countTaken(this.core, session, envelope.k);
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
      case 'auth':
        this.refresh(session, envelope);
        return;
      case 'ping':
        this.#pong ??= this.core.router.encodeEnvelope({ k: 'pong' });
        this.core.router.control(session, this.#pong);
        return;
      case 'pong':
        this.core.pong(session);
        return;
      case 'got':
        this.#got(session, envelope.n);
        return;
    }
  }

  /**
   * A `got`: how many of the server's stream frames the client has; the log drops them. One
   * beyond what was sent is an error (the connection stays).
   */
  #got(session: Session<P>, n: number): void {
    const log = session.resume;
    if (log === undefined) return;
    // The client acknowledges on this connection, so it read the welcome: its old secret is done.
    log.previousSecret = undefined;
    if (log.acknowledge(n)) return;
    const e = new PlugSocketError(
      'INVALID_MESSAGE',
      `"got" counts ${n} frames, more than were sent`,
    );
    sendError(this.core, session, e);
    this.core.report(session.id, e);
  }

  /**
   * A frame past the rate limit: not processed. A request, join, leave or refresh is answered
   * with `RATE_LIMITED` so its sender does not wait; a message gets one `RATE_LIMITED` error frame
   * per interval, so refusing a flood does not become a flood. Answers to the server's own
   * requests still count but are taken, since the server is waiting on them. Past
   * `maxViolations` refusals in one interval the client is disconnected with 4429.
   */
  #limited(session: Session<P>, envelope: ClientEnvelope | undefined, verdict: RateVerdict): void {
    if (verdict === RateVerdict.Disconnect) {
      // Once: frames already on their way keep arriving until the transport closes.
      if (session.rate?.refused !== (this.rateLimit?.maxViolations ?? 0) + 1) return;
      const e = new PlugSocketError('RATE_LIMITED', 'rate limit exceeded: disconnected');
      this.core.report(session.id, e);
      this.cutOff(session);
      void session.connection
        .close(CloseCodes.RATE_LIMITED, 'rate limit exceeded')
        .catch(() => undefined);
      return;
    }
    countTaken(this.core, session, envelope?.k);
    const refused = new PlugSocketError('RATE_LIMITED', 'rate limit exceeded');
    switch (envelope?.k) {
      case 'ack':
      case 'nack':
      case 'cancel':
        this.frameAfterLimit(session, envelope);
        return;
      case 'pong':
        // The answer to the server's own ping: taken, like the answers to its requests.
        this.core.pong(session);
        return;
      case 'got':
        // So is an acknowledgement: it frees the resume log.
        this.#got(session, envelope.n);
        return;
      case 'req':
      case 'join':
      case 'leave':
      case 'auth':
        sendNack(this.core, session, envelope.id, refused);
        return;
      default:
        // A message, or a frame that does not decode: told once per interval.
        if (verdict === RateVerdict.RefusedFirst) {
          sendError(this.core, session, refused);
          this.core.report(session.id, refused);
        }
    }
  }

  /** The envelope of a frame refused by the rate limit, to answer it; undefined if it does not decode. */
  #readOrUndefined(frame: AnyFrame): ClientEnvelope | undefined {
    try {
      return this.reader.read(frame);
    } catch {
      return undefined;
    }
  }

  /** An answer that arrived past the rate limit: handled as if it had not. */
  private frameAfterLimit(session: Session<P>, envelope: ClientEnvelope): void {
    if (envelope.k === 'ack')
      this.requests.answered(session, envelope.id, undefined, envelope.result);
    else if (envelope.k === 'nack')
      this.requests.answered(
        session,
        envelope.id,
        PlugSocketError.fromWire(envelope.error),
        undefined,
      );
    else if (envelope.k === 'cancel') this.requests.cancelled(session, envelope.id);
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
    if (queue === undefined || !session.live) return;
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

/** @internal answers `join`/`leave` as the join hook decides, up to `maxTopics` per client. */
export function topicGate<P>(
  core: ServerCore<P>,
  canJoin: ((client: Session<P>, topic: string) => boolean | Promise<boolean>) | undefined,
  maxTopics: number,
): TopicGate<P> {
  const ack = (session: Session<P>, id: number): void => {
    if (session.live) core.router.toSession(session, { k: 'ack', id });
  };
  const full = (session: Session<P>, topic: string): boolean =>
    session.topics.size >= maxTopics && !session.topics.has(topic);
  const tooMany = (): PlugSocketError =>
    new PlugSocketError('LIMIT_EXCEEDED', `a client may be in at most ${maxTopics} topics`);
  return {
    leave(session, id, topic) {
      core.registry.unsubscribe(session, topic);
      ack(session, id);
    },
    join(session, id, topic) {
      if (full(session, topic)) {
        sendNack(core, session, id, tooMany());
        return;
      }
      const answer = (allowed: boolean): void => {
        if (!session.live) return;
        if (!allowed) {
          sendNack(
            core,
            session,
            id,
            new PlugSocketError('UNAUTHORIZED', `may not join topic ${JSON.stringify(topic)}`),
          );
          return;
        }
        // Checked again: other joins may have filled the client's topics while this one waited.
        if (full(session, topic)) {
          sendNack(core, session, id, tooMany());
          return;
        }
        core.registry.subscribe(session, topic);
        ack(session, id);
      };
      const failed = (error: unknown): void => {
        core.report(
          session.id,
          new PlugSocketError('SERVER_ERROR', 'the join hook threw', { cause: error }),
        );
        sendNack(core, session, id, new PlugSocketError('SERVER_ERROR', 'could not join topic'));
      };
      if (canJoin === undefined) {
        answer(true);
        return;
      }
      try {
        const verdict = canJoin(session, topic);
        if (isPromiseLike(verdict)) verdict.then((v) => answer(v === true), failed);
        else answer(verdict === true);
      } catch (error) {
        failed(error);
      }
    },
    async revalidate(session) {
      if (canJoin === undefined || session.topics.size === 0) return [];
      const topics = [...session.topics];
      const verdicts = await Promise.all(
        topics.map(async (topic) => {
          try {
            return (await canJoin(session, topic)) === true;
          } catch (error) {
            core.report(
              session.id,
              new PlugSocketError('SERVER_ERROR', 'the join hook threw', { cause: error }),
            );
            return false;
          }
        }),
      );
      const left: string[] = [];
      topics.forEach((topic, i) => {
        if (!verdicts[i] && core.registry.unsubscribe(session, topic)) left.push(topic);
      });
      return left;
    },
  };
}
