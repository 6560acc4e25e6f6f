// Support code shared by the adapters whose connections sit on a `ws` socket (the ws adapter, and
// Socket.IO over WebSocket): it reads structure, not types, so it imports no transport library.

/**
 * What one chunk queued in a Node socket's write queue costs beyond its payload bytes: its queue
 * entry, its `Buffer` object (or string header) and its share of the pooled header buffer ws
 * frames it with. Measured on Node 20 with ws 8 (heapUsed + arrayBuffers growth after a full
 * collection, minus payload bytes, per chunk, for a stalled reader): 120–140 bytes for text and
 * up to 192 for binary frames of 6 B to 2 KiB. ws
 * queues every frame as two chunks (header and payload).
 * @internal
 */
export const WS_CHUNK_OVERHEAD = 192;

/** The parts of ws and Node stream internals the estimate reads; any may be missing. */
interface WsInternals {
  _socket?: {
    _writableState?: { length: number; buffered?: unknown[]; bufferedIndex?: number } | null;
  } | null;
  _sender?: { _bufferedBytes?: number; _queue?: unknown[] } | null;
}

/**
 * The memory a ws socket's send backlog holds, estimated cheaply (a few field reads, no walk):
 * ws's `bufferedAmount` (payload and header bytes queued in the process; text counted one byte per
 * UTF-16 unit) plus {@link WS_CHUNK_OVERHEAD} for every chunk waiting in the socket's write queue
 * and every message waiting in ws's own queue (compression). Bytes the kernel has accepted are not
 * the process's memory and are not counted. Falls back to `bufferedAmount` alone when the stream
 * internals are not where Node 20–24 keep them.
 * @internal
 */
export function wsBacklog(ws: { readonly bufferedAmount?: number }): number {
  const internals = ws as WsInternals & { readonly bufferedAmount?: number };
  const state = internals._socket?._writableState;
  if (state == null) return ws.bufferedAmount ?? 0;
  const sender = internals._sender;
  let chunks = 0;
  const buffered = state.buffered;
  if (buffered !== undefined) chunks = buffered.length - (state.bufferedIndex ?? 0);
  const queue = sender?._queue;
  if (queue !== undefined) chunks += 2 * queue.length;
  return state.length + (sender?._bufferedBytes ?? 0) + chunks * WS_CHUNK_OVERHEAD;
}
