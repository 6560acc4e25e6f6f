import type {
  AbstractSocket,
  AbstractSocketServer,
  ConnectOptions,
  ListenAddress,
  ServerConnection,
} from '../src/index.js';
import {
  collectClient,
  collectServer,
  waitFor,
  withTimeout,
  type ClientEvents,
  type ServerEventLog,
} from './helpers.js';
import type { ContractAudit, ContractTestSpec } from './audit.js';
import type { ResolvedTransportContractOptions } from './transport-options.js';

/** The handshake fields a test adds to the author's connect options. */
export type HandshakeExtras = Pick<ConnectOptions, 'headers' | 'query' | 'auth'>;

/** A listening server with a log of everything it emitted. */
export interface Listening {
  /** The server, made by the author's factory. */
  readonly server: AbstractSocketServer;
  /** What `listen()` resolved with. */
  readonly address: ListenAddress;
  /** Every server event since just before `listen()`. */
  readonly log: ServerEventLog;
}

/** An open client, its event log and the server's handle for it. */
export interface Connected {
  /** The client, made by the author's factory. */
  readonly client: AbstractSocket;
  /** Every client event since just before `connect()`. */
  readonly events: ClientEvents;
  /** The server's handle for this client. */
  readonly connection: ServerConnection;
}

/** Quiet period, in ms, after which an event that fired once is taken to have fired only once. */
const QUIET_PERIOD = 100;

/**
 * Per-suite helper that makes servers and clients through the author's factories, remembers every
 * one, and closes them all after each test, within a bound, whatever state a broken adapter left
 * them in.
 */
export class TransportHarness {
  /** The validated suite options. */
  readonly options: ResolvedTransportContractOptions;
  /** Upper bound, in ms, for waiting on any one event or operation inside a test. */
  readonly wait: number;
  /**
   * Connect timeout, in ms, for connects that are expected to fail: short enough that the
   * rejection arrives well within {@link wait}.
   */
  readonly refusalTimeout: number;
  /** Quiet period, in ms, used to check that an event did not fire a second time. */
  readonly quiet = QUIET_PERIOD;
  #cleanupBound: number;
  readonly #servers = new Set<AbstractSocketServer>();
  readonly #clients = new Set<AbstractSocket>();

  readonly #audit: ContractAudit;

  /**
   * @param options the validated options of the suite this harness serves.
   * @param audit registers the suite's tests with ids and levels.
   */
  constructor(options: ResolvedTransportContractOptions, audit: ContractAudit) {
    this.options = options;
    this.#audit = audit;
    // Half the test timeout leaves the other half for setup and cleanup, so a missing event fails
    // the test with a message saying what was awaited rather than with a bare runner timeout.
    this.wait = Math.max(200, Math.floor(options.timeout / 2));
    this.refusalTimeout = Math.floor(this.wait / 2);
    this.#cleanupBound = this.wait;
  }

  /** Opens a group of tests. */
  group(title: string, body: () => void): void {
    this.#audit.group(title, body);
  }

  /** Registers one test with its id and level; gated tests are skipped per the manifest. */
  test(spec: ContractTestSpec, body: () => Promise<void>): void {
    this.#audit.test(spec, body);
  }

  /** A fresh server from the author's factory, closed after the test. */
  async createServer(): Promise<AbstractSocketServer> {
    const server = await this.options.createServer();
    this.#servers.add(server);
    return server;
  }

  /**
   * A fresh server from the author's `createServerAt` factory, to listen at `address`; closed
   * after the test. Only for tests gated on `createServerAt`.
   */
  async createServerAt(address: ListenAddress): Promise<AbstractSocketServer> {
    const factory = this.options.createServerAt;
    if (factory === undefined) throw new Error('options.createServerAt was not given');
    const server = await factory(address);
    this.#servers.add(server);
    return server;
  }

  /** A fresh client from the author's factory, disconnected after the test. */
  async createClient(): Promise<AbstractSocket> {
    const client = await this.options.createClient();
    this.#clients.add(client);
    return client;
  }

  /** Creates a server (unless given one), starts recording its events, and listens. */
  async listen(server?: AbstractSocketServer): Promise<Listening> {
    const target = server ?? (await this.createServer());
    const log = collectServer(target);
    const address = await withTimeout(target.listen(), this.wait, 'listen()');
    return { server: target, address, log };
  }

  /** The author's connect options for `address`, with a bounded connect timeout and `extras`. */
  connectOptions(address: ListenAddress, extras: HandshakeExtras = {}): ConnectOptions {
    const base = this.options.connectOptions(address);
    return { timeout: this.wait, ...base, ...extras };
  }

  /**
   * Creates a client, starts recording its events before `connect()`, connects it to `to`, and
   * waits until the server has reported the connection. Connect clients one at a time with this:
   * the new connection is taken to be the next one the server reports.
   */
  async connectClient(to: Listening, extras: HandshakeExtras = {}): Promise<Connected> {
    const client = await this.createClient();
    const events = collectClient(client);
    const before = to.log.connections.length;
    await withTimeout(
      client.connect(this.connectOptions(to.address, extras)),
      this.wait,
      'connect()',
    );
    // Waiting here (rather than asserting) keeps a late `connection` event from failing tests that
    // are about something else; the opening tests check the order strictly.
    await waitFor(
      () => to.log.connections.length > before,
      this.wait,
      'the server connection event',
    );
    return { client, events, connection: to.log.connections[before].connection };
  }

  /** Connects `count` clients to `to`, one after the other (see {@link connectClient}). */
  async connectClients(to: Listening, count: number): Promise<Connected[]> {
    const connected: Connected[] = [];
    for (let i = 0; i < count; i++) connected.push(await this.connectClient(to));
    return connected;
  }

  /** A listening server with one connected client: the starting point of most tests. */
  async pair(extras: HandshakeExtras = {}): Promise<Listening & Connected> {
    const listening = await this.listen();
    const connected = await this.connectClient(listening, extras);
    return { ...listening, ...connected };
  }

  /**
   * Disconnects every client and closes every server made during the test. Never throws and never
   * waits longer than {@link wait}: a broken adapter must fail its own test, not hang the suite or
   * abort the tests after it (mocha, for one, skips the rest of a suite when an `afterEach` hook fails).
   *
   * Once a cleanup has timed out, later ones wait only a quiet period: the adapter has shown that
   * its close can hang (the closing tests report it), and waiting the full bound after every test
   * would multiply one flaw into minutes.
   */
  async cleanup(): Promise<void> {
    const clients = [...this.#clients];
    const servers = [...this.#servers];
    this.#clients.clear();
    this.#servers.clear();
    const closing = [
      ...clients.map((client) => settle(() => client.disconnect())),
      ...servers.map((server) => settle(() => server.close())),
    ];
    try {
      await withTimeout(Promise.all(closing), this.#cleanupBound, 'cleanup');
    } catch {
      // A hanging close is reported by the tests that check closing; here it is only abandoned.
      this.#cleanupBound = this.quiet;
    }
  }
}

/** Runs `fn` and resolves when its promise settles, whether it throws, rejects or resolves. */
async function settle(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch {
    // Cleanup is best effort.
  }
}
