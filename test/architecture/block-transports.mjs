// Module resolution hook for the "core never loads a transport" test: any attempt to resolve a
// transport library fails loudly, so a transitive import shows up as a failed import.
export async function resolve(specifier, context, next) {
  if (/^(ws|socket\.io|socket\.io-client|engine\.io|engine\.io-client)(\/|$)/.test(specifier)) {
    throw new Error(`transport library loaded: ${specifier}`);
  }
  return next(specifier, context);
}
