import { PlugSocketError } from '../errors.js';
import type { AbstractSocket } from '../ports/abstract-socket.js';
import type { AuthorizationStrategy } from '../ports/authorization-strategy.js';
import { CloseCodes } from '../ports/close.js';
import type { CloseInfo, ConnectOptions } from '../ports/types.js';
import { PROTOCOL_VERSION, type WelcomeEnvelope } from '../protocol/envelope.js';

/** What one attempt needs of the client. */
export interface AttemptSettings {
  adapter: AbstractSocket;
  authorization: AuthorizationStrategy;
  /** The connect options before credentials are added. */
  base: () => ConnectOptions;
  timeout: number;
  /** Sends an envelope on the transport before the server admitted the client. */
  sendFirst: (envelope: object) => boolean;
}

/**
 * @internal One connect attempt: credentials applied afresh, the transport connected, and the
 * server's `welcome` awaited — all within `timeout`. A unit on its own, so that a reconnect loop
 * can wrap it. Every await races the attempt's outcome, so nothing outlives the timeout or an
 * abort; the transport is left closed when the attempt fails.
 */
export class ConnectionAttempt {
  /** The client id from `welcome`, once welcomed. */
  id: string | undefined;
  /** The principal id from `welcome`, when the server sent one. */
  user: string | undefined;
  /** A close that arrived after `welcome` but before the attempt resolved. */
  closedAfterWelcome: CloseInfo | undefined;
  readonly #outcome: Promise<void>;
  #resolve!: () => void;
  #reject!: (error: PlugSocketError) => void;
  readonly #timer: ReturnType<typeof setTimeout>;

  constructor(private readonly settings: AttemptSettings) {
    this.#outcome = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#outcome.catch(() => undefined);
    this.#timer = setTimeout(
      () =>
        this.abort(
          new PlugSocketError(
            'CONNECTION_FAILED',
            `connect timed out after ${settings.timeout} ms`,
          ),
        ),
      settings.timeout,
    );
  }

  /** True once the server admitted this attempt. */
  get welcomed(): boolean {
    return this.id !== undefined;
  }

  /** Runs the attempt; resolves once welcomed. */
  async run(): Promise<void> {
    const { adapter, authorization } = this.settings;
    try {
      const base = this.settings.base();
      const options = await Promise.race([
        authorization.applyAuthorization(base),
        this.#outcome.then(() => base),
      ]);
      await Promise.race([adapter.connect(options), this.#outcome]);
      if (authorization.firstFrame === true) {
        const credentials = await Promise.race([
          firstCredentials(authorization),
          this.#outcome.then(() => ({})),
        ]);
        if (!this.welcomed) this.settings.sendFirst({ k: 'auth', id: 0, credentials });
      }
      await this.#outcome;
    } finally {
      clearTimeout(this.#timer);
    }
  }

  /** The server's `welcome`. */
  /** @returns true when the welcome admitted this attempt (a first one, of this protocol version). */
  welcome(envelope: WelcomeEnvelope): boolean {
    if (this.welcomed) return false;
    if (envelope.v !== PROTOCOL_VERSION) {
      this.abort(
        new PlugSocketError(
          'CONNECTION_FAILED',
          `server speaks protocol v${envelope.v}, this client v${PROTOCOL_VERSION}`,
        ),
      );
      void this.settings.adapter
        .disconnect(CloseCodes.PROTOCOL_VERSION, 'unsupported protocol version')
        .catch(() => undefined);
      return false;
    }
    this.id = envelope.id;
    this.user = envelope.user;
    this.#resolve();
    return true;
  }

  /** The transport closed during the attempt. */
  closed(info: CloseInfo): void {
    if (this.welcomed) this.closedAfterWelcome = info;
    else this.abort(closeError(info));
  }

  /** Ends the attempt with `error` (timeout, `disconnect()`, a close). */
  abort(error: PlugSocketError): void {
    this.#reject(error);
  }
}

/** The credentials a first-frame strategy sends, checked to be a plain object. */
async function firstCredentials(strategy: AuthorizationStrategy): Promise<Record<string, unknown>> {
  if (typeof strategy.credentials !== 'function') {
    throw new TypeError('a strategy with firstFrame: true must have credentials()');
  }
  const credentials = await strategy.credentials();
  if (typeof credentials !== 'object' || credentials === null || Array.isArray(credentials)) {
    throw new TypeError('credentials() must return an object');
  }
  return credentials;
}

/** The error a close during the handshake means for `connect()`. */
export function closeError(info: CloseInfo): PlugSocketError {
  const detail = info.reason === '' ? `closed with ${info.code}` : info.reason;
  if (info.code === CloseCodes.AUTHENTICATION_FAILED)
    return new PlugSocketError('AUTHENTICATION_FAILED', detail);
  if (info.code === CloseCodes.UNAUTHORIZED) return new PlugSocketError('UNAUTHORIZED', detail);
  if (info.code === CloseCodes.TOKEN_EXPIRED) return new PlugSocketError('TOKEN_EXPIRED', detail);
  if (info.code === CloseCodes.RATE_LIMITED) return new PlugSocketError('RATE_LIMITED', detail);
  return new PlugSocketError(
    'CONNECTION_FAILED',
    `connection closed during handshake (${info.code} ${info.reason})`,
  );
}
