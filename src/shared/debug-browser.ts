// What the `#debug` import resolves to in browser builds (package.json "imports", `browser`
// condition): the part of the `debug` package's API that src/logger.ts uses, in a few hundred
// bytes instead of the package's 2.5 KB gzipped. Namespaces are enabled as with `debug` in a
// browser: `localStorage.debug = 'plugsocket:*'` (comma-separated patterns, `*` wildcards, a
// leading `-` excludes), read when a logger is made; output goes to the console.

/** A namespace's writer: call it with a format and one argument, as src/logger.ts does. */
export interface DebugWriter {
  (format: string, text: string): void;
  readonly enabled: boolean;
}

function patterns(): string[] {
  try {
    const storage = (globalThis as { localStorage?: { getItem(key: string): string | null } })
      .localStorage;
    return (storage?.getItem('debug') ?? '').split(/[\s,]+/).filter(Boolean);
  } catch {
    return []; // storage blocked (privacy settings, sandboxed frames)
  }
}

/**
 * Whether `namespace` matches `pattern`, where `*` stands for any run of characters and every
 * other character for itself. Linear: the pieces between wildcards are found left to right
 * (taking the earliest place for each is never worse), so no pattern can stall a page.
 */
export function matches(pattern: string, namespace: string): boolean {
  const pieces = pattern.split('*');
  if (pieces.length === 1) return pattern === namespace;
  const first = pieces[0];
  const last = pieces[pieces.length - 1];
  if (!namespace.startsWith(first)) return false;
  if (namespace.length < first.length + last.length || !namespace.endsWith(last)) return false;
  let at = first.length;
  const end = namespace.length - last.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const found = namespace.indexOf(pieces[i], at);
    if (found === -1 || found + pieces[i].length > end) return false;
    at = found + pieces[i].length;
  }
  return true;
}

function enabled(namespace: string): boolean {
  let on = false;
  for (const pattern of patterns()) {
    if (pattern.startsWith('-')) {
      if (matches(pattern.slice(1), namespace)) return false;
    } else if (matches(pattern, namespace)) on = true;
  }
  return on;
}

/** Makes the writer of `namespace`, enabled by `localStorage.debug`. */
export default function createDebug(namespace: string): DebugWriter {
  const write = (_format: string, text: string): void => {
    if (!write.enabled) return;
    const method = namespace.endsWith(':error')
      ? 'error'
      : namespace.endsWith(':warn')
        ? 'warn'
        : 'debug';
    // eslint-disable-next-line no-console -- this module is the console sink of the logger
    console[method](`${namespace} ${text}`);
  };
  write.enabled = enabled(namespace);
  return write;
}
