// A component holding one topic with useTopic and showing its state, for the topic specs.
import type { ReactNode } from 'react';
import { useTopic } from 'plugsocket/react';

/** Renders `joined`, `waiting` or `error:<code>` for `topic`, under data-testid `room-<topic>`. */
export function Room({ topic }: { topic: string }): ReactNode {
  const { joined, error } = useTopic(topic);
  return (
    <p data-testid={`room-${topic}`}>
      {error ? `error:${error.code}` : joined ? 'joined' : 'waiting'}
    </p>
  );
}
