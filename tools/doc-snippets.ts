// Type-checks every TypeScript code block of README.md and docs/**/*.md against the built package,
// so no example in the docs rots. A user's project resolves `plugsocket`, `plugsocket/ws`, … through
// the `types` entries of package.json "exports" (the declarations in dist/), so this does too: the
// blocks are written to a scratch directory inside the repo, where `plugsocket` resolves to this
// package by name (self-reference), and compiled as one program with strict options, without the
// `plugsocket-source` condition. The conventions (```ts, ```tsx, ```mts and ```cts modules,
// ```ts fragment with the <!-- snippet-context: … --> and <!-- snippet-page-context: … -->
// comments, ```ts fragment syntax-only) and the markup that is an error rather than a silently
// skipped block are described in docs/contributing-docs.md.
//
//   npm run docs:snippets              # builds dist/ first when it is missing or stale
//   npm run docs:snippets -- --no-build
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The fence languages checked; each is compiled as a file with that extension. */
export type Lang = 'ts' | 'tsx' | 'mts' | 'cts';

/** A TypeScript code block of a markdown file. */
export interface Block {
  /** The markdown file, as given to {@link extractBlocks} (relative to the repo, for messages). */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: Lang;
  /** Opened as ```ts fragment (or ```ts fragment syntax-only): not a module by itself. */
  fragment: boolean;
  /** Opened as ```ts fragment syntax-only: only parsed, explicitly. */
  syntaxOnly: boolean;
  /** The code, the fence's indentation removed. */
  code: string;
  /**
   * What a fragment is compiled with: the page's `<!-- snippet-page-context: … -->` comments,
   * then the `<!-- snippet-context: … -->` comment right before the fence. Empty for a fragment
   * that is only syntax-checked (and for a standalone block).
   */
  context: Context[];
  /**
   * Problems with the block's markup itself (an unknown fence word, a stray or mistyped context
   * comment, a fragment with no context not marked syntax-only, a `@ts-nocheck`…), and with the
   * markup of the page around it.
   */
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

const LANGS: Record<string, Lang> = {
  ts: 'ts',
  typescript: 'ts',
  tsx: 'tsx',
  mts: 'mts',
  cts: 'cts',
};
const FLAGS = new Set(['fragment', 'syntax-only']);
const CONTEXT_OPEN = '<!-- snippet-context:';
const PAGE_CONTEXT_OPEN = '<!-- snippet-page-context:';
/** A fence word that looks like TypeScript but is not one of {@link LANGS}: an error, not skipped. */
const TS_LIKE = /^(ts|typescript|mts|cts|tsx)/i;
/** The directives that switch type-checking off, which no block may use. */
const SUPPRESSIONS = /@ts-(nocheck|ignore|expect-error)\b/g;

/** A line without its blockquote markers (`> `, `> > `…), and how many there were. */
function unquote(line: string): { depth: number; text: string } {
  let depth = 0;
  let text = line;
  for (let m = /^ {0,3}> ?/.exec(text); m; m = /^ {0,3}> ?/.exec(text)) {
    depth++;
    text = text.slice(m[0].length);
  }
  return { depth, text };
}

/** `line` without its first `depth` blockquote markers, or undefined when it has fewer. */
function unquoteTo(line: string, depth: number): string | undefined {
  let text = line;
  for (let d = 0; d < depth; d++) {
    const m = /^ {0,3}> ?/.exec(text);
    if (!m) return undefined;
    text = text.slice(m[0].length);
  }
  return text;
}

/** A problem found on a line of the page, to be reported with a block. */
interface PageProblem {
  line: number;
  message: string;
}

/**
 * Finds the ```ts, ```typescript, ```tsx, ```mts and ```cts blocks of a markdown text (in
 * blockquotes and list items too); other languages are left out. The markup is checked
 * strictly: an unknown word after the language, a suffix glued to it (`ts{3}`), a fence word
 * that looks like TypeScript but is not one of these, a `<!-- … -->` comment that mentions
 * "snippet" but is not exactly a snippet-context or snippet-page-context, a snippet-context
 * that no fragment follows, and a fragment with no context that is not marked syntax-only are
 * problems of the block (reported as failures), never silently skipped blocks.
 */
export function extractBlocks(file: string, text: string): Block[] {
  const lines = text.split(/\r?\n/);
  const blocks: Block[] = [];
  const page: Context[] = [];
  const stray: PageProblem[] = [];
  /** A well-formed snippet-context waiting for its fence. */
  let pending: { context: Context; line: number } | undefined;
  const dropPending = (): void => {
    if (pending)
      stray.push({
        line: pending.line,
        message: `line ${pending.line}: this snippet-context is not right before a \`\`\`ts fragment fence`,
      });
    pending = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const { depth, text: inner } = unquote(lines[i]);
    const open = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(inner);
    if (open && !(open[2][0] === '`' && open[3].includes('`'))) {
      const [, indent, fence, info] = open;
      const close = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
      const body: string[] = [];
      let end = i + 1;
      for (; end < lines.length; end++) {
        const line = unquoteTo(lines[end], depth);
        if (line === undefined || close.test(line)) break;
        body.push(line);
      }
      const [, lang, rest] = /^\s*([A-Za-z]*)(.*)$/.exec(info) ?? ['', '', ''];
      const kind = LANGS[lang.toLowerCase()];
      if (kind) {
        const problems: string[] = [];
        if (rest !== '' && !/^\s/.test(rest))
          problems.push(
            `"${lang}${rest.trim()}": only whitespace-separated words (${[...FLAGS].join(', ')}) ` +
              `may follow \`\`\`${lang}; a glued suffix is not understood`,
          );
        const words = rest.trim().split(/\s+/).filter(Boolean);
        if (rest === '' || /^\s/.test(rest))
          for (const word of words.filter((w) => !FLAGS.has(w)))
            problems.push(
              `unknown word "${word}" after \`\`\`${lang} (known: ${[...FLAGS].join(', ')})`,
            );
        const syntaxOnly = words.includes('syntax-only');
        const fragment = words.includes('fragment') || syntaxOnly;
        const code = body
          .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line.trimStart()))
          .join('\n');
        const own = pending?.context;
        pending = undefined;
        if (own && !fragment)
          problems.push('a snippet-context comment applies to a ```ts fragment block only');
        if (own && syntaxOnly) problems.push('a syntax-only block takes no snippet-context');
        for (const match of code.matchAll(SUPPRESSIONS))
          problems.push(
            `@ts-${match[1]} switches type-checking off; a block must compile as written`,
          );
        blocks.push({
          file,
          line: i + 1,
          lang: kind,
          fragment,
          code,
          context: own && fragment && !syntaxOnly ? [own] : [],
          problems,
          syntaxOnly,
        });
      } else {
        dropPending();
        if (TS_LIKE.test(info.trim()))
          stray.push({
            line: i + 1,
            message:
              `line ${i + 1}: \`\`\`${info.trim()} looks like TypeScript but is not a fence this ` +
              `checker knows (\`\`\`ts, typescript, tsx, mts, cts, then ${[...FLAGS].join(', ')})`,
          });
      }
      i = end;
      continue;
    }
    // outside code: HTML comments (inline code spans, which may show one, do not count)
    const prose = inner.replace(/(`+)[^`]*?\1/g, '');
    const start = prose.indexOf('<!--');
    if (start < 0) {
      if (inner.trim() !== '') dropPending();
      continue;
    }
    const head = prose.slice(0, start);
    const parts = [prose.slice(start)];
    let last = i;
    while (!parts[parts.length - 1].includes('-->') && last < lines.length - 1)
      parts.push(unquote(lines[++last]).text);
    const comment = parts.join('\n');
    if (!/snippet/i.test(comment)) {
      if (head.trim() !== '') dropPending();
      i = last;
      continue;
    }
    dropPending();
    const opener = [CONTEXT_OPEN, PAGE_CONTEXT_OPEN].find((o) => comment.startsWith(o));
    if (!opener || head.trim() !== '' || !/-->\s*$/.test(comment)) {
      stray.push({
        line: i + 1,
        message:
          `line ${i + 1}: a comment that mentions "snippet" but is not exactly ` +
          `"${CONTEXT_OPEN} … -->" or "${PAGE_CONTEXT_OPEN} … -->" (alone on its lines)`,
      });
    } else {
      const context = commentCode(comment, opener, i);
      if (opener === PAGE_CONTEXT_OPEN) page.push(context);
      else pending = { context, line: i + 1 };
    }
    i = last;
  }
  dropPending();
  for (const block of blocks) {
    if (!block.fragment) continue;
    if (!block.syntaxOnly) block.context = [...page, ...block.context];
    for (const context of block.context)
      for (const match of context.code.matchAll(SUPPRESSIONS))
        block.problems.push(
          `@ts-${match[1]} in the snippet-context of line ${context.line} switches ` +
            'type-checking off; a block must compile as written',
        );
    if (block.context.length === 0 && !block.syntaxOnly)
      block.problems.push(
        'a ```ts fragment without a snippet-context (or a page context) would only be parsed: ' +
          'give it a <!-- snippet-context: … --> comment, or mark it ```ts fragment syntax-only',
      );
  }
  for (const problem of stray) {
    const owner = blocks.find((block) => block.line > problem.line) ?? blocks[blocks.length - 1];
    if (owner) owner.problems.push(problem.message);
    else
      blocks.push({
        file,
        line: problem.line,
        lang: 'ts',
        fragment: true,
        syntaxOnly: true,
        code: '',
        context: [],
        problems: [problem.message],
      });
  }
  return blocks;
}

/** The code of a comment (its lines joined, starting on 0-based line `first`), between `open` and `-->`. */
function commentCode(body: string, open: string, first: number): Context {
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
      const stem = `${String(index).padStart(3, '0')}-${path.basename(block.file, '.md')}-${block.line}`;
      const file = path.join(scratch, `${stem}.${block.lang}`);
      const problems = [
        ...block.problems,
        ...sourceImports(block, file, root, options.conditions ?? []),
      ];
      for (const message of problems) {
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

/** The directories of the package's sources, which a block must not import from. */
const SOURCE_DIRS = ['src', 'adapters', 'contracts'];

/**
 * A problem for each import of the block (and of its contexts) that reaches the package's
 * sources: a relative or absolute path into src/, adapters/ or contracts/ (which would check the
 * block against the source instead of dist/), or, when no condition is given, a package name
 * that resolves there. A block imports `plugsocket…` as a user does.
 */
function sourceImports(
  block: Block,
  from: string,
  root: string,
  conditions: readonly string[],
): string[] {
  const inSources = (file: string): boolean =>
    SOURCE_DIRS.some((dir) => {
      const relative = path.relative(path.join(root, dir), file);
      return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
    });
  const options = snippetCompilerOptions([...conditions]);
  const problems: string[] = [];
  for (const code of [...block.context.map((context) => context.code), block.code]) {
    const info = ts.preProcessFile(code, true, true);
    for (const { fileName: specifier } of [...info.importedFiles, ...info.referencedFiles]) {
      const bare = !/^(\.|\/|file:)/.test(specifier) && !path.isAbsolute(specifier);
      let target: string | undefined;
      if (!bare) {
        try {
          target = specifier.startsWith('file:')
            ? fileURLToPath(specifier)
            : path.resolve(path.dirname(from), specifier);
        } catch {
          target = undefined;
        }
      }
      const resolved = ts.resolveModuleName(specifier, from, options, ts.sys).resolvedModule
        ?.resolvedFileName;
      const reached =
        target && inSources(target)
          ? target
          : resolved && (!bare || conditions.length === 0) && inSources(resolved)
            ? resolved
            : undefined;
      if (reached)
        problems.push(
          `'${specifier}' resolves to the package's sources (${path.relative(root, reached)}), ` +
            "not dist/: import 'plugsocket…' as a user does",
        );
    }
  }
  return problems;
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

/** Builds dist/ (`tsc -p tsconfig.build.json`, as npm run build does); true when it succeeded. */
export function buildDist(root: string = ROOT, stdio: 'inherit' | 'pipe' = 'inherit'): boolean {
  const build = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    { cwd: root, stdio },
  );
  return build.status === 0;
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
    if (!buildDist()) {
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
