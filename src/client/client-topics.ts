import { PlugSocketError } from '../errors.js';
import { assertName } from '../protocol/envelope.js';
import type { ClientRequests } from './client-requests.js';

/**
 * @internal The topics a client is in. They survive a dropped connection and are joined again on
 * the next connect ({@link rejoin}); `disconnect()` forgets them.
 */
export class ClientTopics {
  readonly #joined = new Set<string>();

  constructor(
    private readonly requests: ClientRequests,
    private readonly isOpen: () => boolean,
    /**
     * True while the session the answer belongs to lives: open, or resuming (an answer replayed
     * on resume arrives before the client is open again).
     */
    private readonly sessionLives: () => boolean,
    private readonly report: (error: PlugSocketError) => void,
  ) {}

  get joined(): ReadonlySet<string> {
    return this.#joined;
  }

  async join(topic: string): Promise<void> {
    await this.#ask('join', topic);
    // The answer and a close may arrive together: a closed session keeps no topics.
    if (this.sessionLives()) this.#joined.add(topic);
  }

  async leave(topic: string): Promise<void> {
    await this.#ask('leave', topic);
    this.#joined.delete(topic);
  }

  /** Joins again every topic after a reconnect; a refusal drops the topic and is reported. */
  rejoin(): void {
    for (const topic of this.#joined) {
      this.requests.topic('join', topic).catch((error: unknown) => {
        this.#joined.delete(topic);
        this.report(PlugSocketError.from(error));
      });
    }
  }

  /** Topics the server removed this client from (a refresh whose principal may not hold them). */
  left(topics: readonly string[]): void {
    for (const topic of topics) this.#joined.delete(topic);
  }

  forget(): void {
    this.#joined.clear();
  }

  async #ask(kind: 'join' | 'leave', topic: string): Promise<void> {
    assertName(topic, 'topic');
    if (!this.isOpen()) throw new PlugSocketError('NOT_CONNECTED', `cannot ${kind}: not connected`);
    return this.requests.topic(kind, topic);
  }
}
