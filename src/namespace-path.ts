import { MAX_NAME_LENGTH } from './protocol/envelope.js';
import type { Schema } from './schema.js';

/**
 * Namespaces prefix handler, request, message and event names: `ns('/chat')` turns `say` into
 * `chat/say`, and `ns('/chat').ns('room')` turns it into `chat/room/say`. Leading and trailing
 * slashes are ignored. The names travel on the wire with their prefix, so a client in another
 * language calls `chat/say`.
 */

type Trim<T extends string> = T extends `/${infer R}`
  ? Trim<R>
  : T extends `${infer R}/`
    ? Trim<R>
    : T;

/** The keys of `M` under `Prefix/`, without it. */
type Under<M, Prefix extends string> = {
  [K in keyof M as K extends `${Prefix}/${infer Rest}` ? Rest : never]: M[K];
};

type SubPart<S, K extends keyof Schema, Prefix extends string> = S extends { [P in K]-?: infer M }
  ? Record<K, Under<M, Prefix>>
  : unknown;

/**
 * The schema a namespace sees: every part of `S` narrowed to the names under the namespace, with
 * the prefix taken off. A part `S` leaves out stays open.
 */
export type NamespaceSchema<S, Path extends string> = SubPart<S, 'clientMessages', Trim<Path>> &
  SubPart<S, 'serverMessages', Trim<Path>> &
  SubPart<S, 'serverHandlers', Trim<Path>> &
  SubPart<S, 'clientHandlers', Trim<Path>>;

/**
 * The prefix of a namespace path, `chat/room/` for `/chat/room`.
 * @throws {TypeError} for a path that is empty once trimmed, or longer than a name may be.
 */
export function namespacePrefix(parent: string, path: string): string {
  if (typeof path !== 'string') throw new TypeError('namespace must be a string');
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  const prefix = `${parent}${trimmed}/`;
  // A name under the namespace needs at least one character after the prefix.
  if (trimmed === '' || prefix.length >= MAX_NAME_LENGTH) {
    throw new TypeError(
      `a namespace path must be non-empty and its full prefix shorter than ${MAX_NAME_LENGTH} characters`,
    );
  }
  return prefix;
}
