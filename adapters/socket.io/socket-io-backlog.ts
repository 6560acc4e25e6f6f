import type { Socket } from 'socket.io';
import { wsBacklog } from '../shared/ws-backlog.js';

/**
 * What one packet waiting in Engine.IO's `writeBuffer` costs beyond its data: the packet object,
 * its options object, and the flags and packet objects Socket.IO made for it. Measured on Node 20
 * with Socket.IO 4.8 (heap growth after a full collection, per packet of a stalled reader): about
 * 196 bytes beyond the packet's text; rounded up.
 * @internal
 */
export const ENGINE_PACKET_OVERHEAD = 224;

/** Engine.IO internals the estimate reads; any may be missing. */
interface EnginePacket {
  data?: unknown;
}
interface EngineConnection {
  writeBuffer?: EnginePacket[];
  /** Over WebSocket, `socket` is the `ws` socket under the Engine.IO connection. */
  transport?: { name?: string; socket?: { readonly bufferedAmount?: number } | null } | null;
}

/**
 * A `writeBuffer` this short is walked whole on each check; a longer one (a backlog building up)
 * is walked incrementally, remembering what was counted in {@link SCANS}.
 */
const SHORT = 32;

/**
 * What has been counted of a long `writeBuffer`, by Engine.IO connection: kept aside, not on the
 * connection, so that the many connections whose buffer never grows carry nothing for it.
 */
const SCANS = new WeakMap<EngineConnection, Scan>();

/**
 * The packets of one `writeBuffer` array counted so far, and the memory they hold. The array is
 * recognised by its first packet, so that a flushed array (and what it held) is not kept alive.
 */
interface Scan {
  first: EnginePacket;
  counted: number;
  bytes: number;
}

/**
 * The memory a Socket.IO socket's send backlog holds, in bytes: the packets waiting in its
 * Engine.IO connection's `writeBuffer` (where they pile up while the transport is not writable:
 * a WebSocket whose previous write has not completed, or long-polling without a pending GET),
 * each counted as its data's length plus {@link ENGINE_PACKET_OVERHEAD}; plus, over WebSocket, the
 * bytes queued in the `ws` socket under it with `WS_CHUNK_OVERHEAD` per queued chunk (`wsBacklog`).
 *
 * Cheap per send: a short `writeBuffer` is walked whole, a long one incrementally (each packet
 * is counted once, and the count restarts when Engine.IO swaps in a new array on flushing), and
 * the rest is a few field reads. Shared packets (a broadcast encodes once) are counted for every recipient, which
 * errs on the side of the limit.
 * @internal
 */
export function socketIoBacklog(socket: Socket): number {
  const conn = socket.conn as unknown as EngineConnection;
  let total = 0;
  const buffer = conn.writeBuffer;
  if (buffer !== undefined && buffer.length > 0) {
    if (buffer.length <= SHORT) total = packetBytes(buffer, 0, 0);
    else {
      let scan = SCANS.get(conn);
      // A flush swaps in a new array: its first packet differs from the one counted first.
      if (scan === undefined || scan.first !== buffer[0] || scan.counted > buffer.length) {
        scan = { first: buffer[0], counted: 0, bytes: 0 };
        SCANS.set(conn, scan);
      }
      scan.bytes = packetBytes(buffer, scan.counted, scan.bytes);
      scan.counted = buffer.length;
      total = scan.bytes;
    }
  }
  const transport = conn.transport;
  if (transport?.name === 'websocket' && transport.socket != null) {
    total += wsBacklog(transport.socket);
  }
  return total;
}

/** `bytes` plus the memory of the packets of `buffer` from index `from` on. */
function packetBytes(buffer: EnginePacket[], from: number, bytes: number): number {
  for (let i = from; i < buffer.length; i++) {
    const data = buffer[i].data;
    bytes +=
      ENGINE_PACKET_OVERHEAD +
      (typeof data === 'string'
        ? data.length
        : ArrayBuffer.isView(data) || data instanceof ArrayBuffer
          ? data.byteLength
          : 0);
  }
  return bytes;
}
