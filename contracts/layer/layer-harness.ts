import {
  SocketClient,
  SocketServer,
  type AbstractSocketServer,
  type SocketClientOptions,
  type SocketServerOptions,
} from '../../src/index.js';
import { withTimeout } from '../helpers.js';
import type { ContractAudit, ContractTestSpec } from '../audit.js';
import type { ResolvedTransportContractOptions } from '../transport-options.js';

/**
 * Builds domain servers and clients over the transport under test, and tears every one of them
 * down after each test, with a bound, so one failing test cannot leak into the next.
 */
export class LayerHarness {
  readonly #servers: SocketServer[] = [];
  readonly #clients: SocketClient[] = [];

  readonly #audit: ContractAudit;

  /**
   * @param options the validated suite options.
   * @param audit registers the suite's tests with ids and levels.
   */
  constructor(
    readonly options: ResolvedTransportContractOptions,
    audit: ContractAudit,
  ) {
    this.#audit = audit;
  }

  /** Opens a group of tests. */
  group(title: string, body: () => void): void {
    this.#audit.group(title, body);
  }

  /** Registers one test with its id and level; gated tests are skipped per the manifest. */
  test(spec: ContractTestSpec, body: () => Promise<void>): void {
    this.#audit.test(spec, body);
  }

  /**
   * Milliseconds a test waits after a count it waited for is reached, before it asserts the exact
   * content: a duplicate that arrives just after shows up in the assertion, not as a timeout.
   */
  readonly quiet = 100;

  /** Half the test timeout: waits inside a test fail with a message before the test's own timeout. */
  get wait(): number {
    return Math.floor(this.options.timeout / 2);
  }

  /** A listening `SocketServer` on a fresh transport server, and its url. */
  async server(
    options: SocketServerOptions = {},
  ): Promise<{ server: SocketServer; adapter: AbstractSocketServer; url: string }> {
    const adapter = await this.options.createServer();
    const server = new SocketServer(adapter, options);
    this.#servers.push(server);
    const address = await server.listen();
    return { server, adapter, url: this.options.connectOptions(address).url };
  }

  /**
   * A `SocketClient` on a fresh transport client (not yet connected). It does not reconnect by
   * itself unless `options.reconnect` says so: the suites check what each close leaves behind.
   */
  async client(url: string, options: Omit<SocketClientOptions, 'url'> = {}): Promise<SocketClient> {
    const adapter = await this.options.createClient();
    const client = new SocketClient(adapter, {
      connectTimeout: this.wait,
      requestTimeout: this.wait,
      reconnect: false,
      ...options,
      url,
    });
    this.#clients.push(client);
    return client;
  }

  /** A connected `SocketClient`. */
  async connected(
    url: string,
    options: Omit<SocketClientOptions, 'url'> = {},
  ): Promise<SocketClient> {
    const client = await this.client(url, options);
    await withTimeout(client.connect(), this.wait, 'client.connect()');
    return client;
  }

  /** Disconnects every client and shuts down every server made by this harness (bounded). */
  async teardown(): Promise<void> {
    const clients = this.#clients.splice(0);
    const servers = this.#servers.splice(0);
    await withTimeout(
      Promise.allSettled([
        ...clients.map((c) => c.disconnect()),
        ...servers.map((s) => s.shutdown()),
      ]),
      this.wait,
      'layer teardown',
    ).catch(() => undefined);
  }
}
