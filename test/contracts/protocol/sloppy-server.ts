// A small plugsocket-protocol server written straight on `ws`, independent of plugsocket's own
// server, with one switchable flaw. With flaw `none` it is a faithful (if minimal) second
// implementation of docs/protocol.md that the protocol contract must pass; each other flaw is a
// plausible mistake the contract must catch. Users (`to: { user }`) are not modelled: every user
// target is offline.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  isRefusal,
  KNOWN_CODES,
  validate,
  type Flaw,
  type Frame,
  type Refusal,
} from './sloppy-frames.js';

/** What the sloppy server is configured with; the fixture passes the same to the suite. */
export const SLOPPY = {
  token: 's3cret',
  refusedTopic: 'admin',
  echoRequest: 'echo',
  relayType: 'chat',
  maxPayload: 4096,
} as const;

interface Client {
  id: string;
  ws: WebSocket;
  /** Requests this client asked of another, by the asker's id: the forwarded id and target. */
  asked: Map<number, { target: Client; forwardedId: number }>;
}

/** A request forwarded to a target, by the id the server gave it. */
interface Forwarded {
  asker: Client;
  askerId: number;
  target: Client;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function authOf(req: IncomingMessage): Frame | undefined | null {
  const header = req.headers['x-plugsocket-auth'];
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !/^[A-Za-z0-9_-]+$/.test(header)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Frame)
      : null;
  } catch {
    return null;
  }
}

/** Starts a sloppy server on loopback; resolves with its url and a function that stops it. */
export async function startSloppyServer(
  flaw: Flaw,
): Promise<{ url: string; close: () => Promise<void> }> {
  const clients = new Map<string, Client>();
  const forwarded = new Map<number, Forwarded>();
  let nextClient = 1;
  let nextForward = 1;

  const send = (client: Client, frame: Frame): void => {
    if (client.ws.readyState === client.ws.OPEN) client.ws.send(JSON.stringify(frame));
  };
  const refuse = (client: Client, refusal: Refusal): void => {
    const error = { code: refusal.code, message: refusal.message };
    if (refusal.requestId !== undefined) send(client, { k: 'nack', id: refusal.requestId, error });
    else send(client, { k: 'error', error });
  };
  const answerId = (id: number): number => (flaw === 'answer-id-off-by-one' ? id + 1 : id);

  const onRequest = (client: Client, frame: Frame): void => {
    const id = frame.id as number;
    if (client.asked.has(id)) {
      const message = `request id ${id} is already in flight`;
      refuse(client, {
        code: 'INVALID_MESSAGE',
        message,
        requestId: flaw === 'nack-duplicate-id' ? id : undefined,
      });
      return;
    }
    if (frame.to !== undefined) {
      const target = typeof frame.to === 'string' ? clients.get(frame.to) : undefined;
      if (target === undefined) {
        refuse(client, { code: 'TARGET_OFFLINE', message: 'no such client', requestId: id });
        return;
      }
      const forwardedId = nextForward++;
      forwarded.set(forwardedId, { asker: client, askerId: id, target });
      client.asked.set(id, { target, forwardedId });
      const out: Frame = { k: 'req', id: forwardedId, name: frame.name };
      if (frame.payload !== undefined) out.payload = frame.payload;
      if (flaw !== 'peer-no-from') out.from = client.id;
      send(target, out);
      return;
    }
    if (frame.name !== SLOPPY.echoRequest) {
      const error = { code: 'HANDLER_NOT_FOUND', message: `no handler for ${String(frame.name)}` };
      send(client, { k: 'nack', id: answerId(id), error });
      return;
    }
    const keepNull = flaw !== 'null-result-dropped' || frame.payload !== null;
    send(
      client,
      frame.payload === undefined || !keepNull
        ? { k: 'ack', id: answerId(id) }
        : { k: 'ack', id: answerId(id), result: frame.payload },
    );
  };

  /** A client's ack or nack: the answer to a request forwarded to it, or nothing. */
  const onAnswer = (client: Client, frame: Frame): void => {
    const pending = forwarded.get(frame.id as number);
    if (pending === undefined || pending.target !== client) return;
    forwarded.delete(frame.id as number);
    pending.asker.asked.delete(pending.askerId);
    if (frame.k === 'ack') {
      const out: Frame = { k: 'ack', id: pending.askerId };
      if (frame.result !== undefined) out.result = frame.result;
      send(pending.asker, out);
      return;
    }
    const error = frame.error as { code: string; message: string };
    const code = KNOWN_CODES.has(error.code) ? error.code : 'SERVER_ERROR';
    send(pending.asker, {
      k: 'nack',
      id: pending.askerId,
      error: { code, message: error.message },
    });
  };

  const onCancel = (client: Client, id: number): void => {
    const asked = client.asked.get(id);
    if (asked === undefined) return;
    client.asked.delete(id);
    forwarded.delete(asked.forwardedId);
    if (flaw !== 'no-cancel-forward') send(asked.target, { k: 'cancel', id: asked.forwardedId });
  };

  const onFrame = (client: Client, data: RawData, isBinary: boolean): void => {
    const bytes = Buffer.isBuffer(data)
      ? data
      : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]);
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      refuse(client, { code: 'INVALID_MESSAGE', message: 'frame is not valid UTF-8' });
      return;
    }
    const size = flaw === 'counts-characters' ? text.length : bytes.byteLength;
    if (size > SLOPPY.maxPayload) {
      if (flaw === 'close-on-oversize') client.ws.close(1009, 'too big');
      else
        refuse(client, {
          code: 'PAYLOAD_TOO_LARGE',
          message: `frame exceeds ${SLOPPY.maxPayload} bytes`,
        });
      return;
    }
    if (isBinary && flaw === 'binary-refused') {
      refuse(client, { code: 'INVALID_MESSAGE', message: 'binary frames are not supported' });
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      if (flaw === 'close-on-bad-json') client.ws.close(1002, 'bad JSON');
      else refuse(client, { code: 'INVALID_MESSAGE', message: 'frame is not valid JSON' });
      return;
    }
    const frame = validate(value, flaw);
    if (isRefusal(frame)) {
      refuse(client, frame);
      return;
    }
    switch (frame.k) {
      case 'msg':
        if (frame.type === SLOPPY.relayType) {
          const out: Frame = { k: 'msg', type: frame.type, from: client.id };
          if (frame.payload !== undefined) out.payload = frame.payload;
          for (const other of clients.values()) {
            if (other !== client || flaw === 'relay-echo') send(other, out);
          }
        }
        return;
      case 'join':
        if (frame.topic === SLOPPY.refusedTopic) {
          const error = { code: 'UNAUTHORIZED', message: 'may not join that topic' };
          send(client, { k: 'nack', id: frame.id, error });
        } else send(client, { k: 'ack', id: frame.id });
        return;
      case 'leave':
        send(client, { k: 'ack', id: frame.id });
        return;
      case 'auth': {
        if (flaw === 'refresh-ignored') return;
        const token = (frame.credentials as { token?: unknown }).token;
        if (token === SLOPPY.token || flaw === 'lenient-auth') {
          send(client, { k: 'ack', id: frame.id, result: { left: [] } });
        } else {
          const error = { code: 'AUTHENTICATION_FAILED', message: 'invalid credentials' };
          send(client, { k: 'nack', id: frame.id, error });
        }
        return;
      }
      case 'req':
        onRequest(client, frame);
        return;
      case 'ack':
      case 'nack':
        onAnswer(client, frame);
        return;
      case 'cancel':
        onCancel(client, frame.id as number);
        return;
      case 'ping':
        if (flaw === 'ping-unanswered') return;
        send(client, flaw === 'pong-with-id' ? { k: 'pong', id: 0 } : { k: 'pong' });
        return;
      case 'pong':
        return;
    }
  };

  const onClose = (client: Client): void => {
    clients.delete(client.id);
    for (const [id, pending] of forwarded) {
      if (pending.target === client) {
        forwarded.delete(id);
        pending.asker.asked.delete(pending.askerId);
        const error = { code: 'TARGET_OFFLINE', message: 'the target left' };
        send(pending.asker, { k: 'nack', id: pending.askerId, error });
      } else if (pending.asker === client) {
        forwarded.delete(id);
        send(pending.target, { k: 'cancel', id });
      }
    }
  };

  const wss = new WebSocketServer({ noServer: true });
  const http = createServer((_req, res) => res.writeHead(426).end());
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const auth = authOf(req);
    if (auth === null) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => undefined);
      if (auth?.token !== SLOPPY.token && flaw !== 'lenient-auth') {
        ws.close(4401, 'a valid token is required');
        return;
      }
      const id = flaw === 'shared-id' ? 'c-1' : `c-${nextClient++}`;
      const client: Client = { id, ws, asked: new Map() };
      clients.set(id, client);
      send(client, {
        k: 'welcome',
        v: flaw === 'wrong-version' ? 2 : 1,
        id,
        user: flaw === 'welcome-user-number' ? 7 : 'sloppy-user',
      });
      ws.on('message', (data, isBinary) => onFrame(client, data, isBinary));
      ws.on('close', () => onClose(client));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/`,
    close: async () => {
      for (const client of clients.values()) client.ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
