// What travels between the Node side of the Chromium contract run (test/browser/page-socket.ts)
// and the page (contract-page.ts): operations on a page socket one way, its events the other, each
// batch as one JSON string. Types only, shared by both sides.
import type { ConnectOptions } from 'plugsocket';

/** One operation on a page socket, as the Node side queued it. */
export type Op =
  | { op: 'create'; id: number }
  | { op: 'connect'; id: number; gen: number; options: ConnectOptions; query?: [string, string][] }
  | { op: 'send'; id: number; text?: string; bytes?: string }
  | { op: 'close'; id: number; code: number; reason: string }
  | { op: 'terminate'; id: number };

/** One event of a page socket (or a fault of the relay), reported to Node. */
export type Reported =
  | { id: number; event: 'fault'; message: string }
  | { id: number; gen: number; event: 'open' }
  | { id: number; gen: number; event: 'text'; text: string }
  | { id: number; gen: number; event: 'bytes'; bytes: string }
  | { id: number; gen: number; event: 'close'; code: number; reason: string }
  | { id: number; gen: number; event: 'error'; code: string; message: string }
  | { id: number; gen: number; event: 'connect-failed'; message: string; cause?: unknown }
  | { id: number; event: 'buffered'; amount: number };
