import { PlugSocketError } from '../errors.js';
import type { RequestTarget } from '../protocol/envelope.js';
import type { Call } from './call.js';
import type { ServerCore } from './core.js';
import type { ServerRequests, ServerRequestSettings } from './requests.js';
import { remoteClient } from './cluster.js';
import type { ConnectedClient, Session } from './session.js';

/**
 * @internal A client-to-client request, after the middleware: finds the target (a client id, or
 * the most recently admitted client of a user), asks `canRequest`, then asks the target with the
 * asker's id as `from`, and answers the asker. The server waits for the target at most its own
 * `requestTimeout`; the asker's cancel or disconnect reaches the target as a `cancel`.
 */
export async function forwardRequest<P>(
  requests: ServerRequests<P>,
  core: ServerCore<P>,
  canRequest: ServerRequestSettings<P>['canRequest'],
  call: Call<P>,
  to: RequestTarget,
  headers: Record<string, unknown> | undefined,
): Promise<void> {
  const target =
    typeof to === 'string'
      ? (core.registry.byId.get(to) ?? core.registry.parked.get(to))
      : core.registry.latestOf(to.user);
  const cluster = core.router.cluster;
  if (cluster !== undefined && (target === undefined || typeof to !== 'string')) {
    // A user's most recent client may be on another node: the directory decides.
    await forwardRemote(requests, core, canRequest, call, to, headers, target);
    return;
  }
  // A parked target (its connection lost, within its resume window) gets the request on resume.
  if (target === undefined || !target.live) {
    call.fail(offline(to));
    return;
  }
  await forwardLocal(requests, core, canRequest, call, target, headers);
}

/** The target is on this node. */
async function forwardLocal<P>(
  requests: ServerRequests<P>,
  core: ServerCore<P>,
  canRequest: ServerRequestSettings<P>['canRequest'],
  call: Call<P>,
  target: Session<P>,
  headers: Record<string, unknown> | undefined,
): Promise<void> {
  const from = call.session;
  if (!target.live) {
    call.fail(new PlugSocketError('TARGET_OFFLINE', `client ${target.id} is not connected`));
    return;
  }
  if (!(await allowed(core, canRequest, call, target))) return;
  await relay(
    call,
    requests.request(target, call.name, call.payload, { signal: call.signal }, from.id, headers),
  );
}

/** The target is not on this node: found in the cluster directory, asked through its node. */
async function forwardRemote<P>(
  requests: ServerRequests<P>,
  core: ServerCore<P>,
  canRequest: ServerRequestSettings<P>['canRequest'],
  call: Call<P>,
  to: RequestTarget,
  headers: Record<string, unknown> | undefined,
  local: Session<P> | undefined,
): Promise<void> {
  const cluster = core.router.cluster!;
  const from = call.session;
  let where;
  try {
    where = typeof to === 'string' ? await cluster.locate(to) : await cluster.locateUser(to.user);
  } catch (error) {
    core.report(
      from.id,
      new PlugSocketError('SERVER_ERROR', 'the backplane failed', { cause: error }),
    );
    call.fail(new PlugSocketError('TARGET_OFFLINE', 'the target cannot be reached now'));
    return;
  }
  if (where !== undefined && where.node === cluster.id) {
    // The most recent is here after all (or the directory lags this node's own admission).
    const here = core.registry.byId.get(where.id) ?? local;
    if (here !== undefined) {
      await forwardLocal(requests, core, canRequest, call, here, headers);
      return;
    }
  }
  if (where === undefined && local !== undefined) {
    await forwardLocal(requests, core, canRequest, call, local, headers);
    return;
  }
  if (where === undefined || where.node === cluster.id) {
    call.fail(offline(to));
    return;
  }
  const target: ConnectedClient<P> = remoteClient<P>(where);
  if (!(await allowed(core, canRequest, call, target))) return;
  await relay(
    call,
    cluster.request(
      where.node,
      where.id,
      call.name,
      call.payload,
      { signal: call.signal, timeout: requests.defaultTimeout },
      from.id,
      headers,
    ),
  );
}

/** Asks `canRequest`; fails the call and returns false when it refuses or throws. */
async function allowed<P>(
  core: ServerCore<P>,
  canRequest: ServerRequestSettings<P>['canRequest'],
  call: Call<P>,
  target: ConnectedClient<P>,
): Promise<boolean> {
  const from = call.session;
  try {
    if (canRequest === undefined || (await canRequest(from, target, call.name)) === true)
      return true;
    call.fail(new PlugSocketError('UNAUTHORIZED', `may not request "${call.name}" of that client`));
  } catch (error) {
    core.report(from.id, new PlugSocketError('SERVER_ERROR', 'canRequest threw', { cause: error }));
    call.fail(new PlugSocketError('SERVER_ERROR', 'the request failed on the server'));
  }
  return false;
}

/** Answers the asker with the target's answer, or its failure in the asker's terms. */
async function relay<P>(call: Call<P>, answer: Promise<unknown>): Promise<void> {
  try {
    call.reply(await answer);
  } catch (error) {
    const e = PlugSocketError.from(error);
    // The target left: from the asker's side its peer is offline, not its own connection. A
    // timeout is told without the target's client id, which an asker by user may not know.
    call.fail(
      e.code === 'NOT_CONNECTED'
        ? new PlugSocketError('TARGET_OFFLINE', 'the target client disconnected before it answered')
        : e.code === 'TIMEOUT'
          ? new PlugSocketError('TIMEOUT', `the target did not answer "${call.name}" in time`)
          : e,
    );
  }
}

function offline(to: RequestTarget): PlugSocketError {
  return new PlugSocketError(
    'TARGET_OFFLINE',
    typeof to === 'string'
      ? `client ${to} is not connected`
      : `user ${JSON.stringify(to.user)} is not connected`,
  );
}
