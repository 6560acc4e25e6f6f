// Type-checks every TypeScript code block of README.md and docs/**/*.md against the built package,
// so no example in the docs rots. A user's project resolves `plugsocket`, `plugsocket/ws`, … through
// the `types` entries of package.json "exports" (the declarations in dist/), so this does too: the
// blocks are written to a scratch directory inside the repo, where `plugsocket` resolves to this
// package by name (self-reference), and compiled as one program with strict options, without the
// `plugsocket-source` condition. The conventions (```ts and ```tsx modules, ```ts fragment with
// the <!-- snippet-context: … --> and <!-- snippet-page-context: … --> comments, parse-only
// fragments) are described in docs/contributing-docs.md.
//
//   npm run docs:snippets              # builds dist/ first when it is missing or stale
//   npm run docs:snippets -- --no-build
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A TypeScript code block of a markdown file. */
export interface Block {
  /** The markdown file, as given to {@link extractBlocks} (relative to the repo, for messages). */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: 'ts' | 'tsx';
  /** Opened as ```ts fragment: not a module by itself. */
  fragment: boolean;
  /** The code, the fence's indentation removed. */
  code: string;
  /**
   * What a fragment is compiled with: the page's `<!-- snippet-page-context: … -->` comments,
   * then the `<!-- snippet-context: … -->` comment right before the fence. Empty for a fragment
   * that is only syntax-checked (and for a standalone block).
   */
  context: Context[];
  /** Problems with the block's markup itself (an unknown fence word, a stray context). */
  problems: string[];
}

/** The code of a context comment. */
export interface Context {
  code: string;
  /** 1-based line of the markdown where `code` starts. */
  line: number;
}

/** One diagnostic, located in the markdown. */
export interface Failure {
  file: string;
  line: number;
  message: string;
  /** Line of the opening fence of the block it belongs to. */
  block: number;
}

export interface CheckResult {
  blocks: number;
  fragments: number;
  /** Fragments only syntax-checked (no snippet-context). */
  syntaxOnly: number;
  /** Blocks with at least one failure. */
  failedBlocks: number;
  failures: Failure[];
}

export interface CheckOptions {
  /** The package root; the scratch directory is created inside it. Default: this repo. */
  root?: string;
  /**
   * Extra resolution conditions. Empty (the default) resolves the package as a user would,
   * through dist/; the test passes ['plugsocket-source'] to check against the source instead.
   */
  conditions?: string[];
}

const LANGS: Record<string, 'ts' | 'tsx'> = { ts: 'ts', typescript: 'ts', tsx: 'tsx' };
const FLAGS = new Set(['fragment', 'syntax-only']);
const CONTEXT_OPEN = '<!-- snippet-context:';
const PAGE_CONTEXT_OPEN = '<!-- snippet-page-context:';

/** Finds the ```ts, ```typescript and ```tsx blocks of a markdown text; other languages are left out. */
export function extractBlocks(file: string, text: string): Block[] {
  const lines = text.split(/\r?\n/);
  const blocks: Block[] = [];
  const page = pageContexts(lines);
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang, rest] = open;
    let end = i + 1;
    const close = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    while (end < lines.length && !close.test(lines[end])) end++;
    const kind = LANGS[lang.toLowerCase()];
    if (kind) {
      const words = rest.trim().split(/\s+/).filter(Boolean);
      const problems = words
        .filter((word) => !FLAGS.has(word))
        .map(
          (word) => `unknown word "${word}" after \`\`\`${lang} (known: ${[...FLAGS].join(', ')})`,
        );
      const syntaxOnly = words.includes('syntax-only');
      const fragment = words.includes('fragment') || syntaxOnly;
      const code = lines
        .slice(i + 1, end)
        .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line.trimStart()))
        .join('\n');
      const own = contextBefore(lines, i);
      if (own && !fragment)
        problems.push('a snippet-context comment applies to a ```ts fragment block only');
      if (own && syntaxOnly) problems.push('a syntax-only block takes no snippet-context');
      const context = fragment && !syntaxOnly ? [...page, ...(own ? [own] : [])] : [];
      blocks.push({ file, line: i + 1, lang: kind, fragment, code, context, problems });
    }
    i = end;
  }
  return blocks;
}

/** The `<!-- snippet-context: … -->` comment ending right before line `fence` (blank lines allowed). */
function contextBefore(lines: string[], fence: number): Context | undefined {
  let last = fence - 1;
  while (last >= 0 && lines[last].trim() === '') last--;
  if (last < 0 || !lines[last].trimEnd().endsWith('-->')) return undefined;
  let first = last;
  while (first >= 0 && !lines[first].includes('<!--')) first--;
  if (first < 0 || !lines[first].trimStart().startsWith(CONTEXT_OPEN)) return undefined;
  return commentCode(lines, first, last, CONTEXT_OPEN);
}

/** Every `<!-- snippet-page-context: … -->` comment of the page, wherever it is. */
function pageContexts(lines: string[]): Context[] {
  const found: Context[] = [];
  for (let first = 0; first < lines.length; first++) {
    if (!lines[first].trimStart().startsWith(PAGE_CONTEXT_OPEN)) continue;
    let last = first;
    while (last < lines.length && !lines[last].includes('-->')) last++;
    found.push(commentCode(lines, first, last, PAGE_CONTEXT_OPEN));
    first = last;
  }
  return found;
}

/** The code of the comment on lines first..last (0-based), between `open` and `-->`. */
function commentCode(lines: string[], first: number, last: number, open: string): Context {
  const body = lines.slice(first, last + 1).join('\n');
  const code = body.slice(body.indexOf(open) + open.length, body.lastIndexOf('-->'));
  // the code starts on the comment's line when text follows the colon, else on the next line
  const onFirstLine = code.split('\n')[0].trim() !== '';
  return {
    code: onFirstLine ? code : code.replace(/^[^\n]*\n/, ''),
    line: first + (onFirstLine ? 1 : 2),
  };
}

/** The compiler options of a user's strict project: NodeNext, ES2022 + DOM, Node's types. */
export function snippetCompilerOptions(conditions: string[] = []): ts.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    moduleDetection: ts.ModuleDetectionKind.Force,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    types: ['node'],
    strict: true,
    noImplicitOverride: true,
    noFallthroughCasesInSwitch: true,
    experimentalDecorators: true,
    jsx: ts.JsxEmit.ReactJSX,
    skipLibCheck: true,
    noEmit: true,
    ...(conditions.length > 0 ? { customConditions: conditions } : {}),
  };
}

/** Compiles every block in one program; a fragment without a snippet-context is only parsed. */
export function checkBlocks(blocks: readonly Block[], options: CheckOptions = {}): CheckResult {
  const root = options.root ?? ROOT;
  const scratch = path.join(root, '.scratch', `doc-snippets-${process.pid}-${Date.now()}`);
  mkdirSync(scratch, { recursive: true });
  const failures: Failure[] = [];
  const failed = new Set<Block>();
  try {
    const files = new Map<string, { block: Block; segments: Segment[] }>();
    blocks.forEach((block, index) => {
      for (const message of block.problems) {
        failures.push({ file: block.file, line: block.line, message, block: block.line });
        failed.add(block);
      }
      if (block.fragment && block.context.length === 0) {
        for (const failure of parseFragment(block)) {
          failures.push(failure);
          failed.add(block);
        }
        return;
      }
      const stem = `${String(index).padStart(3, '0')}-${path.basename(block.file, '.md')}-${block.line}`;
      const file = path.join(scratch, `${stem}.${block.lang}`);
      const segments = layout(block);
      writeFileSync(file, segments.map((segment) => segment.text).join(''));
      files.set(path.resolve(file), { block, segments });
    });
    const program = ts.createProgram({
      rootNames: [...files.keys()],
      options: snippetCompilerOptions(options.conditions),
    });
    for (const sourceFile of program.getSourceFiles()) {
      const entry = files.get(path.resolve(sourceFile.fileName));
      if (!entry) continue;
      const diagnostics: readonly ts.Diagnostic[] = [
        ...program.getSyntacticDiagnostics(sourceFile),
        ...program.getSemanticDiagnostics(sourceFile),
      ];
      for (const diagnostic of diagnostics) {
        failures.push(locate(diagnostic, entry));
        failed.add(entry.block);
      }
    }
    for (const diagnostic of program.getOptionsDiagnostics())
      failures.push({
        file: '(compiler options)',
        line: 0,
        message: flatten(diagnostic),
        block: 0,
      });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  failures.sort((a, b) => a.file.localeCompare(b.file) || a.block - b.block || a.line - b.line);
  const fragments = blocks.filter((block) => block.fragment);
  return {
    blocks: blocks.length,
    fragments: fragments.length,
    syntaxOnly: fragments.filter((block) => block.context.length === 0).length,
    failedBlocks: failed.size,
    failures,
  };
}

function lineCount(text: string): number {
  return text.split('\n').length - 1;
}

function flatten(diagnostic: ts.Diagnostic): string {
  return `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
}

/** A piece of a scratch file: text ending in a newline, from `line` of the markdown on. */
interface Segment {
  text: string;
  line: number;
  inContext: boolean;
}

/** The marker line of a snippet-context where the fragment goes; without one it goes last. */
export const FRAGMENT_MARKER = '/* fragment */';

/** A block's scratch file: the contexts, the fragment at the marker of the last one (or after). */
function layout(block: Block): Segment[] {
  const segment = (code: string, line: number, inContext: boolean): Segment => ({
    text: code.endsWith('\n') ? code : `${code}\n`,
    line,
    inContext,
  });
  const segments: Segment[] = [];
  let after: Segment | undefined;
  block.context.forEach((context, index) => {
    const lines = context.code.split('\n');
    const marker = lines.findIndex((line) => line.trim() === FRAGMENT_MARKER);
    if (index < block.context.length - 1 || marker < 0) {
      segments.push(segment(context.code, context.line, true));
      return;
    }
    segments.push(segment(lines.slice(0, marker).join('\n'), context.line, true));
    after = segment(lines.slice(marker + 1).join('\n'), context.line + marker + 1, true);
  });
  segments.push(segment(block.code, block.line + 1, false));
  if (after) segments.push(after);
  return segments.filter((s) => s.text !== '\n' || !s.inContext);
}

/** Maps a diagnostic of a scratch file back to its markdown line. */
function locate(
  diagnostic: ts.Diagnostic,
  { block, segments }: { block: Block; segments: readonly Segment[] },
): Failure {
  const message = flatten(diagnostic);
  if (!diagnostic.file || diagnostic.start === undefined)
    return { file: block.file, line: block.line, message, block: block.line };
  let { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  for (const segment of segments) {
    const count = lineCount(segment.text);
    if (line < count)
      return {
        file: block.file,
        line: segment.line + line,
        block: block.line,
        message: segment.inContext
          ? `(in the snippet-context of line ${block.line}) ${message}`
          : message,
      };
    line -= count;
  }
  return { file: block.file, line: block.line, message, block: block.line };
}

/**
 * Syntax-checks a fragment without a snippet-context: it must parse as the statements of a
 * module, or else as the members of a class (a method or two of a longer class).
 */
function parseFragment(block: Block): Failure[] {
  const parse = (text: string): readonly ts.Diagnostic[] =>
    ts.transpileModule(text, {
      fileName: `fragment.${block.lang}`,
      reportDiagnostics: true,
      compilerOptions: { ...snippetCompilerOptions(), noEmit: false, types: [], lib: [] },
    }).diagnostics ?? [];
  const asModule = parse(block.code);
  if (asModule.length === 0 || parse(`class Fragment {\n${block.code}\n}`).length === 0) return [];
  return asModule.map((diagnostic) => locate(diagnostic, { block, segments: layout(block) }));
}

/** `N blocks checked (M fragments, S only syntax-checked), K failed`. */
export function summary(result: CheckResult): string {
  return (
    `${result.blocks} blocks checked (${result.fragments} fragments, ${result.syntaxOnly} only ` +
    `syntax-checked), ${result.failedBlocks} failed`
  );
}

/** README.md and every markdown file under docs/ (but not the generated docs/api/). */
export function markdownFiles(root: string = ROOT): string[] {
  const found = ['README.md'];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const relative = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (relative !== 'docs/api') walk(relative);
      } else if (entry.name.endsWith('.md')) found.push(relative);
    }
  };
  walk('docs');
  return found.sort((a, b) =>
    a === 'README.md' ? -1 : b === 'README.md' ? 1 : a.localeCompare(b),
  );
}

/**
 * Why dist/ is missing or older than the source, or undefined when it is up to date: an export
 * whose source exists must have its declarations, newer than every .ts file they are built from.
 */
export function staleDist(root: string = ROOT): string | undefined {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, string | Record<string, string>>;
  };
  let built = Infinity;
  for (const [name, target] of Object.entries(manifest.exports)) {
    if (typeof target === 'string' || !target.types || !target['plugsocket-source']) continue;
    if (!exists(path.join(root, target['plugsocket-source']))) continue;
    const types = path.join(root, target.types);
    if (!exists(types)) return `${target.types} (the types of ${name}) is missing`;
    built = Math.min(built, statSync(types).mtimeMs);
  }
  const newest = newestSource(root, ['src', 'adapters', 'contracts']);
  if (newest && statSync(newest).mtimeMs > built)
    return `${path.relative(root, newest)} is newer than dist/`;
  return undefined;
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

function newestSource(root: string, dirs: string[]): string | undefined {
  let newest: { file: string; mtime: number } | undefined;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        const mtime = statSync(file).mtimeMs;
        if (!newest || mtime > newest.mtime) newest = { file, mtime };
      }
    }
  };
  for (const dir of dirs) if (exists(path.join(root, dir))) walk(path.join(root, dir));
  return newest?.file;
}

/** Every failure, but at most five per block: the first ones are the ones to read. */
function printFailures(failures: readonly Failure[]): void {
  const shown = new Map<string, number>();
  for (const failure of failures) {
    const key = `${failure.file}:${failure.block}`;
    const count = (shown.get(key) ?? 0) + 1;
    shown.set(key, count);
    if (count <= 5) console.error(`${failure.file}:${failure.line}: ${failure.message}`);
    else if (count === 6) console.error(`${key}: … and more diagnostics in this block`);
  }
}

function main(args: string[]): number {
  const noBuild = args.includes('--no-build');
  const stale = staleDist();
  if (stale) {
    if (noBuild) {
      console.error(`doc-snippets: dist/ is not up to date (${stale}); run npm run build`);
      return 1;
    }
    console.log(`doc-snippets: building the package first (${stale})`);
    const build = spawnSync(
      process.execPath,
      [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      { cwd: ROOT, stdio: 'inherit' },
    );
    if (build.status !== 0) {
      console.error('doc-snippets: npm run build failed');
      return 1;
    }
  }
  const blocks = markdownFiles().flatMap((file) =>
    extractBlocks(file, readFileSync(path.join(ROOT, file), 'utf8')),
  );
  const result = checkBlocks(blocks);
  printFailures(result.failures);
  console.log(summary(result));
  return result.failures.length > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  process.exitCode = main(process.argv.slice(2));
