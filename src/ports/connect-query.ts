/**
 * Puts `ConnectOptions.query` into a connect url the way every client transport should: a
 * parameter of the url that the options also name is replaced, the options' parameters are
 * appended (percent-encoded), and the url's other parameters are kept byte for byte — re-encoding
 * them (as `URLSearchParams` does, `~` to `%7E`) would break a pre-signed url. Changes `url` in
 * place.
 *
 * @example
 * ```ts
 * const url = new URL('wss://example.com/rt?sig=a~b');
 * mergeConnectQuery(url, { token: 't 1' });
 * url.href; // 'wss://example.com/rt?sig=a~b&token=t%201'
 * ```
 */
export function mergeConnectQuery(
  url: URL,
  query: Readonly<Record<string, string>> | undefined,
): void {
  if (query === undefined) return;
  const keys = Object.keys(query);
  if (keys.length === 0) return;
  const named = new Set(keys);
  const kept = url.search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '' && !named.has(decodeName(pair)));
  for (const key of keys) kept.push(`${encodeURIComponent(key)}=${encodeURIComponent(query[key])}`);
  url.search = kept.join('&');
}

/** The decoded name of one `name=value` pair of a query string (`+` is a space). */
function decodeName(pair: string): string {
  const name = pair.split('=', 1)[0].replace(/\+/g, ' ');
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}
