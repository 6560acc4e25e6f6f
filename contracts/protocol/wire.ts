// Raw WebSocket connections for the protocol suite: the `ws` package's client, loaded only when
// the suite runs, and a recorder of every frame the server sends. Nothing here knows plugsocket's
// codecs: frames are JSON text, written with JSON.stringify and read with JSON.parse.
import { show } from '../assert.js';
import { waitFor } from '../helpers.js';

/** The part of a `ws` client the suite uses (kept structural, so no `ws` types leak out). */
interface WsClient {
  readonly readyState: number;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  send(data: string | Uint8Array, options: { binary: boolean }): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
}

type WsConstructor = new (
  url: string,
  options: { headers: Record<string, string>; handshakeTimeout: number },
) => WsClient;

let wsClass: Promise<WsConstructor> | undefined;

/** The `ws` client class, imported on first use: `ws` is an optional peer dependency. */
export function loadWebSocket(): Promise<WsConstructor> {
  wsClass ??= import('ws').then(
    (mod) => (mod as unknown as { default: WsConstructor }).default,
    (error: unknown) => {
      wsClass = undefined;
      throw new Error(
        `the protocol contract needs the "ws" package as its WebSocket client: npm install --save-dev ws (${String(error)})`,
      );
    },
  );
  return wsClass;
}

/** Stands for a frame whose text is not JSON. */
export const NOT_JSON: unique symbol = Symbol('not JSON');

/** One frame the server sent. */
export interface ReceivedFrame {
  /** True when it came as a binary WebSocket message (the protocol sends text only). */
  readonly binary: boolean;
  /** Its text (binary messages decoded as UTF-8). */
  readonly text: string;
  /** `JSON.parse(text)`, or {@link NOT_JSON}. */
  readonly value: unknown;
}

/** A frame's JSON object, or undefined when it is not one. */
export function objectOf(frame: ReceivedFrame | undefined): Record<string, unknown> | undefined {
  const value = frame?.value;
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

const decoder = new TextDecoder();
const OPEN = 1;

function toText(data: unknown): string {
  if (typeof data === 'string') return data;
  if (Array.isArray(data)) return data.map(toText).join('');
  if (data instanceof ArrayBuffer) return decoder.decode(new Uint8Array(data));
  if (ArrayBuffer.isView(data)) {
    return decoder.decode(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return String(data);
}

/**
 * One raw WebSocket connection to the server under test: records every frame, the close, or the
 * HTTP status of a refused upgrade. Never throws from its event handlers.
 */
export class RawConnection {
  readonly frames: ReceivedFrame[] = [];
  /** The close code and reason, once the connection closed. */
  closed: { code: number; reason: string } | undefined;
  /** The HTTP status of a refused upgrade. */
  httpStatus: number | undefined;
  /** A transport error, if one happened. */
  error: Error | undefined;
  opened = false;
  #nextId = 1;
  readonly #ws: WsClient;

  private constructor(ws: WsClient) {
    this.#ws = ws;
    ws.on('open', () => void (this.opened = true));
    ws.on('message', (data: unknown, isBinary: unknown) => {
      const text = toText(data);
      let value: unknown = NOT_JSON;
      try {
        value = JSON.parse(text);
      } catch {
        // recorded as NOT_JSON
      }
      this.frames.push({ binary: isBinary === true, text, value });
    });
    ws.on('close', (code: unknown, reason: unknown) => {
      this.closed = { code: Number(code), reason: toText(reason) };
    });
    ws.on('error', (error: unknown) => {
      this.error = error instanceof Error ? error : new Error(String(error));
    });
    ws.on('unexpected-response', (request: unknown, response: unknown) => {
      this.httpStatus = (response as { statusCode?: number }).statusCode;
      (response as { resume?: () => void }).resume?.();
      (request as { destroy?: () => void }).destroy?.();
      this.closed ??= { code: 1006, reason: `HTTP ${this.httpStatus}` };
    });
  }

  /**
   * Opens a connection and resolves once it opened, closed or was refused, within `ms`; the
   * caller inspects which.
   */
  static async open(
    url: string,
    headers: Record<string, string>,
    ms: number,
  ): Promise<RawConnection> {
    const WebSocket = await loadWebSocket();
    const connection = new RawConnection(new WebSocket(url, { headers, handshakeTimeout: ms }));
    await waitFor(
      () => connection.opened || connection.closed !== undefined || connection.error !== undefined,
      ms,
      `the WebSocket handshake with ${url}`,
    );
    return connection;
  }

  /** True while the connection is open. */
  get isOpen(): boolean {
    return this.#ws.readyState === OPEN;
  }

  /** A request id for `join`, `leave` or `req`, from this connection's counter. */
  nextId(): number {
    return this.#nextId++;
  }

  /** Sends a value as one JSON text frame. */
  send(value: unknown): void {
    this.sendText(JSON.stringify(value));
  }

  /** Sends one text frame as it is. */
  sendText(text: string): void {
    if (this.isOpen) this.#ws.send(text, { binary: false });
  }

  /** Sends one binary frame. */
  sendBinary(bytes: Uint8Array): void {
    if (this.isOpen) this.#ws.send(bytes, { binary: true });
  }

  /** Starts the closing handshake. */
  close(code: number, reason = ''): void {
    this.#ws.close(code, reason);
  }

  /** Resolves with the frame at `index` once it arrived; fails naming `what` after `ms`. */
  async frameAt(index: number, what: string, ms: number): Promise<ReceivedFrame> {
    try {
      await waitFor(() => this.frames.length > index || this.closed !== undefined, ms, what);
    } catch {
      throw new Error(`timed out after ${ms} ms waiting for ${what}; ${this.describe(index)}`);
    }
    const frame = this.frames[index];
    if (frame === undefined) throw new Error(`${what}: none came; ${this.describe(index)}`);
    return frame;
  }

  /** Resolves with the first frame from `from` on whose object satisfies `match`. */
  async find(
    match: (frame: Record<string, unknown>) => boolean,
    what: string,
    ms: number,
    from = 0,
  ): Promise<Record<string, unknown>> {
    let found: Record<string, unknown> | undefined;
    const look = (): boolean => {
      for (let i = from; i < this.frames.length; i++) {
        const value = objectOf(this.frames[i]);
        if (value !== undefined && match(value)) {
          found = value;
          return true;
        }
      }
      return this.closed !== undefined;
    };
    try {
      await waitFor(look, ms, what);
    } catch {
      throw new Error(`timed out after ${ms} ms waiting for ${what}; ${this.describe(from)}`);
    }
    if (found === undefined) throw new Error(`${what}: never came; ${this.describe(from)}`);
    return found;
  }

  /** Resolves once the connection closed; fails after `ms`. */
  async closedWithin(what: string, ms: number): Promise<{ code: number; reason: string }> {
    try {
      await waitFor(() => this.closed !== undefined, ms, what);
    } catch {
      throw new Error(`timed out after ${ms} ms waiting for ${what}; ${this.describe(0)}`);
    }
    return this.closed!;
  }

  /** What arrived from `from` on, and whether the connection closed: for failure messages. */
  describe(from = 0): string {
    const got = this.frames.slice(from);
    const shown = got
      .slice(-6)
      .map((f) => `${f.binary ? '(binary) ' : ''}${show(f.text)}`)
      .join(', ');
    const close =
      this.closed === undefined
        ? 'still open'
        : `closed with ${this.closed.code} ${show(this.closed.reason)}`;
    return `received ${got.length} frame(s)${got.length > 6 ? ', the last 6' : ''}: [${shown}], ${close}`;
  }

  /** Closes within `ms` (normal close, then terminate); never throws. */
  async dispose(ms: number): Promise<void> {
    try {
      if (this.isOpen) {
        this.#ws.close(1000, 'contract test over');
        await waitFor(() => this.closed !== undefined, ms).catch(() => undefined);
      }
      if (this.closed === undefined) this.#ws.terminate();
    } catch {
      // cleanup is best effort
    }
  }
}
