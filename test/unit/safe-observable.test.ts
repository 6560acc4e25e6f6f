import { expect } from 'chai';
import { filter, map, mergeMap, share, take, throwError } from 'rxjs';
import sinon from 'sinon';
import { SafeObservable, SafeSubject } from '../../src/shared/safe-observable.js';

/** Resolves after a real timer turn: rxjs reports unhandled errors from a timer. */
function timerTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

describe('SafeSubject', () => {
  let report: sinon.SinonSpy<[unknown], void>;
  let uncaught: sinon.SinonSpy<[Error], void>;

  beforeEach(() => {
    report = sinon.spy((_error: unknown) => undefined);
    uncaught = sinon.spy((_error: Error) => undefined);
    process.on('uncaughtException', uncaught);
  });

  afterEach(() => {
    process.off('uncaughtException', uncaught);
  });

  describe('#next()', () => {
    it('delivers each value to every observer, in subscription order', () => {
      const subject = new SafeSubject<number>(report);
      const seen: string[] = [];
      subject.observable.subscribe((v) => seen.push(`a${v}`));
      subject.observable.subscribe({ next: (v) => seen.push(`b${v}`) });
      subject.next(1);
      subject.next(2);
      expect(seen).to.deep.equal(['a1', 'b1', 'a2', 'b2']);
    });

    it('does nothing without observers', () => {
      const subject = new SafeSubject<number>(report);
      expect(subject.observed).to.equal(false);
      subject.next(1);
      expect(report.called).to.equal(false);
    });

    it('calls an observer object’s methods with the observer as `this`', () => {
      const subject = new SafeSubject<number>(report);
      const observer = {
        seen: [] as number[],
        next(this: { seen: number[] }, v: number) {
          this.seen.push(v);
        },
      };
      subject.observable.subscribe(observer);
      subject.next(3);
      expect(observer.seen).to.deep.equal([3]);
      expect(report.called).to.equal(false);
    });

    it('a subscription made inside next() starts with the next value, not the one being delivered', () => {
      // Regression: observers were a live Set, so an observer added while a value was being
      // delivered received that same value — `message$.pipe(take(1))` inside a handler saw the
      // message that triggered it, not the next one (and a handler that resubscribed itself looped).
      const subject = new SafeSubject<number>(report);
      const inner: string[] = [];
      let subscribed = 0;
      subject.observable.subscribe((outer) => {
        subscribed++;
        subject.observable.pipe(take(1)).subscribe((v) => inner.push(`after ${outer}: ${v}`));
      });
      subject.next(1);
      expect(inner).to.deep.equal([]);
      subject.next(2);
      expect(inner).to.deep.equal(['after 1: 2']);
      expect(subscribed).to.equal(2);
    });

    it('terminates when an observer resubscribes itself on every value', () => {
      const subject = new SafeSubject<number>(report);
      let calls = 0;
      const again = (): void => {
        calls++;
        if (calls > 1000) throw new Error('looping');
        subject.observable.pipe(take(1)).subscribe(again);
      };
      subject.observable.pipe(take(1)).subscribe(again);
      subject.next(1);
      subject.next(2);
      expect(calls).to.equal(2);
      expect(report.called).to.equal(false);
    });
  });

  describe('unsubscribing', () => {
    it('releases the observer: observed becomes false and it gets nothing more', () => {
      const subject = new SafeSubject<number>(report);
      const next = sinon.spy();
      const subscription = subject.observable.subscribe(next);
      expect(subject.observed).to.equal(true);
      subscription.unsubscribe();
      expect(subject.observed).to.equal(false);
      subject.next(1);
      expect(next.called).to.equal(false);
    });

    it('inside next() stops that observer and leaves the others', () => {
      const subject = new SafeSubject<number>(report);
      const first: number[] = [];
      const second: number[] = [];
      const subscription = subject.observable.subscribe((v) => {
        first.push(v);
        subscription.unsubscribe();
      });
      subject.observable.subscribe((v) => second.push(v));
      subject.next(1);
      subject.next(2);
      expect(first).to.deep.equal([1]);
      expect(second).to.deep.equal([1, 2]);
      expect(report.called).to.equal(false);
    });

    it('of another observer inside next() keeps the value from it', () => {
      const subject = new SafeSubject<number>(report);
      const later = sinon.spy();
      const subscriptions: { unsubscribe(): void }[] = [];
      subject.observable.subscribe(() => subscriptions[0]?.unsubscribe());
      subscriptions.push(subject.observable.subscribe(later));
      subject.next(1);
      expect(later.called).to.equal(false);
      expect(subject.observed).to.equal(true);
    });
  });

  describe('#complete()', () => {
    it('completes every observer once, releases them and marks the subject closed', () => {
      const subject = new SafeSubject<number>(report);
      const complete = sinon.spy();
      const next = sinon.spy();
      subject.observable.subscribe({ next, complete });
      subject.observable.pipe(map((v) => v * 2)).subscribe({ complete });
      expect(subject.closed).to.equal(false);
      subject.complete();
      subject.complete();
      expect(complete.callCount).to.equal(2);
      expect(subject.closed).to.equal(true);
      expect(subject.observed).to.equal(false);
      subject.next(1);
      expect(next.called).to.equal(false);
    });

    it('completes a late subscriber at once, without keeping it', () => {
      const subject = new SafeSubject<number>(report);
      subject.complete();
      const complete = sinon.spy();
      const next = sinon.spy();
      const subscription = subject.observable.subscribe({ next, complete });
      expect(complete.callCount).to.equal(1);
      expect(subscription.closed).to.equal(true);
      expect(subject.observed).to.equal(false);
      subject.next(1);
      expect(next.called).to.equal(false);
    });
  });

  describe('current', () => {
    it('gives a new observer the current value first, then what follows', () => {
      let state = 'idle';
      const subject = new SafeSubject<string>(report, () => state);
      const first: string[] = [];
      subject.observable.subscribe((v) => first.push(v));
      state = 'open';
      subject.next(state);
      const late: string[] = [];
      subject.observable.subscribe((v) => late.push(v));
      state = 'closed';
      subject.next(state);
      expect(first).to.deep.equal(['idle', 'open', 'closed']);
      expect(late).to.deep.equal(['open', 'closed']);
    });

    it('reads the current value anew for each subscriber', () => {
      let n = 0;
      const subject = new SafeSubject<number>(report, () => ++n);
      const seen: number[] = [];
      subject.observable.subscribe((v) => seen.push(v));
      subject.observable.subscribe((v) => seen.push(v));
      expect(seen).to.deep.equal([1, 2]);
    });

    it('a throw from the observer on the replayed value is reported and the subscription stays', () => {
      const subject = new SafeSubject<number>(report, () => 0);
      const bug = new Error('observer bug');
      const seen: number[] = [];
      subject.observable.subscribe((v) => {
        seen.push(v);
        if (v === 0) throw bug;
      });
      subject.next(1);
      expect(report.args).to.deep.equal([[bug]]);
      expect(seen).to.deep.equal([0, 1]);
    });
  });

  describe('observers that throw', () => {
    it('a throwing next is reported, the others still receive the value, and it receives the next one', async () => {
      const subject = new SafeSubject<number>(report);
      const bug = new Error('observer bug');
      const thrower = sinon.spy(() => {
        throw bug;
      });
      const other = sinon.spy();
      subject.observable.subscribe(thrower);
      subject.observable.subscribe(other);
      subject.next(1);
      subject.next(2);
      await timerTurn();
      expect(report.args).to.deep.equal([[bug], [bug]]);
      expect(thrower.callCount).to.equal(2);
      expect(other.args).to.deep.equal([[1], [2]]);
      expect(uncaught.called).to.equal(false);
    });

    it('a throwing complete handler is reported, and the other observers complete', async () => {
      const subject = new SafeSubject<number>(report);
      const bug = new Error('complete bug');
      const complete = sinon.spy();
      subject.observable.subscribe({
        complete: () => {
          throw bug;
        },
      });
      subject.observable.subscribe({ complete });
      subject.complete();
      await timerTurn();
      expect(report.args).to.deep.equal([[bug]]);
      expect(complete.callCount).to.equal(1);
      expect(uncaught.called).to.equal(false);
    });
  });
});

describe('SafeObservable', () => {
  let report: sinon.SinonSpy<[unknown], void>;
  let uncaught: sinon.SinonSpy<[Error], void>;

  beforeEach(() => {
    report = sinon.spy((_error: unknown) => undefined);
    uncaught = sinon.spy((_error: Error) => undefined);
    process.on('uncaughtException', uncaught);
  });

  afterEach(() => {
    process.off('uncaughtException', uncaught);
  });

  describe('#pipe()', () => {
    it('keeps the guard through operators', () => {
      const subject = new SafeSubject<number>(report);
      const piped = subject.observable.pipe(
        map((v) => v + 1),
        filter((v) => v > 0),
      );
      expect(piped).to.be.instanceOf(SafeObservable);
    });

    it('runs the operators', () => {
      const subject = new SafeSubject<number>(report);
      const seen: number[] = [];
      subject.observable
        .pipe(
          filter((v) => v % 2 === 1),
          map((v) => v * 10),
        )
        .subscribe((v) => seen.push(v));
      for (let i = 1; i <= 4; i++) subject.next(i);
      expect(seen).to.deep.equal([10, 30]);
    });

    it('reports an observer of a piped stream that throws, and it stays subscribed', async () => {
      const subject = new SafeSubject<number>(report);
      const bug = new Error('observer bug');
      const next = sinon.spy(() => {
        throw bug;
      });
      subject.observable.pipe(map((v) => v * 2)).subscribe(next);
      subject.next(1);
      subject.next(2);
      await timerTurn();
      expect(next.callCount).to.equal(2);
      expect(report.args).to.deep.equal([[bug], [bug]]);
      expect(uncaught.called).to.equal(false);
    });

    it('reports an operator that throws when the observer has no error handler; other observers carry on', async () => {
      const subject = new SafeSubject<number>(report);
      const bug = new Error('operator bug');
      const other = sinon.spy();
      subject.observable
        .pipe(
          map(() => {
            throw bug;
          }),
        )
        .subscribe();
      subject.observable
        .pipe(
          map(() => {
            throw bug;
          }),
        )
        .subscribe({ next: () => undefined });
      subject.observable.subscribe(other);
      subject.next(1);
      await timerTurn();
      expect(report.args).to.deep.equal([[bug], [bug]]);
      expect(other.callCount).to.equal(1);
      expect(uncaught.called).to.equal(false);
    });

    it('hands an operator error to the observer’s own error handler instead of reporting it', async () => {
      const subject = new SafeSubject<number>(report);
      const bug = new Error('operator bug');
      const error = sinon.spy();
      subject.observable
        .pipe(
          map(() => {
            throw bug;
          }),
        )
        .subscribe({ error });
      subject.next(1);
      await timerTurn();
      expect(error.args).to.deep.equal([[bug]]);
      expect(report.called).to.equal(false);
    });

    it('reports an error handler that throws', async () => {
      const subject = new SafeSubject<number>(report);
      const bug = new Error('operator bug');
      const handlerBug = new Error('error handler bug');
      subject.observable
        .pipe(
          map(() => {
            throw bug;
          }),
        )
        .subscribe({
          error: () => {
            throw handlerBug;
          },
        });
      subject.next(1);
      await timerTurn();
      expect(report.args).to.deep.equal([[handlerBug]]);
      expect(uncaught.called).to.equal(false);
    });

    it('reports an error from an inner observable nobody handles (mergeMap)', async () => {
      const subject = new SafeSubject<number>(report);
      const bug = new Error('inner bug');
      subject.observable.pipe(mergeMap(() => throwError(() => bug))).subscribe(() => undefined);
      subject.next(1);
      await timerTurn();
      expect(report.args).to.deep.equal([[bug]]);
      expect(uncaught.called).to.equal(false);
    });

    it('guards the observers of a shared stream', async () => {
      const subject = new SafeSubject<number>(report);
      const bug = new Error('observer bug');
      const shared = subject.observable.pipe(share());
      const other = sinon.spy();
      shared.subscribe(() => {
        throw bug;
      });
      shared.subscribe(other);
      subject.next(1);
      await timerTurn();
      expect(report.args).to.deep.equal([[bug]]);
      expect(other.args).to.deep.equal([[1]]);
      expect(uncaught.called).to.equal(false);
    });
  });

  describe('teardown through operators', () => {
    it('unsubscribing a piped subscription releases the subject’s observer', () => {
      const subject = new SafeSubject<number>(report);
      const next = sinon.spy();
      const subscription = subject.observable
        .pipe(
          map((v) => v),
          filter(() => true),
        )
        .subscribe(next);
      expect(subject.observed).to.equal(true);
      subscription.unsubscribe();
      expect(subject.observed, 'no observer leaked behind the operators').to.equal(false);
      subject.next(1);
      expect(next.called).to.equal(false);
    });

    it('an operator that completes (take) releases the subject’s observer', () => {
      const subject = new SafeSubject<number>(report);
      const complete = sinon.spy();
      subject.observable.pipe(take(2)).subscribe({ complete });
      subject.next(1);
      expect(subject.observed).to.equal(true);
      subject.next(2);
      expect(complete.callCount).to.equal(1);
      expect(subject.observed).to.equal(false);
    });

    it('an operator error releases the subject’s observer', () => {
      const subject = new SafeSubject<number>(report);
      subject.observable
        .pipe(
          map(() => {
            throw new Error('operator bug');
          }),
        )
        .subscribe();
      subject.next(1);
      expect(subject.observed).to.equal(false);
    });

    it('completing the subject completes piped observers', () => {
      const subject = new SafeSubject<number>(report);
      const complete = sinon.spy();
      subject.observable.pipe(map((v) => v)).subscribe({ complete });
      subject.complete();
      expect(complete.callCount).to.equal(1);
    });
  });

  describe('a SafeObservable made with a subscribe function', () => {
    it('guards its observers and runs its teardown on unsubscribe', async () => {
      const teardown = sinon.spy();
      const observable = new SafeObservable<number>(report, (subscriber) => {
        subscriber.next(1);
        return teardown;
      });
      const bug = new Error('observer bug');
      const subscription = observable.subscribe(() => {
        throw bug;
      });
      await timerTurn();
      expect(report.args).to.deep.equal([[bug]]);
      subscription.unsubscribe();
      expect(teardown.callCount).to.equal(1);
      expect(uncaught.called).to.equal(false);
    });

    it('reports an error notification nobody handles', async () => {
      const bug = new Error('source failed');
      const observable = new SafeObservable<number>(report, (subscriber) => {
        subscriber.error(bug);
      });
      observable.subscribe(() => undefined);
      observable.subscribe();
      await timerTurn();
      expect(report.args).to.deep.equal([[bug], [bug]]);
      expect(uncaught.called).to.equal(false);
    });
  });
});
