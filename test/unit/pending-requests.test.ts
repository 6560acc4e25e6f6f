import { expect } from 'chai';
import { getEventListeners } from 'node:events';
import sinon from 'sinon';
import { PlugSocketError } from '../../src/index.js';
import { PendingRequests, type PendingOptions } from '../../src/shared/pending-requests.js';
import { expectCode, rejectionOf, useFakeClock } from './support.js';

/** Options of a call that waits `timeout` ms (default: for ever). */
function opts(extra: Partial<PendingOptions> = {}): PendingOptions {
  return { timeout: Infinity, what: 'request "x"', ...extra };
}

/** Abort listeners currently on `signal`. */
function abortListeners(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length;
}

/** Marks a promise as handled, so that a rejection the test checks later is not "unhandled". */
function settled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

describe('PendingRequests', () => {
  let clock: sinon.SinonFakeTimers | undefined;

  afterEach(() => {
    clock?.restore();
    clock = undefined;
  });

  describe('ids', () => {
    it('hands send() ids counting from 1, one per call', () => {
      const pending = new PendingRequests(10);
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) void settled(pending.start(opts(), (id) => ids.push(id)));
      expect(ids).to.deep.equal([1, 2, 3]);
      expect(pending.size).to.equal(3);
    });

    it('takes ids from a custom id provider', () => {
      const provider = sinon.stub();
      provider.onFirstCall().returns(40).onSecondCall().returns(7);
      const pending = new PendingRequests(10, provider);
      const ids: number[] = [];
      void settled(pending.start(opts(), (id) => ids.push(id)));
      void settled(pending.start(opts(), (id) => ids.push(id)));
      expect(ids).to.deep.equal([40, 7]);
      expect(provider.callCount).to.equal(2);
      expect(pending.settle(7, undefined, 'seven')).to.equal(true);
      expect(pending.settle(40, undefined, 'forty')).to.equal(true);
    });

    it('uses the id given to start() without asking the provider', async () => {
      const provider = sinon.stub().returns(1);
      const pending = new PendingRequests(10, provider);
      const send = sinon.spy();
      const call = pending.start(opts(), send, 99);
      expect(send.firstCall.args[0]).to.equal(99);
      expect(provider.called).to.equal(false);
      pending.settle(99, undefined, 'ok');
      expect(await call).to.equal('ok');
    });
  });

  describe('#settle()', () => {
    it('resolves the call with the result and frees its slot', async () => {
      const pending = new PendingRequests(10);
      let id = -1;
      const call = pending.start(opts(), (i) => (id = i));
      expect(pending.settle(id, undefined, { sum: 3 })).to.equal(true);
      expect(await call).to.deep.equal({ sum: 3 });
      expect(pending.size).to.equal(0);
    });

    it('rejects the call with the error it is given', async () => {
      const pending = new PendingRequests(10);
      let id = -1;
      const call = pending.start(opts(), (i) => (id = i));
      const error = new PlugSocketError('UNAUTHORIZED', 'no');
      pending.settle(id, error);
      expect(await rejectionOf(call)).to.equal(error);
    });

    it('settles a call once: a second answer returns false and changes nothing', async () => {
      const pending = new PendingRequests(10);
      let id = -1;
      const call = pending.start(opts(), (i) => (id = i));
      expect(pending.settle(id, undefined, 'first')).to.equal(true);
      expect(pending.settle(id, undefined, 'second')).to.equal(false);
      expect(pending.settle(id, new PlugSocketError('SERVER_ERROR', 'late'))).to.equal(false);
      expect(await call).to.equal('first');
    });

    it('returns false for an id nobody waits on', () => {
      const pending = new PendingRequests(10);
      expect(pending.settle(12345, undefined, 'x')).to.equal(false);
    });

    it('does not call onGiveUp for an answered call', async () => {
      const pending = new PendingRequests(10);
      const onGiveUp = sinon.spy();
      let id = -1;
      const call = pending.start(opts({ onGiveUp }), (i) => (id = i));
      pending.settle(id, undefined, 1);
      await call;
      expect(onGiveUp.called).to.equal(false);
    });
  });

  describe('timeout', () => {
    it('rejects with TIMEOUT after `timeout` ms, not before, and calls onGiveUp with the id', async () => {
      clock = useFakeClock();
      const pending = new PendingRequests(10);
      const onGiveUp = sinon.spy();
      let id = -1;
      const call = settled(pending.start(opts({ timeout: 500, onGiveUp }), (i) => (id = i)));
      const outcome = sinon.spy();
      call.then(outcome, outcome);
      await clock.tickAsync(499);
      expect(outcome.called, 'still waiting at 499 ms').to.equal(false);
      await clock.tickAsync(1);
      expectCode(await rejectionOf(call), 'TIMEOUT');
      expect(onGiveUp.callCount).to.equal(1);
      expect(onGiveUp.firstCall.args[0]).to.equal(id);
      expectCode(onGiveUp.firstCall.args[1], 'TIMEOUT');
      expect(pending.size).to.equal(0);
    });

    it('drops a late answer after the timeout quietly (settle returns false)', async () => {
      clock = useFakeClock();
      const pending = new PendingRequests(10);
      let id = -1;
      const call = settled(pending.start(opts({ timeout: 10 }), (i) => (id = i)));
      await clock.tickAsync(10);
      expect(pending.settle(id, undefined, 'late')).to.equal(false);
      expectCode(await rejectionOf(call), 'TIMEOUT');
    });

    it('shares one timer between calls, armed for the earliest deadline', async () => {
      clock = useFakeClock();
      const pending = new PendingRequests(10);
      const late = settled(pending.start(opts({ timeout: 5_000 }), () => undefined));
      const early = settled(pending.start(opts({ timeout: 1_000 }), () => undefined));
      const same = settled(pending.start(opts({ timeout: 5_000 }), () => undefined));
      expect(clock.countTimers()).to.equal(1);
      await clock.tickAsync(1_000);
      expectCode(await rejectionOf(early), 'TIMEOUT');
      expect(pending.size).to.equal(2);
      await clock.tickAsync(3_999);
      expect(pending.size, 'not a millisecond early').to.equal(2);
      await clock.tickAsync(1);
      expectCode(await rejectionOf(late), 'TIMEOUT');
      expectCode(await rejectionOf(same), 'TIMEOUT');
      expect(clock.countTimers()).to.equal(0);
    });

    it('keeps no timer per answered call: the shared one fires once, harmlessly, then stops', async () => {
      clock = useFakeClock();
      const pending = new PendingRequests(10);
      for (let i = 0; i < 100; i++) {
        let id = -1;
        const call = pending.start(opts({ timeout: 1_000 }), (n) => (id = n));
        pending.settle(id, undefined, i);
        expect(await call).to.equal(i);
      }
      expect(clock.countTimers()).to.equal(1);
      await clock.tickAsync(1_000);
      expect(clock.countTimers()).to.equal(0);
    });

    it('times out a call whose deadline is later than the timer it found armed', async () => {
      clock = useFakeClock();
      const pending = new PendingRequests(10);
      let id = -1;
      const first = pending.start(opts({ timeout: 1_000 }), (n) => (id = n));
      pending.settle(id, undefined, 'x');
      await first;
      await clock.tickAsync(500);
      const second = settled(pending.start(opts({ timeout: 1_000 }), () => undefined));
      await clock.tickAsync(999);
      expect(pending.size).to.equal(1);
      await clock.tickAsync(1);
      expectCode(await rejectionOf(second), 'TIMEOUT');
    });

    it('failAll() stops the shared timer', () => {
      clock = useFakeClock();
      const pending = new PendingRequests(10);
      void settled(pending.start(opts({ timeout: 1_000 }), () => undefined));
      pending.failAll(new PlugSocketError('NOT_CONNECTED', 'gone'));
      expect(clock.countTimers()).to.equal(0);
    });

    it('regression: a timeout past 2^31 - 1 ms (about 24.8 days) neither fires at once nor early', async () => {
      clock = useFakeClock();
      const pending = new PendingRequests(10);
      const thirtyDays = 30 * 24 * 3_600_000;
      const call = settled(pending.start(opts({ timeout: thirtyDays }), () => undefined));
      const outcome = sinon.spy();
      call.then(outcome, outcome);
      await clock.tickAsync(24 * 3_600_000);
      expect(outcome.called, 'still waiting after a day').to.equal(false);
      expect(pending.size).to.equal(1);
      // The timer wakes at the longest delay it can have, sees the deadline ahead, and waits on.
      await clock.tickAsync(2_147_483_647 - 24 * 3_600_000);
      expect(outcome.called, 'still waiting at the longest timer delay').to.equal(false);
      await clock.tickAsync(thirtyDays - 2_147_483_647);
      expectCode(await rejectionOf(call), 'TIMEOUT');
    });

    it('starts no timer for an Infinity timeout', () => {
      clock = useFakeClock();
      const pending = new PendingRequests(10);
      void settled(pending.start(opts({ timeout: Infinity }), () => undefined));
      expect(clock.countTimers()).to.equal(0);
      expect(pending.size).to.equal(1);
    });
  });

  describe('abort', () => {
    it('rejects with ABORTED at once, without sending or taking a slot, for a signal already aborted', async () => {
      const pending = new PendingRequests(1);
      const send = sinon.spy();
      const call = pending.start(opts({ signal: AbortSignal.abort() }), send);
      expectCode(await rejectionOf(call), 'ABORTED');
      expect(send.called).to.equal(false);
      expect(pending.size).to.equal(0);
    });

    it('rejects with ABORTED when the signal aborts mid-flight and calls onGiveUp', async () => {
      const pending = new PendingRequests(10);
      const controller = new AbortController();
      const onGiveUp = sinon.spy();
      let id = -1;
      const call = settled(
        pending.start(opts({ signal: controller.signal, onGiveUp }), (i) => (id = i)),
      );
      controller.abort();
      expectCode(await rejectionOf(call), 'ABORTED');
      expect(onGiveUp.callCount).to.equal(1);
      expect(onGiveUp.firstCall.args[0]).to.equal(id);
      expect(pending.size).to.equal(0);
    });

    it('removes its abort listener once the call is answered (no leak on a long-lived signal)', async () => {
      const pending = new PendingRequests(10);
      const controller = new AbortController();
      const onGiveUp = sinon.spy();
      const ids: number[] = [];
      const calls = [1, 2, 3].map(() =>
        pending.start(opts({ signal: controller.signal, onGiveUp }), (i) => ids.push(i)),
      );
      expect(abortListeners(controller.signal)).to.equal(3);
      for (const id of ids) pending.settle(id, undefined, id);
      expect(await Promise.all(calls)).to.deep.equal(ids);
      expect(abortListeners(controller.signal)).to.equal(0);
      controller.abort();
      expect(onGiveUp.called, 'aborting after the answer gives nothing up').to.equal(false);
    });

    it('removes its abort listener when the call times out', async () => {
      clock = useFakeClock();
      const pending = new PendingRequests(10);
      const controller = new AbortController();
      const call = settled(
        pending.start(opts({ timeout: 5, signal: controller.signal }), () => undefined),
      );
      await clock.tickAsync(5);
      expectCode(await rejectionOf(call), 'TIMEOUT');
      expect(abortListeners(controller.signal)).to.equal(0);
    });

    it('removes its abort listener and timer when failAll ends the call', async () => {
      clock = useFakeClock();
      const pending = new PendingRequests(10);
      const controller = new AbortController();
      const call = settled(
        pending.start(opts({ timeout: 1_000, signal: controller.signal }), () => undefined),
      );
      pending.failAll(new PlugSocketError('NOT_CONNECTED', 'gone'));
      expectCode(await rejectionOf(call), 'NOT_CONNECTED');
      expect(abortListeners(controller.signal)).to.equal(0);
      expect(clock.countTimers()).to.equal(0);
    });
  });

  describe('#failAll()', () => {
    it('rejects every call in flight with the error and calls onGiveUp for each', async () => {
      const pending = new PendingRequests(10);
      const onGiveUp = sinon.spy();
      const ids: number[] = [];
      const calls = [1, 2, 3].map(() =>
        settled(pending.start(opts({ onGiveUp }), (i) => ids.push(i))),
      );
      const error = new PlugSocketError('NOT_CONNECTED', 'the connection went');
      pending.failAll(error);
      for (const call of calls) expect(await rejectionOf(call)).to.equal(error);
      expect(onGiveUp.args.map((args) => args[0] as number)).to.have.members(ids);
      expect(pending.size).to.equal(0);
    });

    it('does nothing with no call in flight', () => {
      const pending = new PendingRequests(10);
      expect(() => pending.failAll(new PlugSocketError('NOT_CONNECTED', 'x'))).to.not.throw();
      expect(pending.size).to.equal(0);
    });
  });

  describe('limit', () => {
    it('rejects one call past the limit with TOO_MANY_REQUESTS at once, without sending', async () => {
      const pending = new PendingRequests(2);
      const send = sinon.spy();
      void settled(pending.start(opts(), send));
      void settled(pending.start(opts(), send));
      const third = pending.start(opts(), send);
      expectCode(await rejectionOf(third), 'TOO_MANY_REQUESTS');
      expect(send.callCount).to.equal(2);
      expect(pending.size).to.equal(2);
      expect(pending.limit).to.equal(2);
    });

    it('has room again once a call has ended', async () => {
      const pending = new PendingRequests(1);
      let id = -1;
      const first = pending.start(opts(), (i) => (id = i));
      expectCode(await rejectionOf(pending.start(opts(), () => undefined)), 'TOO_MANY_REQUESTS');
      pending.settle(id, undefined, 'done');
      await first;
      let second = -1;
      const call = pending.start(opts(), (i) => (second = i));
      pending.settle(second, undefined, 'again');
      expect(await call).to.equal('again');
    });
  });

  describe('send() throwing', () => {
    it('rejects with what send threw and frees the slot and abort listener', async () => {
      clock = useFakeClock();
      const pending = new PendingRequests(1);
      const controller = new AbortController();
      const onGiveUp = sinon.spy();
      const failure = new PlugSocketError('NOT_CONNECTED', 'cannot send');
      const call = pending.start(
        opts({ timeout: 1_000, signal: controller.signal, onGiveUp }),
        () => {
          throw failure;
        },
      );
      expect(await rejectionOf(call)).to.equal(failure);
      expect(pending.size).to.equal(0);
      expect(abortListeners(controller.signal), 'no abort listener left').to.equal(0);
      expect(onGiveUp.called, 'nothing was sent, so nothing to give up').to.equal(false);
      // The slot is free: a call fits under the limit of 1.
      let id = -1;
      const next = pending.start(opts(), (i) => (id = i));
      pending.settle(id, undefined, 'ok');
      expect(await next).to.equal('ok');
    });
  });
});
