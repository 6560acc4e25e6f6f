import { MemorySessionStore, type SessionRecord, type SessionStore } from 'plugsocket';

/** Flaw: take() reads, then removes a moment later (GET then DEL), so two nodes both get the record. */
export class NonAtomicTakeStore implements SessionStore {
  readonly #inner = new MemorySessionStore();

  save(record: SessionRecord, ttl: number): void {
    this.#inner.save(record, ttl);
  }

  async take(
    id: string,
    accept: (record: SessionRecord) => boolean,
  ): Promise<SessionRecord | undefined> {
    let seen: SessionRecord | undefined;
    // Refusing leaves the record stored: a read without the removal.
    this.#inner.take(id, (record) => {
      seen = record;
      return false;
    });
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (seen === undefined || !accept(seen)) return undefined;
    this.#inner.take(id, () => true);
    return seen;
  }
}

/** Flaw: the ttl given to save() is ignored (the key is written without an expiry). */
export class TtlIgnoringStore implements SessionStore {
  readonly #inner = new MemorySessionStore();

  save(record: SessionRecord): void {
    this.#inner.save(record, 2 ** 31);
  }

  take(id: string, accept: (record: SessionRecord) => boolean): SessionRecord | undefined {
    return this.#inner.take(id, accept);
  }
}
