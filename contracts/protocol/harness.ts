// The protocol suite's harness: opens raw connections to the server under test (with the
// configured credentials), tracks and closes them after each test, and holds the checks most
// tests share (a welcome, an error frame, a nack, "nothing answered").
import { expect, show } from '../assert.js';
import type { ContractAudit, ContractTestSpec } from '../audit.js';
import { waitFor } from '../helpers.js';
import type { HandshakeCredentials, ResolvedProtocolOptions } from './options.js';
import { objectOf, RawConnection, type ReceivedFrame } from './wire.js';

/** The topic of {@link ProtocolHarness.barrier}'s `leave`: never joined by the suite. */
export const BARRIER_TOPIC = 'plugsocket-contract-barrier';
/** A request name no server is expected to handle. */
export const NO_SUCH_HANDLER = 'plugsocket-contract/no-such-handler';
/** Barrier ids start here, far from the small ids tests pick. */
const BARRIER_IDS = 1_000_000;

/** The header that carries an auth object (docs/protocol.md, "Connecting"). */
export const AUTH_HEADER = 'x-plugsocket-auth';

/** base64url without padding (RFC 4648 §5) of the UTF-8 JSON of `value`. */
export function base64urlJson(value: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** An admitted connection and the id its welcome gave it. */
export interface Admitted {
  readonly conn: RawConnection;
  readonly id: string;
}

/** How {@link ProtocolHarness.open} presents itself. */
export interface OpenOptions {
  /** `null`: no credentials; default: the valid ones, when configured. */
  credentials?: HandshakeCredentials | null;
  /** Extra raw headers, sent as they are. */
  headers?: Record<string, string>;
  /** Extra query parameters (e.g. a session to resume). */
  query?: Record<string, string>;
}

/**
 * Builds raw connections, closes them after each test within a bound, and checks frames.
 * Every wait is bounded by half the test timeout.
 */
export class ProtocolHarness {
  readonly #connections: RawConnection[] = [];
  readonly #audit: ContractAudit;
  #barrierId = BARRIER_IDS;

  constructor(
    readonly options: ResolvedProtocolOptions,
    audit: ContractAudit,
  ) {
    this.#audit = audit;
  }

  /** Half the test timeout: waits fail with a message before the test's own bound. */
  get wait(): number {
    return Math.floor(this.options.timeout / 2);
  }

  group(title: string, body: () => void): void {
    this.#audit.group(title, body);
  }

  test(spec: ContractTestSpec, body: () => Promise<void>): void {
    this.#audit.test(spec, body);
  }

  /** Opens a raw connection; resolves once it is open, closed or refused. */
  async open(options: OpenOptions = {}): Promise<RawConnection> {
    const credentials =
      options.credentials === null
        ? undefined
        : (options.credentials ?? this.options.credentials?.valid);
    const url = new URL(await this.options.url());
    for (const [key, value] of Object.entries({ ...credentials?.query, ...options.query })) {
      url.searchParams.set(key, value);
    }
    const headers: Record<string, string> = { ...credentials?.headers, ...options.headers };
    if (credentials?.auth !== undefined) headers[AUTH_HEADER] = base64urlJson(credentials.auth);
    const conn = await RawConnection.open(url.toString(), headers, this.wait);
    this.#connections.push(conn);
    return conn;
  }

  /** Opens a connection and waits for its welcome, which must be the first frame. */
  async admitted(options: OpenOptions = {}): Promise<Admitted> {
    const conn = await this.open(options);
    if (!conn.opened) {
      expect.fail(`the server refused a connection it should admit: ${conn.describe()}`);
    }
    const first = await conn.frameAt(0, 'the welcome frame', this.wait);
    const welcome = objectOf(first);
    if (welcome?.k !== 'welcome' || typeof welcome.id !== 'string') {
      expect.fail(
        `the first frame must be {"k":"welcome","v":1,"id":…}, got ${show(first.text)}; ${conn.describe()}`,
      );
    }
    return { conn, id: welcome.id };
  }

  /**
   * Opens a connection the server must refuse, and resolves with its close once it closed;
   * fails at once, naming the promise, when the server sends any frame (a welcome) first.
   */
  async refused(
    credentials: HandshakeCredentials | null | undefined,
    what: string,
  ): Promise<{ code: number; reason: string }> {
    const conn = await this.open({ credentials });
    try {
      await waitFor(() => conn.closed !== undefined || conn.frames.length > 0, this.wait);
    } catch {
      expect.fail(`${what} must be closed by the server, but it stayed open: ${conn.describe()}`);
    }
    if (conn.frames.length > 0) {
      expect.fail(
        `${what} must be closed before any frame, but the server sent ${conn.describe()}`,
      );
    }
    return conn.closed!;
  }

  /**
   * Sends a `leave` of a topic never joined, which every server acknowledges, and returns what
   * arrived from `from` up to that `ack`: a frame sent before it that the server answers is
   * answered before it, so this shows what the server said, or that it said nothing.
   */
  async barrier(conn: RawConnection, from: number): Promise<ReceivedFrame[]> {
    const id = this.#barrierId++;
    conn.send({ k: 'leave', id, topic: BARRIER_TOPIC });
    const answer = await conn.find(
      (f) => (f.k === 'ack' || f.k === 'nack') && f.id === id,
      `the ack of the probe {"k":"leave","id":${id}} (the connection must keep serving)`,
      this.wait,
      from,
    );
    expect(answer.k, 'the answer to leaving a topic the client is not in').to.equal('ack');
    const index = conn.frames.findIndex((f, i) => i >= from && objectOf(f) === answer);
    return conn.frames.slice(from, index);
  }

  /** Asserts that nothing was answered to the frames sent since `from`. */
  async expectSilence(conn: RawConnection, from: number, what: string): Promise<void> {
    const got = await this.barrier(conn, from);
    if (got.length > 0) {
      expect.fail(
        `${what}: the server must answer nothing, but sent ${got.map((f) => show(f.text)).join(', ')}`,
      );
    }
  }

  /** The next frame from `from` on, as an object. */
  async next(conn: RawConnection, from: number, what: string): Promise<Record<string, unknown>> {
    const frame = await conn.frameAt(from, what, this.wait);
    const value = objectOf(frame);
    if (value === undefined)
      expect.fail(`${what}: expected a JSON object, got ${show(frame.text)}`);
    return value;
  }

  /** Sends `frame` and expects an `error` frame with `code` as the answer. */
  async expectErrorFrame(
    conn: RawConnection,
    frame: () => void,
    code: string,
    what: string,
  ): Promise<Record<string, unknown>> {
    const from = conn.frames.length;
    frame();
    const answer = await this.next(conn, from, `the error frame answering ${what}`);
    expectError(answer, 'error', undefined, code, `the answer to ${what}`);
    return answer;
  }

  /** Sends `frame` (a request with id `id`) and expects a `nack` with `code` on that id. */
  async expectNack(
    conn: RawConnection,
    frame: () => void,
    id: number,
    code: string,
    what: string,
  ): Promise<Record<string, unknown>> {
    const from = conn.frames.length;
    frame();
    const answer = await this.next(conn, from, `the nack answering ${what}`);
    expectError(answer, 'nack', id, code, `the answer to ${what}`);
    return answer;
  }

  /** Closes every connection of the test, within a bound; never throws. */
  async cleanup(): Promise<void> {
    const all = this.#connections.splice(0);
    await Promise.all(all.map((c) => c.dispose(Math.min(1000, this.wait))));
  }
}

/**
 * Asserts an `error` or `nack` frame: the kind, the id (for a nack), the code, and an error that
 * is `{ code, message }` of strings without a stack.
 */
export function expectError(
  frame: Record<string, unknown>,
  kind: 'error' | 'nack',
  id: number | undefined,
  code: string,
  what: string,
): void {
  const text = JSON.stringify(frame);
  expect(frame.k, `${what}: the kind of ${text}`).to.equal(kind);
  if (id !== undefined) expect(frame.id, `${what}: the id of ${text}`).to.equal(id);
  const error = frame.error as Record<string, unknown> | undefined;
  expect(error, `${what}: the "error" of ${text}`).to.be.an('object');
  expect(error?.code, `${what}: the error code of ${text}`).to.equal(code);
  expect(error?.message, `${what}: the error message of ${text}`).to.be.a('string');
  expect(
    error !== undefined && 'stack' in error,
    `${what}: an error on the wire never carries a stack (${text})`,
  ).to.equal(false);
}

/** Asserts an `ack` on `id`, and returns it. */
export function expectAck(frame: Record<string, unknown>, id: number, what: string): void {
  const text = JSON.stringify(frame);
  expect(frame.k, `${what}: the kind of ${text}`).to.equal('ack');
  expect(frame.id, `${what}: the id of ${text}`).to.equal(id);
}
