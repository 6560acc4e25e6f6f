// The dependency rule of the hexagon, checked from source. Run as a script (`npm run depcheck`,
// part of `npm run lint`) it prints each violation and exits 1; the test beside it proves it both
// passes on this repository and catches each kind of violation.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** One import that breaks the rule. */
export interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

const TRANSPORT_LIBRARIES =
  /^(ws|socket\.io(-client|-parser|-adapter)?|engine\.io(-client)?|ioredis|redis|uWebSockets\.js)(\/|$)/;
const NODE_BUILTINS = new Set(builtinModules);
/**
 * `adapters/shared/`: support code any adapter may import (it is not an adapter: no entry point,
 * no transport library), so that two adapters on the same platform need not copy it.
 */
const SHARED = 'shared';
/** The container libraries: only src/di/ (the `plugsocket/di` entry) may import them. */
const CONTAINER_LIBRARIES = /^(inversify|reflect-metadata|@inversifyjs\/.*)(\/|$)/;
/**
 * The Prometheus client: only its exporter, `adapters/prometheus/` (the `plugsocket/prometheus`
 * entry), imports it, so the core and every transport entry run without it installed. (It is not
 * a transport, so that folder's "own library" has to be named here.)
 */
const METRICS_LIBRARIES = /^prom-client(\/|$)/;
const METRICS_ADAPTER = 'prometheus';
/**
 * React: only its binding, `adapters/react/` (the `plugsocket/react` entry), imports it, so the
 * core and every transport entry run without it installed. (Not a transport either, so it is
 * named here like the Prometheus client.)
 */
const UI_LIBRARIES = /^react(-dom)?(\/|$)/;
const UI_ADAPTER = 'react';

function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || NODE_BUILTINS.has(specifier.split('/')[0]);
}

function listSources(dir: string): string[] {
  let out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out = out.concat(listSources(full));
    else if (/\.(ts|mts|js|mjs)$/.test(entry) && !entry.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** Which layer a repository-relative path belongs to. */
function layerOf(rel: string): {
  layer: 'src' | 'adapter' | 'contracts' | 'example' | 'other';
  adapter?: string;
} {
  const parts = rel.split(path.sep);
  if (parts[0] === 'src') return { layer: 'src' };
  if (parts[0] === 'adapters') return { layer: 'adapter', adapter: parts[1] };
  if (parts[0] === 'contracts') return { layer: 'contracts' };
  if (parts[0] === 'examples') return { layer: 'example' };
  return { layer: 'other' };
}

/** Checks every source file under `root` (a plugsocket checkout) and returns the violations. */
export function checkDependencyRule(root: string): Violation[] {
  const violations: Violation[] = [];
  const dirs = ['src', 'adapters', 'contracts', 'examples'];
  for (const dir of dirs) {
    for (const file of listSources(path.join(root, dir))) {
      const rel = path.relative(root, file);
      const from = layerOf(rel);
      for (const specifier of importsOf(file)) {
        const relative = specifier.startsWith('.');
        const target = relative
          ? layerOf(path.relative(root, path.resolve(path.dirname(file), specifier)))
          : undefined;
        const targetRel = relative
          ? path.relative(root, path.resolve(path.dirname(file), specifier))
          : '';
        const add = (rule: string): void => void violations.push({ file: rel, specifier, rule });
        switch (from.layer) {
          case 'src':
            // Other npm packages are allowed when they run wherever the domain does: rxjs, and
            // debug (the default log sink, which has a browser build).
            if (TRANSPORT_LIBRARIES.test(specifier)) add('src/ imports no transport library');
            else if (METRICS_LIBRARIES.test(specifier))
              add('only adapters/prometheus/ imports prom-client');
            else if (UI_LIBRARIES.test(specifier))
              add('only adapters/react/ imports react and react-dom');
            else if (isNodeBuiltin(specifier)) add('src/ imports no Node-only module');
            else if (CONTAINER_LIBRARIES.test(specifier) && !rel.startsWith(path.join('src', 'di')))
              add('only src/di/ imports the container library (inversify, reflect-metadata)');
            else if (target && target.layer !== 'src') add('src/ imports nothing outside src/');
            else if (specifier.startsWith('plugsocket'))
              add('src/ does not import the package entry points');
            break;
          case 'adapter':
            if (METRICS_LIBRARIES.test(specifier) && from.adapter !== METRICS_ADAPTER)
              add('only adapters/prometheus/ imports prom-client');
            else if (UI_LIBRARIES.test(specifier) && from.adapter !== UI_ADAPTER)
              add('only adapters/react/ imports react and react-dom');
            else if (from.adapter === SHARED) {
              // Support code for adapters on Node (HTTP servers, ws sockets read by structure).
              if (TRANSPORT_LIBRARIES.test(specifier))
                add('adapters/shared/ imports no transport library');
              else if (target !== undefined && target.layer !== 'src' && target.adapter !== SHARED)
                add('adapters/shared/ imports only src/ and Node built-ins');
            } else if (
              target?.layer === 'adapter' &&
              target.adapter !== from.adapter &&
              target.adapter !== SHARED
            )
              add('an adapter never imports another adapter');
            else if (target?.layer === 'contracts' || target?.layer === 'example')
              add('an adapter imports only src/ and its own library');
            else if (
              /^plugsocket\/(ws|socket\.io|memory|prometheus|react|contracts)/.test(specifier)
            )
              add('an adapter never imports another adapter');
            break;
          case 'contracts':
            if (
              target !== undefined &&
              target.layer === 'src' &&
              targetRel !== path.join('src', 'index.js')
            ) {
              add('contracts/ imports only the public API (src/index.js)');
            } else if (
              target !== undefined &&
              target.layer !== 'src' &&
              target.layer !== 'contracts'
            ) {
              add('contracts/ imports only the public API (src/index.js)');
            } else if (
              !relative &&
              !isNodeBuiltin(specifier) &&
              // ws is the protocol conformance mode's raw WebSocket client, loaded lazily. No test
              // framework or assertion library: the suites run under any runner.
              specifier !== 'ws' &&
              specifier !== 'plugsocket'
            ) {
              add('contracts/ imports only the public API, Node built-ins and ws');
            }
            break;
          case 'example':
            if (
              target !== undefined &&
              (target.layer === 'src' || target.layer === 'adapter' || target.layer === 'contracts')
            ) {
              add(
                'examples import the package entry points (plugsocket, plugsocket/ws, …), as users do',
              );
            }
            break;
          case 'other':
            break;
        }
      }
    }
  }
  return violations;
}

if (
  process.argv[1] !== undefined &&
  path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const found = checkDependencyRule(root);
  for (const v of found) process.stderr.write(`${v.file}: imports "${v.specifier}" — ${v.rule}\n`);
  process.stdout.write(
    found.length === 0
      ? 'dependency rule: ok\n'
      : `dependency rule: ${found.length} violation(s)\n`,
  );
  process.exitCode = found.length === 0 ? 0 : 1;
}
