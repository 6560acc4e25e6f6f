import { PlugSocketError } from '../../src/index.js';

/**
 * Gives the errors `ws` raises for a peer's frames their plugsocket code: a frame over the ws
 * transport limit (the adapter's `maxPayload`, not the domain's `SocketServerOptions.maxPayload`)
 * is `PAYLOAD_TOO_LARGE`, any other protocol violation (bad UTF-8, bad opcode,
 * too many fragments, …) is `INVALID_MESSAGE`. Anything else is returned as it is, for the base
 * class to wrap. ws closes the connection after each of these (1009, 1007, 1002 or 1008).
 * @internal
 */
export function fromWsError(error: Error): unknown {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('WS_ERR_')) return error;
  return new PlugSocketError(
    code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'PAYLOAD_TOO_LARGE' : 'INVALID_MESSAGE',
    error.message,
    { cause: error },
  );
}
