// The options of the protocol conformance suite, and their validation at registration time.
import { rejectUnknownOptions, type AuditOptions } from '../audit.js';

/**
 * What a client presents in the WebSocket handshake, as docs/protocol.md ("Connecting")
 * describes it. Every part is optional; give the ones your server reads.
 */
export interface HandshakeCredentials {
  /**
   * An auth object, sent as the `x-plugsocket-auth` header: the base64url (no padding) of its
   * UTF-8 JSON. A plugsocket server sees it as `handshake.auth`.
   */
  auth?: Record<string, unknown>;
  /** Plain request headers (a plugsocket server sees them lower-cased in `handshake.headers`). */
  headers?: Record<string, string>;
  /** Query parameters added to the url (`handshake.query`). */
  query?: Record<string, string>;
}

/** What {@link describeProtocolConformance} needs to test a server over the wire. */
export interface ProtocolConformanceOptions extends AuditOptions {
  /** Shown in the suite title: `<name> protocol contract`. */
  name: string;
  /**
   * The `ws://` (or `wss://`) url of a running server, or a function returning it, called when
   * each test opens its connections, so a `before` hook may start the server first.
   */
  url: string | (() => string | Promise<string>);
  /**
   * Credentials the server admits (`valid`) and refuses (`invalid`). When given, every connection
   * presents `valid`, and the authentication tests run; when omitted they are skipped and the
   * server must admit a bare handshake.
   */
  credentials?: { valid: HandshakeCredentials; invalid: HandshakeCredentials };
  /** A topic the server refuses to let clients join (`nack` `UNAUTHORIZED`); omitted: skipped. */
  refusedTopic?: string;
  /**
   * A request handler that answers with its payload (`server.handle('echo', (p) => p)`). Omitted:
   * the request tests that need an answer are skipped (`HANDLER_NOT_FOUND` is checked anyway).
   */
  echoRequest?: string;
  /**
   * A message type the server relays to every other client, marked with `from`
   * (`server.relay('chat')`). Omitted: the relay test is skipped.
   */
  relayType?: string;
  /**
   * The server's domain limit on a client frame, in bytes of UTF-8 (plugsocket:
   * `SocketServerOptions.maxPayload`), at least 512; it must be below any transport limit that
   * would close the connection instead. Omitted: the `PAYLOAD_TOO_LARGE` tests are skipped.
   */
  maxPayload?: number;
  /**
   * Whether the server forwards client-to-client requests (`req` with `to`) to connected
   * clients. Set false for a server whose policy refuses them all, to skip those tests.
   * @default true
   */
  peerRequests?: boolean;
  /**
   * Per-test timeout in milliseconds; waits inside a test are bounded by half of it.
   * @default 10000
   */
  timeout?: number;
}

/** The optional features the suite gates tests on: the report's `supports` record. */
export interface ProtocolFeatures {
  readonly credentials: boolean;
  readonly refusedTopic: boolean;
  readonly echoRequest: boolean;
  readonly relayType: boolean;
  readonly maxPayload: boolean;
  readonly peerRequests: boolean;
}

/** {@link ProtocolConformanceOptions} after validation, with defaults applied. */
export interface ResolvedProtocolOptions {
  readonly name: string;
  readonly url: () => Promise<string>;
  readonly credentials: { valid: HandshakeCredentials; invalid: HandshakeCredentials } | undefined;
  readonly refusedTopic: string;
  readonly echoRequest: string;
  readonly relayType: string;
  readonly maxPayload: number;
  readonly timeout: number;
  readonly features: ProtocolFeatures;
  readonly audit: AuditOptions;
}

const WHERE = 'protocol contract';

/** Every top-level option of the protocol suite. */
const PROTOCOL_OPTION_NAMES = [
  'name',
  'url',
  'credentials',
  'refusedTopic',
  'echoRequest',
  'relayType',
  'maxPayload',
  'peerRequests',
  'timeout',
  'runner',
  'report',
  'shouldFailures',
] as const;

function fail(message: string): never {
  throw new TypeError(`${WHERE}: ${message}`);
}

/** A string of 1–256 characters, as the protocol's names are. */
function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 256;
}

function optionalName(o: Record<string, unknown>, field: string): string {
  const value = o[field];
  if (value === undefined) return '';
  if (!isName(value)) fail(`options.${field} must be a string of 1–256 characters`);
  return value;
}

function stringRecord(value: unknown, field: string): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`${field} must be an object of strings`);
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') fail(`${field}.${key} must be a string`);
  }
}

function resolveCredentials(value: unknown, field: string): HandshakeCredentials {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`${field} must be an object ({ auth?, headers?, query? })`);
  }
  const c = value as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (!['auth', 'headers', 'query'].includes(key)) {
      fail(`${field}.${key} is not a credential part (auth, headers, query)`);
    }
  }
  if (
    c.auth !== undefined &&
    (typeof c.auth !== 'object' || c.auth === null || Array.isArray(c.auth))
  ) {
    fail(`${field}.auth must be an object`);
  }
  stringRecord(c.headers, `${field}.headers`);
  stringRecord(c.query, `${field}.query`);
  return Object.freeze({ ...(c as HandshakeCredentials) });
}

/**
 * Checks the options and fills in defaults. Throws `TypeError` naming the first bad field (an
 * unknown key too), so a
 * misconfigured suite fails at load time rather than as dozens of odd failures.
 */
export function resolveProtocolOptions(options: unknown): ResolvedProtocolOptions {
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  const o = options as Record<string, unknown>;
  rejectUnknownOptions(o, PROTOCOL_OPTION_NAMES, WHERE);
  if (typeof o.name !== 'string' || o.name.trim() === '') {
    fail('options.name must be a non-empty string');
  }
  const url = o.url;
  if (typeof url === 'string') {
    if (!/^wss?:\/\//.test(url)) fail(`options.url must be a ws:// or wss:// url, got ${url}`);
  } else if (typeof url !== 'function') {
    fail('options.url must be a ws:// url or a function returning one');
  }
  let credentials: ResolvedProtocolOptions['credentials'];
  if (o.credentials !== undefined) {
    const c = o.credentials as Record<string, unknown> | null;
    if (typeof c !== 'object' || c === null) {
      fail('options.credentials must be an object ({ valid, invalid })');
    }
    credentials = Object.freeze({
      valid: resolveCredentials(c.valid, 'options.credentials.valid'),
      invalid: resolveCredentials(c.invalid, 'options.credentials.invalid'),
    });
  }
  const refusedTopic = optionalName(o, 'refusedTopic');
  const echoRequest = optionalName(o, 'echoRequest');
  const relayType = optionalName(o, 'relayType');
  let maxPayload = 0;
  if (o.maxPayload !== undefined) {
    if (!Number.isSafeInteger(o.maxPayload) || (o.maxPayload as number) < 512) {
      fail('options.maxPayload must be an integer number of bytes, at least 512');
    }
    maxPayload = o.maxPayload as number;
  }
  if (o.peerRequests !== undefined && typeof o.peerRequests !== 'boolean') {
    fail('options.peerRequests must be a boolean');
  }
  let timeout = 10_000;
  if (o.timeout !== undefined) {
    if (typeof o.timeout !== 'number' || !Number.isFinite(o.timeout) || o.timeout <= 0) {
      fail('options.timeout must be a positive number of milliseconds');
    }
    timeout = o.timeout;
  }
  return {
    name: o.name,
    url: resolveUrl(url as ProtocolConformanceOptions['url']),
    credentials,
    refusedTopic,
    echoRequest,
    relayType,
    maxPayload,
    timeout,
    features: Object.freeze({
      credentials: credentials !== undefined,
      refusedTopic: refusedTopic !== '',
      echoRequest: echoRequest !== '',
      relayType: relayType !== '',
      maxPayload: maxPayload > 0,
      peerRequests: o.peerRequests !== false,
    }),
    audit: {
      runner: o.runner as AuditOptions['runner'],
      report: o.report as AuditOptions['report'],
      shouldFailures: o.shouldFailures as AuditOptions['shouldFailures'],
    },
  };
}

function resolveUrl(url: ProtocolConformanceOptions['url']): () => Promise<string> {
  if (typeof url === 'string') return () => Promise.resolve(url);
  return async () => {
    const value = await url();
    if (typeof value !== 'string' || !/^wss?:\/\//.test(value)) {
      throw new TypeError(
        `${WHERE}: options.url() must return a ws:// or wss:// url, got ${String(value)}`,
      );
    }
    return value;
  };
}
