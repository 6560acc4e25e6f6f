// Request/response on raw `ws`, as an application that does not use a library would write it:
// the baseline of the request scenario (bench/echo.ts --mode request).
//
//   client → server  {"id":1,"name":"chat","payload":{…}}
//   server → client  {"id":1,"result":{…}}   or   {"id":1,"error":"…"}
//
// The client keeps the calls in flight in a Map by id and settles one per answer; the server looks
// the handler up by name and answers with the request's id. No timeout per call (as Socket.IO's
// `emitWithAck` without `.timeout()`): the calls in flight fail when the connection closes.
import type { RawData, WebSocket, WebSocketServer } from 'ws';

export type RawHandler = (payload: unknown) => unknown;

interface RawRequest {
  id: number;
  name: string;
  payload: unknown;
}

interface RawAnswer {
  id: number;
  result?: unknown;
  error?: string;
}

interface Call {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

/** Answers every connection's requests with the handler of their name (synchronous handlers). */
export function serveRawRpc(wss: WebSocketServer, handlers: ReadonlyMap<string, RawHandler>): void {
  wss.on('connection', (ws) => {
    ws.on('message', (data: RawData) => {
      const { id, name, payload } = JSON.parse((data as Buffer).toString()) as RawRequest;
      const handler = handlers.get(name);
      let answer: RawAnswer;
      if (handler === undefined) answer = { id, error: `no handler for ${name}` };
      else {
        try {
          answer = { id, result: handler(payload) };
        } catch (error) {
          answer = { id, error: String(error) };
        }
      }
      ws.send(JSON.stringify(answer));
    });
  });
}

/** The client half: `await rpc.request(name, payload)` over an open WebSocket. */
export class RawRpcClient {
  readonly #calls = new Map<number, Call>();
  #nextId = 1;

  constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: RawData) => {
      const answer = JSON.parse((data as Buffer).toString()) as RawAnswer;
      const call = this.#calls.get(answer.id);
      if (call === undefined) return; // an answer to nothing in flight
      this.#calls.delete(answer.id);
      if (answer.error === undefined) call.resolve(answer.result);
      else call.reject(new Error(answer.error));
    });
    ws.on('close', () => {
      for (const call of this.#calls.values()) call.reject(new Error('connection closed'));
      this.#calls.clear();
    });
  }

  request(name: string, payload: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      this.#calls.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, name, payload }));
    });
  }
}
