// Compliance reports: a JSON file for machines (the capabilities table in docs/adapters.md is
// generated from them) and a markdown page for people.
import type { ContractReport } from './audit.js';

/** Where a report goes; every field is optional. */
export interface ReportTarget {
  /** A directory: `<suite>-<name>.json` and `<suite>-<name>.md` are written there. */
  dir?: string;
  /** A path for the JSON report. */
  json?: string;
  /** A path for the markdown report. */
  markdown?: string;
  /** Receives the report object when the suite finishes. */
  onReport?: (report: ContractReport) => void | Promise<void>;
}

/** The file name stem of a report: `<suite>-<name>` with the name reduced to `[a-z0-9.-]`. */
export function reportStem(report: Pick<ContractReport, 'suite' | 'name'>): string {
  const name = report.name
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${report.suite}-${name || 'unnamed'}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Renders a report as a markdown page: verdict, tallies per level, then every test. */
export function renderMarkdownReport(report: ContractReport): string {
  const { MUST, SHOULD } = report.summary;
  const verdict = report.conforms
    ? SHOULD.failed === 0
      ? 'conforms (every MUST and SHOULD test that ran passed)'
      : `conforms at MUST level (${SHOULD.failed} SHOULD test${SHOULD.failed === 1 ? '' : 's'} failed)`
    : MUST.failed > 0 || MUST.passed === 0
      ? 'does NOT conform (a MUST test failed or none ran)'
      : `does NOT conform (${MUST.notRun + SHOULD.notRun} test${MUST.notRun + SHOULD.notRun === 1 ? '' : 's'} did not run: a filtered or interrupted run cannot conform)`;
  const lines = [
    `# ${report.name}: ${report.suite} contract report`,
    '',
    `**Verdict:** ${verdict}.`,
    '',
    '| Level | Passed | Failed | Skipped | Not run |',
    '| --- | ---: | ---: | ---: | ---: |',
    `| MUST | ${MUST.passed} | ${MUST.failed} | ${MUST.skipped} | ${MUST.notRun} |`,
    `| SHOULD | ${SHOULD.passed} | ${SHOULD.failed} | ${SHOULD.skipped} | ${SHOULD.notRun} |`,
    '',
  ];
  if (report.supports !== undefined) {
    const flags = Object.entries(report.supports)
      .map(([flag, on]) => `\`${flag}\`: ${on ? 'yes' : 'no'}`)
      .join(', ');
    lines.push(`**Gates** (the capabilities and options that turn tests on): ${flags}.`, '');
  }
  lines.push('| Id | Level | Outcome | Promise | Note |', '| --- | --- | --- | --- | --- |');
  for (const test of report.tests) {
    const note =
      test.error ??
      test.skipReason ??
      (test.outcome === 'not run' ? 'not run: the run was filtered or stopped first' : '');
    lines.push(
      `| ${test.id} | ${test.level} | ${test.outcome} | ${cell(test.title)} | ${cell(note)} |`,
    );
  }
  lines.push('', `Finished at ${report.finishedAt}.`, '');
  return lines.join('\n');
}

/** Writes `report` where `target` says. Node built-ins are loaded only when a file is written. */
export async function writeReport(
  report: ContractReport,
  target: string | ReportTarget,
  markdown: string,
): Promise<void> {
  const options: ReportTarget = typeof target === 'string' ? { dir: target } : target;
  const files: [string, string][] = [];
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (options.dir !== undefined || options.json !== undefined || options.markdown !== undefined) {
    const path = await import('node:path');
    if (options.dir !== undefined) {
      const stem = path.join(options.dir, reportStem(report));
      files.push([`${stem}.json`, json], [`${stem}.md`, markdown]);
    }
    if (options.json !== undefined) files.push([options.json, json]);
    if (options.markdown !== undefined) files.push([options.markdown, markdown]);
    const fs = await import('node:fs/promises');
    for (const [file, text] of files) {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, text);
    }
  }
  await options.onReport?.(report);
}
