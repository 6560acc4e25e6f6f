// Runs in headless Chromium: BrowserSocket instances over the page's own WebSocket, driven by the
// Node side of test/browser/chromium-contract.test.ts. Each call comes in a batch, in order; each
// event goes back in order, stamped with the socket it came from.
import type { ConnectOptions } from 'plugsocket';
import { BrowserSocket } from 'plugsocket/browser';

/** One operation on a page socket, as the Node side queued it. */
type Op =
  | { op: 'create'; id: number }
  | { op: 'connect'; id: number; options: ConnectOptions; query?: [string, string][] }
  | { op: 'send'; id: number; text?: string; bytes?: string }
  | { op: 'close'; id: number; code: number; reason: string }
  | { op: 'terminate'; id: number };

/** One event reported to Node. */
type Reported =
  | { id: number; event: 'open' }
  | { id: number; event: 'text'; text: string }
  | { id: number; event: 'bytes'; bytes: string }
  | { id: number; event: 'close'; code: number; reason: string }
  | { id: number; event: 'error'; code: string; message: string }
  | { id: number; event: 'connect-failed'; message: string }
  | { id: number; event: 'buffered'; amount: number };

declare global {
  interface Window {
    plugsocketRun(ops: string): void;
    plugsocketReport(events: string): Promise<void>;
  }
}

const sockets = new Map<number, BrowserSocket>();
let outbox: Reported[] = [];
let flushing = false;

// Events go back in batches a few milliseconds apart: one call per message event would make a
// stream of 70,000 frames 70,000 round trips through the DevTools protocol.
function report(event: Reported): void {
  outbox.push(event);
  schedule();
}

function schedule(): void {
  if (!flushing) {
    flushing = true;
    setTimeout(flush, 2);
  }
}

function flush(): void {
  flushing = false;
  // Each batch ends with every open socket's backlog, so the Node side's bufferedAmount follows
  // the page's; while any is non-zero, another batch follows to report it draining.
  let pending = false;
  for (const [id, socket] of sockets) {
    const amount = socket.bufferedAmount;
    outbox.push({ id, event: 'buffered', amount });
    if (amount > 0) pending = true;
  }
  const batch = outbox;
  outbox = [];
  // One JSON string each way: Playwright's own serialisation is slow for many small objects.
  if (batch.length > 0) void window.plugsocketReport(JSON.stringify(batch));
  if (pending) schedule();
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function create(id: number): void {
  const socket = new BrowserSocket();
  sockets.set(id, socket);
  socket.on('open', () => report({ id, event: 'open' }));
  socket.on('message', (frame) => {
    if (typeof frame === 'string') report({ id, event: 'text', text: frame });
    else report({ id, event: 'bytes', bytes: toBase64(frame) });
  });
  socket.on('close', (info) => {
    sockets.delete(id);
    report({ id, event: 'close', code: info.code, reason: info.reason });
  });
  socket.on('error', (error) =>
    report({ id, event: 'error', code: error.code, message: error.message }),
  );
}

window.plugsocketRun = (json: string): void => {
  for (const op of JSON.parse(json) as Op[]) {
    const socket = sockets.get(op.id);
    switch (op.op) {
      case 'create':
        create(op.id);
        break;
      case 'connect':
        // The query travels as entries, so keys such as __proto__ stay own keys of the object.
        socket
          ?.connect({ ...op.options, query: op.query && Object.fromEntries(op.query) })
          .catch((error: unknown) => {
            report({
              id: op.id,
              event: 'connect-failed',
              message: error instanceof Error ? error.message : String(error),
            });
          });
        break;
      case 'send':
        socket?.send(op.text ?? fromBase64(op.bytes ?? ''));
        schedule();
        break;
      case 'close':
        void socket?.disconnect(op.code, op.reason);
        break;
      case 'terminate':
        socket?.terminate();
        sockets.delete(op.id);
        break;
    }
  }
};
