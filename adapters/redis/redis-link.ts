import type { Redis } from 'ioredis';
import type { Logger } from '../../src/index.js';
import { closeClient, serverMajor } from './redis-connection.js';
import { BACKPLANE_SCRIPTS } from './scripts.js';

/** Which of the two connections. */
export type LinkRole = 'pub' | 'sub';

/** What a {@link RedisLink} tells its backplane, once opened. */
export interface RedisLinkHandlers {
  /** A connection dropped (`close`, `reconnecting` or `end`); `cause` is its last error. */
  lost(role: LinkRole, event: string, cause: Error | undefined): void;
  /** Both connections are ready again, the subscriber subscribed again. */
  ready(): void;
  /** A pub/sub message on one of the channels. */
  message(bytes: Buffer): void;
}

/** Settings of a {@link RedisLink}. */
export interface RedisLinkOptions {
  /** Each command's time limit, and how long a connection may answer nothing. */
  readonly commandTimeout: number;
  readonly sharded: boolean | 'auto';
  /** Shown in `CLIENT LIST` as `<name>:pub` and `<name>:sub`. */
  readonly name: string;
  /** The channels to subscribe to. */
  readonly channels: readonly string[];
  readonly logger: Logger;
}

/**
 * A node's two connections to Redis, duplicated from one client: `pub` carries every command
 * and publish (one connection, so a node's writes and packets keep their order), `sub` is
 * subscribed to the node's channels. Neither queues anything while down, and ioredis's own
 * re-subscription is off: the link subscribes again itself, so it knows when it is whole.
 */
export class RedisLink {
  readonly pub: Redis;
  readonly sub: Redis;
  #sharded = false;
  #subscribed = false;
  #active = false;
  #lastError: Error | undefined;

  constructor(
    base: Redis,
    private readonly options: RedisLinkOptions,
    private readonly handlers: RedisLinkHandlers,
  ) {
    this.pub = this.#connection(base, 'pub');
    this.sub = this.#connection(base, 'sub');
  }

  /** Whether pub/sub is sharded (SPUBLISH / SSUBSCRIBE); known once open. */
  get sharded(): boolean {
    return this.#sharded;
  }

  /** Both connections ready and the subscriber subscribed. */
  get up(): boolean {
    return this.pub.status === 'ready' && this.#subscribed;
  }

  /** The last error a connection reported, cleared by {@link clearError}. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  clearError(): void {
    this.#lastError = undefined;
  }

  /** Connects both, picks the pub/sub flavour, loads the scripts, subscribes. */
  async open(): Promise<void> {
    await Promise.all([this.pub.connect(), this.sub.connect()]);
    const { sharded } = this.options;
    this.#sharded =
      sharded === 'auto' ? (await serverMajor(this.pub).catch(() => 0)) >= 7 : sharded;
    await this.loadScripts();
    await this.#subscribe();
    this.#active = true;
  }

  /** Loads every script on the command connection (again after a reconnect: a restarted server forgot them). */
  async loadScripts(): Promise<void> {
    await Promise.all(BACKPLANE_SCRIPTS.map((script) => script.load(this.pub)));
  }

  /** Publishes on the command connection; undefined (nothing sent) when it is not ready. */
  publish(channel: string, bytes: Buffer): Promise<unknown> | undefined {
    if (this.pub.status !== 'ready') return undefined;
    return this.#sharded ? this.pub.spublish(channel, bytes) : this.pub.publish(channel, bytes);
  }

  /**
   * Keeps a reply pending on the subscriber connection, so that one which went silent (no FIN,
   * no RST) is dropped after `commandTimeout` and dialled again.
   */
  pingSubscriber(): void {
    if (this.sub.status === 'ready') this.sub.ping().catch(() => undefined);
  }

  /** Closes both connections (QUIT when connected, so what was sent is delivered). */
  async close(): Promise<void> {
    this.#active = false;
    this.#subscribed = false;
    await Promise.all([closeClient(this.pub), closeClient(this.sub)]);
  }

  #connection(base: Redis, role: LinkRole): Redis {
    const { commandTimeout, name, logger } = this.options;
    const connection = base.duplicate({
      lazyConnect: true,
      // The backplane's names are its own; a client-wide key prefix would not reach the keys
      // its scripts build.
      keyPrefix: '',
      // Down means down: nothing waits in a queue for the link to come back.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      commandTimeout,
      socketTimeout: commandTimeout,
      connectionName: `${name}:${role}`.replace(/[^!-~]/g, '_').slice(0, 128),
    });
    // Nothing may throw out of an ioredis event handler: it would surface in ioredis itself.
    const guard =
      <A extends unknown[]>(handler: (...args: A) => void) =>
      (...args: A): void => {
        try {
          handler(...args);
        } catch (error) {
          logger.error('redis event handler failed', { role, error });
        }
      };
    connection.on(
      'error',
      guard((error: Error) => {
        this.#lastError = error;
        logger.debug('redis connection error', { connection: name, role, error });
      }),
    );
    for (const event of ['close', 'reconnecting', 'end'])
      connection.on(
        event,
        guard(() => {
          if (role === 'sub') this.#subscribed = false;
          if (this.#active) this.handlers.lost(role, event, this.#lastError);
        }),
      );
    if (role === 'pub') {
      connection.on(
        'ready',
        guard(() => {
          if (this.#active && this.up) this.handlers.ready();
        }),
      );
    } else {
      connection.on(
        'ready',
        guard(() => {
          if (!this.#active) return;
          this.#subscribe().then(
            () => {
              if (this.#active && this.up) this.handlers.ready();
            },
            (error: unknown) => logger.debug('re-subscribe failed', { connection: name, error }),
          );
        }),
      );
      const onMessage = guard((_channel: Buffer, message: Buffer) => {
        if (this.#active) this.handlers.message(message);
      });
      connection.on('messageBuffer', onMessage);
      connection.on('smessageBuffer', onMessage);
    }
    return connection;
  }

  async #subscribe(): Promise<void> {
    // One channel per command, each in its own hash slot as sharded pub/sub wants.
    for (const channel of this.options.channels) {
      if (this.#sharded) await this.sub.ssubscribe(channel);
      else await this.sub.subscribe(channel);
    }
    this.#subscribed = true;
  }
}
