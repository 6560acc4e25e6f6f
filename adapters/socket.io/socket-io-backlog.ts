import type { Socket } from 'socket.io';

/**
 * What one packet waiting in Engine.IO's `writeBuffer` costs beyond its data: the packet object,
 * its options object, and the flags and packet objects Socket.IO made for it. Measured on Node 20
 * with Socket.IO 4.8 (heap growth after a full collection, per packet of a stalled reader): about
 * 196 bytes beyond the packet's text; rounded up.
 * @internal
 */
export const ENGINE_PACKET_OVERHEAD = 224;

/**
 * What one chunk queued in a Node socket's write queue costs beyond its payload bytes (queue
 * entry, `Buffer` object or string header, ws's pooled frame header): measured 120–192 bytes on
 * Node 20 with ws 8. ws queues every frame as two chunks.
 * @internal
 */
export const WS_CHUNK_OVERHEAD = 192;

/** Engine.IO internals the estimate reads; any may be missing. */
interface EnginePacket {
  data?: unknown;
}
interface WsInternals {
  _socket?: {
    _writableState?: { length: number; buffered?: unknown[]; bufferedIndex?: number } | null;
  } | null;
  _sender?: { _bufferedBytes?: number; _queue?: unknown[] } | null;
}
interface EngineConnection {
  writeBuffer?: EnginePacket[];
  transport?: { name?: string; socket?: WsInternals | null } | null;
  [SCAN]?: Scan;
}

/** Where an Engine.IO connection keeps what has been counted of its current `writeBuffer`. */
const SCAN = Symbol('plugsocket.backlogScan');

/** The packets of one `writeBuffer` array counted so far, and the memory they hold. */
interface Scan {
  buffer: EnginePacket[];
  counted: number;
  bytes: number;
}

/**
 * The memory a Socket.IO socket's send backlog holds, in bytes: the packets waiting in its
 * Engine.IO connection's `writeBuffer` (where they pile up while the transport is not writable:
 * a WebSocket whose previous write has not completed, or long-polling without a pending GET),
 * each counted as its data's length plus {@link ENGINE_PACKET_OVERHEAD}; plus, over WebSocket, the
 * bytes queued in the `ws` socket under it with {@link WS_CHUNK_OVERHEAD} per queued chunk.
 *
 * Cheap per send: the `writeBuffer` is walked incrementally (each packet is counted once, and
 * the count restarts when Engine.IO swaps in a new array on flushing), and the rest is a few
 * field reads. Shared packets (a broadcast encodes once) are counted for every recipient, which
 * errs on the side of the limit.
 * @internal
 */
export function socketIoBacklog(socket: Socket): number {
  const conn = socket.conn as unknown as EngineConnection;
  let total = 0;
  const buffer = conn.writeBuffer;
  if (buffer !== undefined && buffer.length > 0) {
    let scan = conn[SCAN];
    if (scan === undefined) scan = conn[SCAN] = { buffer, counted: 0, bytes: 0 };
    else if (scan.buffer !== buffer || scan.counted > buffer.length) {
      scan.buffer = buffer;
      scan.counted = 0;
      scan.bytes = 0;
    }
    let bytes = scan.bytes;
    for (let i = scan.counted; i < buffer.length; i++) {
      const data = buffer[i].data;
      bytes +=
        ENGINE_PACKET_OVERHEAD +
        (typeof data === 'string'
          ? data.length
          : ArrayBuffer.isView(data) || data instanceof ArrayBuffer
            ? data.byteLength
            : 0);
    }
    scan.counted = buffer.length;
    scan.bytes = bytes;
    total = bytes;
  }
  const transport = conn.transport;
  if (transport?.name === 'websocket' && transport.socket != null) {
    total += wsBacklog(transport.socket);
  }
  return total;
}

/** ws's queued bytes plus a per-chunk overhead; see `wsBacklog` in the ws adapter. */
function wsBacklog(ws: WsInternals): number {
  const state = ws._socket?._writableState;
  if (state == null) return 0;
  const sender = ws._sender;
  let chunks = 0;
  const buffered = state.buffered;
  if (buffered !== undefined) chunks = buffered.length - (state.bufferedIndex ?? 0);
  const queue = sender?._queue;
  if (queue !== undefined) chunks += 2 * queue.length;
  return state.length + (sender?._bufferedBytes ?? 0) + chunks * WS_CHUNK_OVERHEAD;
}
