// Generates the parts of the docs that describe what the contract suites proved, from the
// compliance reports the suites wrote for the shipped adapters (`npm test` writes them to
// .contract-reports/): the capabilities table of docs/adapters.md and the test catalogues (every
// id, level, promise and gate) of docs/contract-testing.md and docs/protocol-conformance.md. So the
// docs say what the suites check and what they proved, not what someone typed. `--check` fails
// when a file differs from what the reports say; `--write` updates the files.
//
//   node --conditions=plugsocket-source --import tsx tools/capabilities-table.ts --check
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ContractReport, ContractTestResult } from '../contracts/audit.js';
import { reportStem } from '../contracts/report.js';
import { CAPABILITY_NAMES } from '../src/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The shipped adapters, as columns: their heading and the name their contract runs use. */
const ADAPTERS = [
  { heading: 'memory', name: 'memory' },
  { heading: 'ws', name: 'ws' },
  { heading: 'Socket.IO', name: 'socket.io' },
  { heading: 'TCP example', name: 'tcp' },
  { heading: 'browser', name: 'browser' },
  // The same adapter in headless Chromium: the transport contract only (no layer run there).
  { heading: 'browser in Chromium', name: 'browser in Chromium', layer: false },
] as const satisfies readonly { heading: string; name: string; layer?: false }[];

/** Whether an adapter runs the layer contract as well as the transport contract. */
const hasLayer = (a: (typeof ADAPTERS)[number]): boolean => !('layer' in a);

/** The name the protocol conformance run against plugsocket's own server uses. */
const PROTOCOL_RUN = 'plugsocket ws';

function readReport(dir: string, suite: string, name: string): ContractReport {
  const file = path.join(dir, `${reportStem({ suite, name })}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ContractReport;
  } catch (error) {
    throw new Error(`no ${suite} contract report for ${name} at ${file}: run npm test first`, {
      cause: error,
    });
  }
}

function tally(report: ContractReport, level: 'MUST' | 'SHOULD'): string {
  const { passed, failed, skipped } = report.summary[level];
  const base = `${passed}/${passed + failed}`;
  return skipped === 0 ? base : `${base} (${skipped} skipped)`;
}

function table(rows: string[][]): string {
  return rows.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** Every test of a suite, in registration order, from several reports of it. */
function catalogueOf(reports: readonly ContractReport[]): ContractTestResult[] {
  const byId = new Map<string, ContractTestResult>();
  for (const report of reports) {
    for (const test of report.tests) if (!byId.has(test.id)) byId.set(test.id, test);
  }
  return [...byId.values()];
}

function renderCatalogue(reports: readonly ContractReport[]): string {
  const tests = catalogueOf(reports);
  const must = tests.filter((t) => t.level === 'MUST').length;
  const rows = [
    ['id', 'level', 'promise', 'gated on'],
    ['---', '---', '---', '---'],
    ...tests.map((t) => [
      t.id,
      t.level,
      cell(t.title),
      t.requires === undefined ? '' : `\`${t.requires}\``,
    ]),
  ];
  return `${tests.length} tests: ${must} MUST, ${tests.length - must} SHOULD.\n\n${table(rows)}`;
}

/** The capabilities table of docs/adapters.md. */
function renderCapabilities(dir: string): string {
  const transport = ADAPTERS.map((a) => readReport(dir, 'transport', a.name));
  const layer = ADAPTERS.map((a) => (hasLayer(a) ? readReport(dir, 'layer', a.name) : undefined));
  const gated = (capability: string): string =>
    catalogueOf(transport)
      .filter((t) => t.requires === capability)
      .map((t) => t.id)
      .join(', ') || '—';
  const rows: string[][] = [
    ['capability', ...ADAPTERS.map((a) => a.heading), 'contract tests gated on it'],
    ['---', ...ADAPTERS.map(() => '---'), '---'],
  ];
  // The manifest's capabilities, then the options that turn optional tests on.
  const gates = [
    ...CAPABILITY_NAMES,
    'faults',
    'createServerAt',
    'clientAbort',
    'clientKeepsReading',
  ];
  for (const capability of gates) {
    const option = !(CAPABILITY_NAMES as readonly string[]).includes(capability);
    rows.push([
      `\`${capability}\`${option ? ' (option)' : ''}`,
      ...transport.map((r) => (r.supports?.[capability] ? '✓' : '—')),
      gated(capability),
    ]);
  }
  const verdict = (r: ContractReport): string => (r.conforms ? 'conforms' : '**fails**');
  rows.push(
    ['transport contract', ...transport.map(verdict), 'every MUST test passed'],
    ['— MUST passed', ...transport.map((r) => tally(r, 'MUST')), 'skipped: gated off'],
    ['— SHOULD passed', ...transport.map((r) => tally(r, 'SHOULD')), ''],
    ['layer contract', ...layer.map((r) => (r === undefined ? 'not run' : verdict(r))), ''],
    ['— MUST passed', ...layer.map((r) => (r === undefined ? '—' : tally(r, 'MUST'))), ''],
    ['— SHOULD passed', ...layer.map((r) => (r === undefined ? '—' : tally(r, 'SHOULD'))), ''],
  );
  return table(rows);
}

/** Each generated region: the file, its marker name and what goes between the markers. */
const REGIONS: { file: string; region: string; render: (dir: string) => string }[] = [
  { file: 'docs/adapters.md', region: 'capabilities', render: renderCapabilities },
  {
    file: 'docs/contract-testing.md',
    region: 'catalogue:transport',
    render: (dir) => renderCatalogue(ADAPTERS.map((a) => readReport(dir, 'transport', a.name))),
  },
  {
    file: 'docs/contract-testing.md',
    region: 'catalogue:layer',
    render: (dir) =>
      renderCatalogue(ADAPTERS.filter(hasLayer).map((a) => readReport(dir, 'layer', a.name))),
  },
  {
    file: 'docs/protocol-conformance.md',
    region: 'catalogue:protocol',
    render: (dir) => renderCatalogue([readReport(dir, 'protocol', PROTOCOL_RUN)]),
  },
];

function begin(region: string): string {
  return `<!-- ${region}:begin (generated by tools/capabilities-table.ts from the contract reports; do not edit) -->`;
}

function end(region: string): string {
  return `<!-- ${region}:end -->`;
}

/** `text` with the named region replaced by `content`. */
function replaceRegion(text: string, file: string, region: string, content: string): string {
  const start = text.indexOf(begin(region));
  const stop = text.indexOf(end(region));
  if (start < 0 || stop < start) throw new Error(`${file} lacks the ${region} markers`);
  return `${text.slice(0, start + begin(region).length)}\n\n${content}\n\n${text.slice(stop)}`;
}

function main(): void {
  const mode = process.argv[2];
  const dir = process.env.PLUGSOCKET_CONTRACT_REPORTS || path.join(ROOT, '.contract-reports');
  if (mode !== '--write' && mode !== '--check') {
    for (const { region, render } of REGIONS) console.log(`## ${region}\n\n${render(dir)}\n`);
    return;
  }
  const files = new Map<string, string>();
  for (const { file, region, render } of REGIONS) {
    const text = files.get(file) ?? readFileSync(path.join(ROOT, file), 'utf8');
    files.set(file, replaceRegion(text, file, region, render(dir)));
  }
  let drift = 0;
  for (const [file, next] of files) {
    const current = readFileSync(path.join(ROOT, file), 'utf8');
    if (current === next) continue;
    if (mode === '--write') {
      writeFileSync(path.join(ROOT, file), next);
      console.log(`updated ${file}`);
    } else {
      console.error(`${file}: differs from the contract reports; run npm run docs:capabilities`);
      drift++;
    }
  }
  if (mode === '--check') {
    if (drift > 0) process.exitCode = 1;
    else console.log('generated docs match the contract reports');
  }
}

main();
