import {
  CAPABILITY_NAMES,
  type AbstractSocket,
  type AbstractSocketServer,
  type ConnectOptions,
  type ListenAddress,
  type TransportCapabilities,
} from '../src/index.js';
import type { AuditOptions } from './audit.js';

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
   * Per-test mocha timeout in milliseconds. Waits inside a test are bounded by half of it, so a
   * missing event fails with a message rather than a mocha timeout.
   * @default 10000
   */
  timeout?: number;
  /**
   * Turns a server's listen address into connect options.
   * @default (address) => ({ url: address.url })
   */
  connectOptions?: (address: ListenAddress) => ContractConnectOptions;
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
  /** The runner, report and SHOULD-failure options, as given. */
  readonly audit: AuditOptions;
}

/** The default per-test timeout in milliseconds. */
export const DEFAULT_CONTRACT_TIMEOUT = 10_000;

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
 * first bad field, so a misconfigured suite fails at load time instead of as odd test failures.
 */
export function resolveTransportContractOptions(
  options: unknown,
): ResolvedTransportContractOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('transport contract: options must be an object');
  }
  const o = options as Record<string, unknown>;
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
  return {
    name: o.name,
    createServer: o.createServer as ResolvedTransportContractOptions['createServer'],
    createClient: o.createClient as ResolvedTransportContractOptions['createClient'],
    supports,
    timeout,
    connectOptions:
      (o.connectOptions as ResolvedTransportContractOptions['connectOptions'] | undefined) ??
      defaultConnectOptions,
    audit: {
      runner: o.runner as AuditOptions['runner'],
      report: o.report as AuditOptions['report'],
      shouldFailures: o.shouldFailures as AuditOptions['shouldFailures'],
    },
  };
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
