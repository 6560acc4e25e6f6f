import {
  CAPABILITY_NAMES,
  type AbstractSocket,
  type AbstractSocketServer,
  type ConnectOptions,
  type ListenAddress,
  type TransportCapabilities,
} from '../src/index.js';
import { rejectUnknownOptions, type AuditOptions } from './audit.js';

/** Connect options the suite lets an adapter author shape; the suite adds the handshake fields. */
export type ContractConnectOptions = Omit<ConnectOptions, 'headers' | 'query' | 'auth'>;

/** What {@link describeTransportContract} needs to test one transport. */
export interface TransportContractOptions extends AuditOptions {
  /** Shown in the suite title: `<name> transport contract`. */
  name: string;
  /** Makes a fresh server that is not listening yet. Called once or more per test. */
  createServer: () => AbstractSocketServer | Promise<AbstractSocketServer>;
  /** Makes a fresh client that has never connected. Called once or more per test. */
  createClient: () => AbstractSocket | Promise<AbstractSocket>;
  /**
   * The capability manifest to test against. Tests gated on a capability the manifest lacks are
   * skipped (their titles carry `[supports.<name>]`); the adapters must declare exactly this.
   */
  supports: TransportCapabilities;
  /**
   * Per-test timeout in milliseconds. Waits inside a test are bounded by half of it, so a missing
   * event fails with a message rather than the runner's timeout.
   * @default 10000
   */
  timeout?: number;
  /**
   * Turns a server's listen address into connect options.
   * @default (address) => ({ url: address.url })
   */
  connectOptions?: (address: ListenAddress) => ContractConnectOptions;
  /**
   * The largest frame, in bytes of content (UTF-8 bytes of text, bytes of binary), the transport
   * carries in both directions with its default limits; T-SIZE-01 sends text and binary frames of
   * exactly this size both ways. The domain needs at least the default: twice its default
   * `maxPayload`, so that a frame the domain refuses with `PAYLOAD_TOO_LARGE` still reaches it
   * (docs/writing-an-adapter.md). Raise it to test a larger limit the transport declares.
   * @default 2097152 (2 MiB)
   */
  maxFrameSize?: number;
  /**
   * Makes a fresh server, not listening yet, that will listen at `address`: the address a server
   * of the suite listened at and has just released with `close()`. For ws, for example,
   * `(address) => new WsSocketServer({ port: address.port, host: '127.0.0.1' })`. T-CLOSE-21
   * uses it to check that `close()` releases the address; when absent that test is skipped, with
   * `[supports.createServerAt]` in its title.
   * @default undefined (T-CLOSE-21 is skipped)
   */
  createServerAt?: (address: ListenAddress) => AbstractSocketServer | Promise<AbstractSocketServer>;
  /**
   * Turns on the fault tier (`T-FAULT-*`, docs/fault-injection.md) for a transport that runs over
   * TCP: each of its tests puts a `FaultProxy` between a client and the server and cuts, stalls,
   * delays or blackholes the connection. `true` takes both defaults of {@link FaultTierOptions};
   * an object overrides either. When absent (or `false`) the tier's tests are skipped, with
   * `[supports.faults]` in their titles: a transport without TCP underneath (memory) cannot be
   * proxied.
   * @default undefined (the tier is skipped)
   */
  faults?: FaultTierOptions | boolean;
  /**
   * Whether the client's `terminate()` drops the connection without a close handshake, so that
   * the server reports 1006 (T-CLOSE-03). `false` for a client on a platform that cannot: a
   * browser's `WebSocket` always closes with a handshake, so the server sees the code the page
   * sent. The client must still report 1006 itself and release the connection at once; only
   * T-CLOSE-03 is skipped, with `[supports.clientAbort]` in its title.
   * @default true
   */
  clientAbort?: boolean;
  /**
   * Whether a client that starts a close still delivers the frames that arrive before the close
   * completes (T-CLOSE-19). `false` for a browser's `WebSocket`, which drops every message once
   * `close()` was called (WHATWG: a message is ignored unless the socket is open). Only T-CLOSE-19
   * is skipped, with `[supports.clientKeepsReading]` in its title.
   * @default true
   */
  clientKeepsReading?: boolean;
}

/** A TCP endpoint: where the fault proxy forwards to, or where it listens. */
export interface FaultEndpoint {
  /** Host name or IP address, without IPv6 brackets. */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
}

/** How the fault tier reaches a server through a fault proxy; see {@link TransportContractOptions.faults}. */
export interface FaultTierOptions {
  /**
   * The TCP endpoint of a listening server, which the proxy forwards to.
   * @default the host and port of `address.url`, else `address.host` and `address.port` (a
   *   wildcard host, `0.0.0.0` or `::`, becomes the loopback address of its family)
   */
  target?: (address: ListenAddress) => FaultEndpoint;
  /**
   * Connect options that reach the server at `address` through the proxy listening at `proxy`.
   * @default the suite's `connectOptions(address)` with the host and port of its url replaced by
   *   the proxy's
   */
  through?: (address: ListenAddress, proxy: FaultEndpoint) => ContractConnectOptions;
}

/** {@link FaultTierOptions} with defaults applied. */
export interface ResolvedFaultTier {
  /** See {@link FaultTierOptions.target}. */
  readonly target: (address: ListenAddress) => FaultEndpoint;
  /** See {@link FaultTierOptions.through}. */
  readonly through: (address: ListenAddress, proxy: FaultEndpoint) => ContractConnectOptions;
}

/** {@link TransportContractOptions} after validation, with defaults applied. */
export interface ResolvedTransportContractOptions {
  /** See {@link TransportContractOptions.name}. */
  readonly name: string;
  /** See {@link TransportContractOptions.createServer}. */
  readonly createServer: () => AbstractSocketServer | Promise<AbstractSocketServer>;
  /** See {@link TransportContractOptions.createClient}. */
  readonly createClient: () => AbstractSocket | Promise<AbstractSocket>;
  /** A frozen copy of the manifest, with exactly the flags in `CAPABILITY_NAMES`. */
  readonly supports: TransportCapabilities;
  /** Per-test timeout in milliseconds. */
  readonly timeout: number;
  /** The author's address-to-options mapping, or the default one. */
  readonly connectOptions: (address: ListenAddress) => ContractConnectOptions;
  /** See {@link TransportContractOptions.maxFrameSize}: the given size or the default. */
  readonly maxFrameSize: number;
  /** See {@link TransportContractOptions.createServerAt}; undefined skips T-CLOSE-21. */
  readonly createServerAt:
    ((address: ListenAddress) => AbstractSocketServer | Promise<AbstractSocketServer>) | undefined;
  /** The fault tier's endpoints, or undefined when the tier is off (its tests are skipped). */
  readonly faults: ResolvedFaultTier | undefined;
  /** See {@link TransportContractOptions.clientAbort}. */
  readonly clientAbort: boolean;
  /** See {@link TransportContractOptions.clientKeepsReading}. */
  readonly clientKeepsReading: boolean;
  /** The runner, report and SHOULD-failure options, as given. */
  readonly audit: AuditOptions;
}

/** The default per-test timeout in milliseconds. */
export const DEFAULT_CONTRACT_TIMEOUT = 10_000;

/** The default {@link TransportContractOptions.maxFrameSize}: twice the domain's default `maxPayload`. */
export const DEFAULT_MAX_FRAME_SIZE = 2 * 1024 * 1024;

function defaultConnectOptions(address: ListenAddress): ContractConnectOptions {
  if (typeof address.url !== 'string') {
    // Without a url the suite cannot guess how to reach the server: the author must say.
    throw new TypeError(
      'the server reported no address.url: pass options.connectOptions to the contract suite',
    );
  }
  return { url: address.url };
}

/**
 * Checks the options of the contract suite and fills in defaults. Throws `TypeError` naming the
 * first bad field (an unknown key too), so a misconfigured suite fails at load time instead of as odd test failures.
 */
export function resolveTransportContractOptions(
  options: unknown,
): ResolvedTransportContractOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('transport contract: options must be an object');
  }
  const o = options as Record<string, unknown>;
  rejectUnknownOptions(o, TRANSPORT_OPTION_NAMES, 'transport contract');
  if (typeof o.name !== 'string' || o.name.trim() === '') {
    throw new TypeError('transport contract: options.name must be a non-empty string');
  }
  for (const field of ['createServer', 'createClient'] as const) {
    if (typeof o[field] !== 'function') {
      throw new TypeError(`transport contract: options.${field} must be a function`);
    }
  }
  const supports = resolveSupports(o.supports);
  let timeout = DEFAULT_CONTRACT_TIMEOUT;
  if (o.timeout !== undefined) {
    if (typeof o.timeout !== 'number' || !Number.isFinite(o.timeout) || o.timeout <= 0) {
      throw new TypeError(
        'transport contract: options.timeout must be a positive number of milliseconds',
      );
    }
    timeout = o.timeout;
  }
  if (o.connectOptions !== undefined && typeof o.connectOptions !== 'function') {
    throw new TypeError('transport contract: options.connectOptions must be a function');
  }
  const connectOptions =
    (o.connectOptions as ResolvedTransportContractOptions['connectOptions'] | undefined) ??
    defaultConnectOptions;
  return {
    name: o.name,
    createServer: o.createServer as ResolvedTransportContractOptions['createServer'],
    createClient: o.createClient as ResolvedTransportContractOptions['createClient'],
    supports,
    timeout,
    connectOptions,
    faults: resolveFaults(o.faults, connectOptions),
    maxFrameSize: resolveMaxFrameSize(o.maxFrameSize),
    createServerAt: resolveCreateServerAt(o.createServerAt),
    clientAbort: resolveFlag(o.clientAbort, 'clientAbort'),
    clientKeepsReading: resolveFlag(o.clientKeepsReading, 'clientKeepsReading'),
    audit: {
      runner: o.runner as AuditOptions['runner'],
      report: o.report as AuditOptions['report'],
      shouldFailures: o.shouldFailures as AuditOptions['shouldFailures'],
    },
  };
}

/** Every top-level option of the transport and layer suites. */
const TRANSPORT_OPTION_NAMES = [
  'name',
  'createServer',
  'createClient',
  'supports',
  'timeout',
  'connectOptions',
  'maxFrameSize',
  'createServerAt',
  'faults',
  'clientAbort',
  'clientKeepsReading',
  'runner',
  'report',
  'shouldFailures',
] as const;

const FAULT_FIELDS = ['target', 'through'] as const;

function resolveFaults(
  value: unknown,
  connectOptions: (address: ListenAddress) => ContractConnectOptions,
): ResolvedFaultTier | undefined {
  if (value === undefined || value === false) return undefined;
  if (value !== true && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw new TypeError(
      'transport contract: options.faults must be true, false or an object { target?, through? }',
    );
  }
  const record = (value === true ? {} : value) as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(FAULT_FIELDS as readonly string[]).includes(key)) {
      throw new TypeError(
        `transport contract: options.faults.${key} is not an option (known: ${FAULT_FIELDS.join(', ')})`,
      );
    }
  }
  for (const field of FAULT_FIELDS) {
    if (record[field] !== undefined && typeof record[field] !== 'function') {
      throw new TypeError(`transport contract: options.faults.${field} must be a function`);
    }
  }
  const target = (record.target as ResolvedFaultTier['target'] | undefined) ?? defaultFaultTarget;
  const through =
    (record.through as ResolvedFaultTier['through'] | undefined) ??
    ((address: ListenAddress, proxy: FaultEndpoint) =>
      defaultFaultThrough(connectOptions(address), proxy));
  return {
    target: (address) => checkEndpoint(target(address), 'options.faults.target'),
    through,
  };
}

/** A wildcard bind address names no host to connect to: use the loopback of its family. */
function connectableHost(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare === '0.0.0.0' || bare === '') return '127.0.0.1';
  if (bare === '::') return '::1';
  return bare;
}

function defaultFaultTarget(address: ListenAddress): FaultEndpoint {
  if (typeof address.url === 'string') {
    let url: URL | undefined;
    try {
      url = new URL(address.url);
    } catch {
      url = undefined;
    }
    // A url without an explicit port (the scheme's default) falls through to address.port.
    if (url !== undefined && url.hostname !== '' && url.port !== '') {
      return { host: connectableHost(url.hostname), port: Number(url.port) };
    }
    if (url !== undefined && url.hostname !== '' && typeof address.port === 'number') {
      return { host: connectableHost(url.hostname), port: address.port };
    }
  }
  if (typeof address.port === 'number') {
    return { host: connectableHost(address.host ?? '127.0.0.1'), port: address.port };
  }
  throw new TypeError(
    'the server reported neither a url with a host and port nor address.port: pass options.faults.target to the contract suite',
  );
}

function defaultFaultThrough(
  options: ContractConnectOptions,
  proxy: FaultEndpoint,
): ContractConnectOptions {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new TypeError(
      `the connect url ${JSON.stringify(options.url)} has no host and port to replace: pass options.faults.through to the contract suite`,
    );
  }
  if (url.hostname === '') {
    throw new TypeError(
      `the connect url ${JSON.stringify(options.url)} has no host and port to replace: pass options.faults.through to the contract suite`,
    );
  }
  url.hostname = proxy.host.includes(':') ? `[${proxy.host}]` : proxy.host;
  url.port = String(proxy.port);
  return { ...options, url: url.toString() };
}

function checkEndpoint(endpoint: unknown, what: string): FaultEndpoint {
  const e = endpoint as Partial<FaultEndpoint> | null | undefined;
  if (
    typeof e !== 'object' ||
    e === null ||
    typeof e.host !== 'string' ||
    e.host === '' ||
    typeof e.port !== 'number' ||
    !Number.isInteger(e.port) ||
    e.port < 1 ||
    e.port > 65535
  ) {
    throw new TypeError(`${what} must return { host: string, port: 1–65535 }`);
  }
  return { host: e.host, port: e.port };
}

function resolveMaxFrameSize(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_FRAME_SIZE;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < DEFAULT_MAX_FRAME_SIZE) {
    throw new TypeError(
      `transport contract: options.maxFrameSize must be an integer number of bytes, at least ${DEFAULT_MAX_FRAME_SIZE} (2 MiB, the headroom every transport needs), got ${typeof value === 'number' ? value : typeof value}`,
    );
  }
  return value;
}

/** A flag option that defaults to true. */
function resolveFlag(value: unknown, name: string): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'boolean') {
    throw new TypeError(`transport contract: options.${name} must be a boolean`);
  }
  return value;
}

function resolveCreateServerAt(value: unknown): ResolvedTransportContractOptions['createServerAt'] {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') {
    throw new TypeError('transport contract: options.createServerAt must be a function');
  }
  return value as ResolvedTransportContractOptions['createServerAt'];
}

function resolveSupports(value: unknown): TransportCapabilities {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError('transport contract: options.supports must be an object');
  }
  const record = value as Record<string, unknown>;
  const known = new Set<string>(CAPABILITY_NAMES);
  for (const key of Object.keys(record)) {
    if (!known.has(key)) {
      throw new TypeError(
        `transport contract: options.supports.${key} is not a capability (known: ${CAPABILITY_NAMES.join(', ')})`,
      );
    }
  }
  const out: Record<string, boolean> = {};
  for (const name of CAPABILITY_NAMES) {
    if (!(name in record))
      throw new TypeError(`transport contract: options.supports.${name} is missing`);
    if (typeof record[name] !== 'boolean') {
      throw new TypeError(`transport contract: options.supports.${name} must be a boolean`);
    }
    out[name] = record[name];
  }
  // A frozen copy: the suite reads the manifest at registration time and when tests run, and an
  // author mutating their object in between must not change which tests are skipped.
  return Object.freeze(out as unknown as TransportCapabilities);
}
