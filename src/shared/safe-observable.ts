import { Observable, Subscriber, type Observer, type Operator, type Subscription } from 'rxjs';

/** Where an observer's throw, or an error nobody handles, is reported instead. */
export type ReportObserverError = (error: unknown) => void;

/**
 * An observable whose observers cannot take the process down. rxjs reports an error thrown by an
 * observer, or an error notification nobody handles, by rethrowing it from a timer — an uncaught
 * exception. The observables plugsocket hands out guard every observer subscribed to them or to
 * anything piped from them: a throw, and an unhandled error notification, go to the owner's
 * error channel (`onError`) instead, and the other observers carry on.
 *
 * Operators keep the guard because rxjs builds every operator's result with `lift`, which this
 * class overrides; observables made another way (`from(x)`, `merge(x, y)`) are plain rxjs.
 */
export class SafeObservable<T> extends Observable<T> {
  readonly #report: ReportObserverError;

  constructor(
    report: ReportObserverError,
    subscribe?: (
      this: Observable<T>,
      subscriber: Subscriber<T>,
    ) => (() => void) | Subscription | void,
  ) {
    super(subscribe);
    this.#report = report;
  }

  /** @internal rxjs calls this to build each operator's result: keep the guard. */
  override lift<R>(operator?: Operator<T, R>): Observable<R> {
    const observable = new SafeObservable<R>(this.#report);
    observable.source = this;
    observable.operator = operator;
    return observable;
  }

  override subscribe(
    observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null,
  ): Subscription {
    // Operators subscribe with their own Subscriber, whose teardown chain must stay as it is.
    if (observerOrNext instanceof Subscriber) return super.subscribe(observerOrNext);
    return super.subscribe(guard(observerOrNext, this.#report));
  }
}

function guard<T>(
  observerOrNext: Partial<Observer<T>> | ((value: T) => void) | null | undefined,
  report: ReportObserverError,
): Partial<Observer<T>> {
  const observer: Partial<Observer<T>> =
    typeof observerOrNext === 'function' ? { next: observerOrNext } : (observerOrNext ?? {});
  const { next, error, complete } = observer;
  return {
    next: (value) => {
      if (next === undefined) return;
      try {
        next.call(observer, value);
      } catch (thrown) {
        report(thrown);
      }
    },
    error: (err: unknown) => {
      if (error === undefined) {
        report(err);
        return;
      }
      try {
        error.call(observer, err);
      } catch (thrown) {
        report(thrown);
      }
    },
    complete: () => {
      if (complete === undefined) return;
      try {
        complete.call(observer);
      } catch (thrown) {
        report(thrown);
      }
    },
  };
}

/** A stream fed by the owner: `next`/`complete` push to every observer, each guarded. */
export class SafeSubject<T> {
  readonly #observers = new Set<Subscriber<T>>();
  /** The observers a `next` delivers to: made on change, so one added meanwhile waits its turn. */
  #snapshot: readonly Subscriber<T>[] | undefined;
  #closed = false;
  readonly observable: SafeObservable<T>;

  /**
   * @param current when given, a new observer first receives its value (as a `BehaviorSubject`
   *   replays the latest).
   */
  constructor(report: ReportObserverError, current?: () => T) {
    this.observable = new SafeObservable<T>(report, (subscriber) => {
      if (current !== undefined) subscriber.next(current());
      if (this.#closed) {
        subscriber.complete();
        return;
      }
      this.#observers.add(subscriber);
      this.#snapshot = undefined;
      return () => {
        if (this.#observers.delete(subscriber)) this.#snapshot = undefined;
      };
    });
  }

  /** Observers subscribed now. */
  get observed(): boolean {
    return this.#observers.size > 0;
  }

  /** True after {@link complete}. */
  get closed(): boolean {
    return this.#closed;
  }

  next(value: T): void {
    const observers = (this.#snapshot ??= [...this.#observers]);
    for (let i = 0; i < observers.length; i++) observers[i].next(value);
  }

  /** Completes every observer and releases them; later subscribers complete at once. */
  complete(): void {
    if (this.#closed) return;
    this.#closed = true;
    const observers = [...this.#observers];
    this.#observers.clear();
    this.#snapshot = undefined;
    for (const subscriber of observers) subscriber.complete();
  }
}
