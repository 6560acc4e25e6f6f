import {
  MemoryBackplane,
  MemorySessionStore,
  type BackplaneNode,
  type SessionRecord,
  type SessionStore,
} from 'plugsocket';

/**
 * Not a flaw: a removed entry lists its topics in reverse order (as a store that keeps them in a
 * set would, in an order of its own). The port promises no order, so the suite must pass it.
 */
export class TopicsReversedBackplane extends MemoryBackplane {
  override open(node: BackplaneNode): Promise<void> {
    return super.open({
      id: node.id,
      receive: (packet, from) => node.receive(packet, from),
      state: (state, error) => node.state(state, error),
      nodeGone: (gone, removed) =>
        node.nodeGone(
          gone,
          removed?.map((c) => ({ ...c, topics: [...c.topics].reverse() })),
        ),
    });
  }
}

/** Not a flaw: a session record comes back with its topics in reverse order. */
export class TopicsReversedStore implements SessionStore {
  readonly #inner = new MemorySessionStore();

  save(record: SessionRecord, ttl: number): void {
    this.#inner.save(record, ttl);
  }

  take(id: string, accept: (record: SessionRecord) => boolean): SessionRecord | undefined {
    const reversed = (record: SessionRecord): SessionRecord => ({
      ...record,
      topics: [...record.topics].reverse(),
    });
    const taken = this.#inner.take(id, (record) => accept(reversed(record)));
    return taken === undefined ? undefined : reversed(taken);
  }
}
