// Runs in headless Chromium: BrowserSocket instances over the page's own WebSocket, driven by the
// Node side of test/browser/chromium-contract.test.ts. Each call comes in a batch, in order; each
// event goes back in order, stamped with the socket it came from.
import { BrowserSocket } from 'plugsocket/browser';
import type { Op, Reported } from './relay-protocol.js';

declare global {
  interface Window {
    plugsocketRun(ops: string): void;
    plugsocketReport(events: string): Promise<void>;
  }
}

/**
 * One BrowserSocket per client handle, for the handle's whole life: a reconnect reuses it, as an
 * application does, so its isolation from an earlier native socket is under test too. Each event
 * carries the generation (the handle's connect count) current when the socket emitted it; the
 * Node side drops those of an earlier one, which it has already closed on its own.
 */
const sockets = new Map<number, { socket: BrowserSocket; gen: number }>();
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
  for (const [id, { socket }] of sockets) {
    if (socket.state !== 'open' && socket.state !== 'closing') continue;
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
  const entry = { socket: new BrowserSocket(), gen: 0 };
  const { socket } = entry;
  sockets.set(id, entry);
  socket.on('open', () => report({ id, gen: entry.gen, event: 'open' }));
  socket.on('message', (frame) => {
    if (typeof frame === 'string') report({ id, gen: entry.gen, event: 'text', text: frame });
    else report({ id, gen: entry.gen, event: 'bytes', bytes: toBase64(frame) });
  });
  socket.on('close', (info) =>
    report({ id, gen: entry.gen, event: 'close', code: info.code, reason: info.reason }),
  );
  socket.on('error', (error) =>
    report({ id, gen: entry.gen, event: 'error', code: error.code, message: error.message }),
  );
}

/** A close the server answered a handshake with ({ code, reason }), kept as connect()'s cause. */
function closeCause(error: unknown): unknown {
  const cause = (error as { cause?: unknown }).cause;
  if (typeof cause !== 'object' || cause === null) return undefined;
  const { code, reason } = cause as { code?: unknown; reason?: unknown };
  return typeof code === 'number' && typeof reason === 'string' ? { code, reason } : undefined;
}

function run(op: Op): void {
  const entry = sockets.get(op.id);
  if (op.op === 'create') {
    create(op.id);
    return;
  }
  if (entry === undefined) throw new Error(`no page socket ${op.id} for ${op.op}`);
  const { socket } = entry;
  switch (op.op) {
    case 'connect': {
      entry.gen = op.gen;
      const gen = op.gen;
      // The query travels as entries, so keys such as __proto__ stay own keys of the object.
      socket
        .connect({ ...op.options, query: op.query && Object.fromEntries(op.query) })
        .catch((error: unknown) => {
          report({
            id: op.id,
            gen,
            event: 'connect-failed',
            message: error instanceof Error ? error.message : String(error),
            cause: closeCause(error),
          });
        });
      break;
    }
    case 'send':
      socket.send(op.text ?? fromBase64(op.bytes ?? ''));
      schedule();
      break;
    case 'close':
      void socket.disconnect(op.code, op.reason);
      break;
    case 'terminate':
      socket.terminate();
      break;
  }
}

window.plugsocketRun = (json: string): void => {
  for (const op of JSON.parse(json) as Op[]) {
    // One failing operation must not take the rest of its batch with it, nor pass unnoticed.
    try {
      run(op);
    } catch (error) {
      report({ id: op.id, event: 'fault', message: `${op.op}: ${String(error)}` });
    }
  }
};
