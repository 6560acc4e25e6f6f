import type {
  AuthorizationResult,
  AuthorizationStrategy,
} from '../ports/authorization-strategy.js';
import type { ConnectOptions, Handshake, Unsubscribe } from '../ports/types.js';
import { NO_CREDENTIALS } from './token.js';

/**
 * Several strategies as one, so a server can take, say, a header token from services, a query
 * token from old clients and first-frame credentials from browsers.
 *
 * Server side, the first strategy (in the order given) whose `recognizes(handshake)` is true
 * decides, and its verdict is returned as is: the others are not tried after a denial, so a
 * wrong token is never retried against a weaker strategy. A strategy without `recognizes`
 * recognises everything, as `FirstFrameAuthorization` does: put such a catch-all last. When none
 * recognises the handshake, the verdict is `NO_CREDENTIALS`.
 *
 * Client side, every strategy adds its credentials, in order; the credentials of an `auth` frame
 * come from the first strategy that has them.
 *
 * Writing your own strategy: implement `AuthorizationStrategy` (`applyAuthorization` and
 * `authorize`), add `recognizes` so it can sit in a composite, and `onRevoke` if credentials can
 * be withdrawn; `docs/security.md` walks through one.
 *
 * @example
 * const auth = new CompositeAuthorization([
 *   new QueryTokenAuthorization({ verifier: registry }),
 *   new FirstFrameAuthorization({ verify: registry }), // the catch-all, last
 * ]);
 */
export class CompositeAuthorization<P = unknown> implements AuthorizationStrategy<P> {
  /** Client side: whether any of the strategies sends its credentials in a first frame. */
  readonly firstFrame: boolean;
  /**
   * Client side: the credentials of the first strategy that has a `credentials` method; absent
   * when none has.
   */
  // `declare`: no own property at all when no strategy has credentials, not one set to undefined.
  declare readonly credentials?: () => Record<string, unknown> | Promise<Record<string, unknown>>;
  private readonly strategies: readonly AuthorizationStrategy<P>[];

  /** @throws TypeError when `strategies` is not a non-empty array of strategies. */
  constructor(strategies: readonly AuthorizationStrategy<P>[]) {
    const list: unknown = strategies;
    if (!Array.isArray(list) || list.length === 0)
      throw new TypeError('CompositeAuthorization: strategies must be a non-empty array');
    list.forEach((strategy: unknown, index) => {
      if (
        typeof strategy !== 'object' ||
        strategy === null ||
        typeof (strategy as AuthorizationStrategy).applyAuthorization !== 'function' ||
        typeof (strategy as AuthorizationStrategy).authorize !== 'function'
      )
        throw new TypeError(
          `CompositeAuthorization: strategies[${index}] is not an AuthorizationStrategy`,
        );
    });
    this.strategies = Object.freeze(strategies.slice());
    this.firstFrame = this.strategies.some((strategy) => strategy.firstFrame === true);
    const source = this.strategies.find((strategy) => typeof strategy.credentials === 'function');
    if (source?.credentials !== undefined) this.credentials = source.credentials.bind(source);
  }

  /** Client side: the options passed through every strategy's `applyAuthorization`, in order. */
  async applyAuthorization(options: ConnectOptions): Promise<ConnectOptions> {
    let current = options;
    for (const strategy of this.strategies) current = await strategy.applyAuthorization(current);
    return current;
  }

  /**
   * Server side: the verdict of the first strategy that recognises the handshake, or
   * `NO_CREDENTIALS` when none does.
   */
  authorize(handshake: Handshake): AuthorizationResult<P> | Promise<AuthorizationResult<P>> {
    const decider = this.deciderFor(handshake);
    return decider === undefined ? NO_CREDENTIALS : decider.authorize(handshake);
  }

  /** Server side: whether the strategy that would decide for `handshake` expects a first frame. */
  expectsFirstFrame(handshake: Handshake): boolean {
    return this.deciderFor(handshake)?.expectsFirstFrame?.(handshake) ?? false;
  }

  /** Server side: whether any of the strategies recognises the handshake. */
  recognizes(handshake: Handshake): boolean {
    return this.deciderFor(handshake) !== undefined;
  }

  /**
   * Server side: registers `listener` with every strategy that can revoke; the returned function
   * removes it from all of them. Two strategies sharing one verifier each pass the revocation on,
   * so the listener may hear it twice; the server's closing is idempotent.
   */
  onRevoke(listener: (principalId: string) => void): Unsubscribe {
    const unsubscribes = this.strategies.flatMap((strategy) =>
      strategy.onRevoke === undefined ? [] : [strategy.onRevoke(listener)],
    );
    return () => {
      for (const unsubscribe of unsubscribes) unsubscribe();
    };
  }

  private deciderFor(handshake: Handshake): AuthorizationStrategy<P> | undefined {
    return this.strategies.find((strategy) => strategy.recognizes?.(handshake) ?? true);
  }
}
