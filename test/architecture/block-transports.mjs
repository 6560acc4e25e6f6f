// Module resolution hook for the entry-point tests ("importing X never loads Y"): resolving any
// blocked library fails loudly, so a transitive import shows up as a failed import. The blocked
// packages come from `register-block-transports.mjs` (the `PLUGSOCKET_BLOCK` variable); by
// default every transport library, the container libraries (`inversify`, `reflect-metadata`),
// `jose` and `prom-client`.
export const DEFAULT_BLOCKED = [
  'ws',
  'socket.io',
  'socket.io-client',
  'engine.io',
  'engine.io-client',
  'inversify',
  'reflect-metadata',
  'jose',
  'prom-client',
];

let blocked = pattern(DEFAULT_BLOCKED);

function pattern(names) {
  const escaped = names.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^(${escaped.join('|')})(/|$)`);
}

export function initialize(data) {
  if (data?.blocked !== undefined) blocked = pattern(data.blocked);
}

export async function resolve(specifier, context, next) {
  if (blocked.test(specifier)) throw new Error(`blocked library loaded: ${specifier}`);
  return next(specifier, context);
}
