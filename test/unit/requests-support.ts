// Fixtures shared by the request/response specs (requests-*.test.ts, peer-requests.test.ts): an
// authorization strategy that yields principals, a codec that counts what it encodes, frame
// recorders, and a hand-driven protocol server for testing a SocketClient frame by frame.
import { expect } from 'chai';
import sinon from 'sinon';
import { MemorySocketServer } from '../../adapters/memory/index.js';
import {
  JsonCodec,
  type AnyFrame,
  type AuthorizationStrategy,
  type Codec,
  type ServerConnection,
  type SocketClient,
} from '../../src/index.js';
import { uniqueName } from './support.js';

/** The principal {@link userAuth} gives each client: `auth.user` as its id. */
export interface User {
  readonly id: string;
  readonly role: string;
}

/** Admits every client as the principal `{ id: auth.user, role: auth.role ?? 'member' }`. */
export function userAuth(): AuthorizationStrategy<User> {
  return {
    applyAuthorization: (options) => options,
    authorize: (handshake) => {
      const { user, role } = handshake.auth;
      return {
        ok: true,
        principal: {
          id: typeof user === 'string' ? user : 'anonymous',
          role: typeof role === 'string' ? role : 'member',
        },
      };
    },
  };
}

/** A JSON codec whose `encode` is a sinon spy. */
export function spyCodec(): { codec: Codec; encode: sinon.SinonSpy<[unknown], string> } {
  const json = new JsonCodec();
  const encode = sinon.spy((value: unknown) => json.encode(value));
  return { codec: { name: 'spy-json', encode, decode: (frame) => json.decode(frame) }, encode };
}

/** Parses a text frame of the JSON codec. */
export function parse(frame: AnyFrame): Record<string, unknown> {
  return JSON.parse(
    typeof frame === 'string' ? frame : new TextDecoder().decode(frame as Uint8Array),
  ) as Record<string, unknown>;
}

/** Records every frame the server's transport receives from clients, parsed. */
export function recordInbound(adapter: MemorySocketServer): Record<string, unknown>[] {
  const frames: Record<string, unknown>[] = [];
  adapter.on('message', (_connection, frame) => frames.push(parse(frame)));
  return frames;
}

/** The error code of a `nack` or `error` frame. */
export function codeOf(frame: Record<string, unknown> | undefined): unknown {
  return (frame?.error as { code?: unknown } | undefined)?.code;
}

/**
 * A protocol server driven by hand over a bare `MemorySocketServer`: it welcomes each client with
 * the id `c<n>`, records what it receives and sends whatever frames the test writes.
 */
export class RawServer {
  readonly adapter = new MemorySocketServer({ name: uniqueName('raw-server') });
  readonly received: Record<string, unknown>[] = [];
  connection: ServerConnection | undefined;
  #n = 0;

  async listen(): Promise<string> {
    this.adapter.on('connection', (connection) => {
      this.connection = connection;
      connection.send(JSON.stringify({ k: 'welcome', v: 1, id: `c${++this.#n}` }));
    });
    this.adapter.on('message', (_connection, frame) => this.received.push(parse(frame)));
    const address = await this.adapter.listen();
    return address.url ?? '';
  }

  /** Sends a value as JSON text to the last connected client. */
  send(value: unknown): boolean {
    if (this.connection === undefined) throw new Error('no client connected');
    return this.connection.send(JSON.stringify(value));
  }

  /** The received frames of one kind. */
  ofKind(kind: string): Record<string, unknown>[] {
    return this.received.filter((frame) => frame.k === kind);
  }

  close(): Promise<void> {
    return this.adapter.close();
  }
}

/** A promise that never settles: a handler that never answers. */
export function never<T = unknown>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

/**
 * Marks `promise` as handled and returns it, for a call that rejects before the test awaits it
 * (with `rejectionOf`), so that Node reports no unhandled rejection meanwhile.
 */
export function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** Records the outcome of a promise without awaiting it. */
export function watch(promise: Promise<unknown>): sinon.SinonSpy {
  const outcome = sinon.spy();
  promise.then(outcome, outcome);
  return outcome;
}

/** A connected client's id (asserted to be there). */
export function idOf(client: SocketClient): string {
  expect(client.id, 'client id').to.be.a('string');
  return client.id as string;
}
