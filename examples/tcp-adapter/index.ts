// The example TCP transport: a complete plugsocket adapter for a transport plugsocket does not
// ship, written against the public API only (`plugsocket`, `plugsocket/contracts`), as a third
// party would. See docs/writing-an-adapter.md for the walk-through.

export {
  DEFAULT_MAX_FRAME_SIZE,
  FrameDecoder,
  FrameKind,
  HEADER_SIZE,
  TcpProtocolError,
  encodeFrame,
  encodeMessage,
  type FrameDecoderOptions,
  type FrameKindCode,
  type Hello,
  type TcpFrame,
} from './frame-codec.js';
export {
  DEFAULT_HANDSHAKE_TIMEOUT,
  TCP_CAPABILITIES,
  TcpSocketServer,
  type TcpSocketServerOptions,
} from './tcp-socket-server.js';
export { TcpSocket, parseTcpUrl, type TcpSocketOptions, type TcpTarget } from './tcp-socket.js';
