import { Decoder, Encoder, protocol, type DecoderOptions, type Packet } from 'socket.io-parser';

/**
 * Most arguments (event name and acknowledgement included) a received Socket.IO packet may carry.
 * Socket.IO hands a packet's arguments to its listeners with `Function.prototype.apply`, a call
 * with one stack slot per argument: a packet of a few hundred thousand arguments, well within
 * `maxHttpBufferSize`, throws `RangeError` inside a `process.nextTick` callback and ends the
 * whole process. {@link boundedSocketIoParser} refuses such packets while decoding instead, so
 * only the connection that sent one is closed.
 */
export const MAX_SOCKET_IO_ARGUMENTS = 2048;

/** Throws for an event or acknowledgement packet with more than the allowed arguments. */
function checkArguments(packet: Packet): void {
  const data: unknown = packet.data;
  if (Array.isArray(data) && data.length > MAX_SOCKET_IO_ARGUMENTS) {
    throw new RangeError(
      `a Socket.IO packet may carry at most ${MAX_SOCKET_IO_ARGUMENTS} arguments, got ${data.length}`,
    );
  }
}

/**
 * socket.io-parser's decoder, refusing packets with more than {@link MAX_SOCKET_IO_ARGUMENTS}
 * arguments: its own `decoded` listener runs before Socket.IO's and throws, and Socket.IO closes the
 * connection on a decoding error.
 */
export class BoundedDecoder extends Decoder {
  constructor(options?: DecoderOptions) {
    super(options);
    this.on('decoded', checkArguments);
  }
}

/**
 * Socket.IO's parser with a bound on the arguments of a received packet (see
 * {@link MAX_SOCKET_IO_ARGUMENTS}); the encoding, and so the wire format, is Socket.IO's own. The
 * adapter uses it for the io servers it creates and for its clients. Give it to an io server of
 * your own as `new Server({ parser: boundedSocketIoParser })`, with or without plugsocket on it.
 */
export const boundedSocketIoParser = Object.freeze({ protocol, Encoder, Decoder: BoundedDecoder });
