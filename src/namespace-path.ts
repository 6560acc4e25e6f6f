import { MAX_NAME_LENGTH } from './protocol/envelope.js';

/**
 * Namespaces prefix handler, request, message and event names: `ns('/chat')` turns `say` into
 * `chat/say`, and `ns('/chat').ns('room')` turns it into `chat/room/say`. Leading and trailing
 * slashes are ignored. The names travel on the wire with their prefix, so a client in another
 * language calls `chat/say`.
 */

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
