import { PlugSocketError } from '../errors.js';
import { isPromiseLike } from '../shared/is-promise-like.js';
import type { InboundContext, Middleware } from './middleware.js';
import type { AccessHooks } from './options.js';

/**
 * @internal The `access.message` and `access.request` hooks as the first global middleware, so a
 * refusal takes the path every middleware refusal takes (`UNAUTHORIZED`: an `error` frame for a
 * message, a `nack` for a request) and an asynchronous hook keeps a client's messages in order.
 * Undefined when neither hook is set: nothing is added to the pipeline.
 */
export function accessHooks<P>(access: AccessHooks<P>): Middleware<P> | undefined {
  const { message, request } = access;
  if (message === undefined && request === undefined) return undefined;
  return (ctx: InboundContext<P>, next) => {
    const hook = ctx.kind === 'message' ? message : request;
    if (hook === undefined) return next();
    const decide = (allowed: unknown): Promise<void> => {
      if (allowed === true) return next();
      throw new PlugSocketError(
        'UNAUTHORIZED',
        `may not ${ctx.kind === 'message' ? 'send' : 'call'} ${JSON.stringify(ctx.name)}`,
      );
    };
    const verdict = hook(ctx.client, ctx.name);
    return isPromiseLike(verdict) ? Promise.resolve(verdict).then(decide) : decide(verdict);
  };
}
