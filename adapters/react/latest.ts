// A ref that always holds the latest value of a render, for callbacks that must not resubscribe.
import { useEffect, useLayoutEffect, useRef, type RefObject } from 'react';

/** `useLayoutEffect` in a browser, `useEffect` where there is no DOM (server rendering). */
const useIsomorphicLayoutEffect =
  typeof (globalThis as { document?: unknown }).document === 'undefined'
    ? useEffect
    : useLayoutEffect;

/**
 * @internal A ref updated to `value` after each commit (before effects run), so an effect or a
 * subscription made once reads the latest value without depending on it.
 */
export function useLatest<T>(value: T): RefObject<T> {
  const ref = useRef(value);
  useIsomorphicLayoutEffect(() => {
    ref.current = value;
  });
  return ref;
}
