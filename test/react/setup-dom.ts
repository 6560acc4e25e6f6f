// A jsdom window for the React specs, installed on the global object only around their suites
// (before → after), so that the other specs of the same mocha process never see a DOM. React DOM
// and Testing Library are imported only once the DOM is there (React DOM reads `window` when it
// loads), and Testing Library's automatic cleanup is off: each suite cleans up in its afterEach.
import type * as TestingLibrary from '@testing-library/react';
import { JSDOM } from 'jsdom';

/** Testing Library for React, loaded after the DOM. */
export type Rtl = typeof TestingLibrary;

/** The window properties the specs, React DOM and Testing Library read as globals. */
const WINDOW_GLOBALS = [
  'window',
  'document',
  'navigator',
  'location',
  'Node',
  'Text',
  'Element',
  'HTMLElement',
  'HTMLButtonElement',
  'HTMLInputElement',
  'HTMLIFrameElement',
  'DocumentFragment',
  'MutationObserver',
  'getComputedStyle',
  'requestAnimationFrame',
  'cancelAnimationFrame',
] as const;

/**
 * Puts a fresh jsdom window's properties on `globalThis`, with React's act environment flag.
 * @returns the function that puts back exactly what was there before (absent stays absent).
 */
export function installDom(): () => void {
  const dom = new JSDOM('<!doctype html><html><body></body></html>', {
    url: 'http://localhost/',
    pretendToBeVisual: true,
  });
  const g = globalThis as Record<string, unknown>;
  const keys = [...WINDOW_GLOBALS, 'IS_REACT_ACT_ENVIRONMENT'];
  const saved = new Map(keys.map((key) => [key, Object.getOwnPropertyDescriptor(g, key)]));
  const win = dom.window as unknown as Record<string, unknown>;
  for (const key of WINDOW_GLOBALS) {
    const value = key === 'window' ? dom.window : win[key];
    Object.defineProperty(g, key, {
      value: typeof value === 'function' && /^[a-z]/.test(key) ? value.bind(dom.window) : value,
      configurable: true,
      writable: true,
      enumerable: true,
    });
  }
  // Off between acts: the specs run a real socket, whose updates arrive whenever the memory
  // transport delivers (as in a browser) and are awaited with waitFor. Testing Library's act()
  // and render() turn it on for their own scope.
  Object.defineProperty(g, 'IS_REACT_ACT_ENVIRONMENT', {
    value: false,
    configurable: true,
    writable: true,
  });
  return () => {
    for (const [key, descriptor] of saved) {
      if (descriptor === undefined) delete g[key];
      else Object.defineProperty(g, key, descriptor);
    }
    dom.window.close();
  };
}

/**
 * Installs the DOM for the enclosing `describe` and loads Testing Library into `box.rtl`; every
 * test's render is unmounted after it, and the globals are restored after the suite.
 */
export function useDom(): { readonly rtl: Rtl } {
  const box = {} as { rtl: Rtl };
  let restore: (() => void) | undefined;
  before(async () => {
    restore = installDom();
    process.env.RTL_SKIP_AUTO_CLEANUP = 'true';
    box.rtl = await import('@testing-library/react');
  });
  afterEach(() => {
    box.rtl?.cleanup();
  });
  after(() => {
    restore?.();
    restore = undefined;
  });
  return box;
}
