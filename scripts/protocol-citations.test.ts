// Citations of docs/comfyui-protocol.md cannot rot: every `comfyui-protocol.md §N` (and `§10 item N`) in
// the code, tests and READMEs names a section heading (or a numbered item of §10) the document has, and
// the document's own `§N` cross-references do too. A citation must name the document: the old bare
// "protocol §N" pointed at a file outside the repository.
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..');
const DOC = 'docs/comfyui-protocol.md';
const SKIP_DIRS = new Set([
  'node_modules',
  '.git',
  '.output',
  '.wxt',
  '.tmp',
  'dist',
  'test-results',
  'playwright-report',
]);
const TEXT = new Set(['.ts', '.tsx', '.mts', '.mjs', '.cjs', '.js', '.md', '.sh', '.yml', '.yaml', '.html']);

interface Citation {
  section: string;
  item?: number;
}

/** Section numbers of the `##`/`###` headings (`## 2. The WebSocket` → 2, `### 2.3 ...` → 2.3), and §10's items. */
function anchorsOf(doc: string): { sections: Set<string>; items: Map<string, Set<number>> } {
  const sections = new Set<string>();
  const items = new Map<string, Set<number>>();
  let current: string | undefined;
  for (const line of doc.split('\n')) {
    const heading = /^#{2,3} (\d+(?:\.\d+)*)\.? /.exec(line);
    if (heading) {
      current = heading[1]!;
      sections.add(current);
      continue;
    }
    if (/^#{1,3} /.test(line)) current = undefined;
    const item = /^(\d+)\. /.exec(line);
    if (item && current !== undefined) {
      if (!items.has(current)) items.set(current, new Set());
      items.get(current)!.add(Number(item[1]));
    }
  }
  return { sections, items };
}

/** Comment continuations (` * `, `// `) joined, so a list of sections broken over two lines reads as one. */
function joinComments(text: string): string {
  return text.replace(/\n[ \t]*(?:\*(?!\/)|\/\/)[ \t]?/g, ' ');
}

const SECTION = /§(\d+(?:\.\d+)*)(?:\s+item\s+(\d+))?/g;

function parseList(list: string): Citation[] {
  return [...list.matchAll(SECTION)].map((m) =>
    m[2] ? { section: m[1]!, item: Number(m[2]) } : { section: m[1]! },
  );
}

/** Every section named after `comfyui-protocol.md`: `§2.3`, `§8.1, §8.4, §12`, `§2–§3`, `§10 item 18`. */
function citationsIn(text: string): Citation[] {
  const lists = joinComments(text).matchAll(
    /comfyui-protocol\.md((?:(?:,| and|–|-)?\s*§\d+(?:\.\d+)*(?:\s+item\s+\d+)?)+)/g,
  );
  return [...lists].flatMap((m) => parseList(m[1]!));
}

function label(c: Citation): string {
  return c.item === undefined ? `§${c.section}` : `§${c.section} item ${c.item}`;
}

function missing(cited: Citation[], doc: string): string[] {
  const { sections, items } = anchorsOf(doc);
  return cited
    .filter((c) => (c.item === undefined ? !sections.has(c.section) : !items.get(c.section)?.has(c.item)))
    .map(label);
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) yield* sourceFiles(join(dir, entry.name));
    } else if (TEXT.has(extname(entry.name))) {
      yield join(dir, entry.name);
    }
  }
}

const FAKE_DOC = [
  '# Title',
  '## 1. Verdicts',
  '### 1.2 Routing',
  '## 10. Pitfalls',
  '1. first',
  '2. second',
  '## 12. Measured',
  '- a bullet, not an item',
].join('\n');

describe('reading citations', () => {
  it.each<[string, string, string[]]>([
    ['one section', '// as comfyui-protocol.md §1.2 says', ['§1.2']],
    ['a list', '(comfyui-protocol.md §8.1, §8.4, §12)', ['§8.1', '§8.4', '§12']],
    ['a range', 'routing (comfyui-protocol.md §2–§3)', ['§2', '§3']],
    ['an item', '(comfyui-protocol.md §10 item 18)', ['§10 item 18']],
    ['a section and an item', '(comfyui-protocol.md §2.3, §10 item 5)', ['§2.3', '§10 item 5']],
    ['a list over two comment lines', ' * (comfyui-protocol.md §3,\n * §12: "quoted")', ['§3', '§12']],
    ['a Markdown link', '[comfyui-protocol.md §12](../docs/comfyui-protocol.md)', ['§12']],
    [
      'a Markdown line break',
      'the worker (comfyui-protocol.md\n  §12 and §10\n  item 2)',
      ['§12', '§10 item 2'],
    ],
    ['nothing without the document', 'design §4, issue 7 §2', []],
  ])('%s', (_what, text, expected) => {
    expect(citationsIn(text).map(label)).toEqual(expected);
  });

  it.each<[string, string[]]>([
    ['comfyui-protocol.md §1, §1.2, §10 item 2, §12', []],
    ['comfyui-protocol.md §1.1, §2', ['§1.1', '§2']],
    ['comfyui-protocol.md §10 item 3', ['§10 item 3']],
    ['comfyui-protocol.md §12 item 1', ['§12 item 1']],
    ['comfyui-protocol.md §1 item 1', ['§1 item 1']],
  ])('%s is missing %o from a document with §1, §1.2, §10 (items 1, 2) and §12', (text, expected) => {
    expect(missing(citationsIn(text), FAKE_DOC)).toEqual(expected);
  });
});

describe(`${DOC}`, () => {
  const doc = readFileSync(join(ROOT, DOC), 'utf8');
  const files = [...sourceFiles(ROOT)].filter((f) => relative(ROOT, f) !== DOC);
  // This file's examples cite sections that do not exist on purpose.
  const citing = files.filter((f) => f !== __filename);

  it('has every section and item the code, tests and READMEs cite', () => {
    const cited = citing.flatMap((f) => {
      const text = readFileSync(f, 'utf8');
      return missing(citationsIn(text), doc).map((m) => `${relative(ROOT, f)}: ${m}`);
    });
    expect(cited).toEqual([]);
  });

  it('is cited at all (the check above would pass on nothing)', () => {
    const count = citing.reduce((n, f) => n + citationsIn(readFileSync(f, 'utf8')).length, 0);
    expect(count).toBeGreaterThan(30);
  });

  it('has every section its own cross-references name', () => {
    expect(missing(parseList(doc), doc)).toEqual([]);
  });

  it('is named by every citation of the protocol (no bare "protocol §N")', () => {
    const bare = citing.flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/(?<!comfyui-)protocol §[\d.]+/gi)].map(
        (m) => `${relative(ROOT, f)}: ${m[0]}`,
      ),
    );
    expect(bare).toEqual([]);
  });
});
