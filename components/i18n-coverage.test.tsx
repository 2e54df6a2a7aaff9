/**
 * No component hard-codes a user-visible string: every JSX text and every user-visible attribute literal
 * (alt, title, placeholder, aria-label) in the UI sources must be free of words; words come from
 * `i18n.t(...)`. Every `ui_` key used exists in English and in pt-BR with the same substitutions, and every
 * `ui_` key in the locale files is used.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMessages } from '@/lib/ext/ui/testing';

const ROOT = resolve(__dirname, '..');
const UI_DIRS = [
  'components',
  'entrypoints/popup',
  'entrypoints/sidepanel',
  'entrypoints/options',
  'lib/ext/ui',
];
const VISIBLE_ATTRS = new Set(['alt', 'title', 'placeholder', 'aria-label', 'label', 'value-label']);
/** A literal with a letter in it (any script) is a word; punctuation, digits and URLs are not. */
const WORDY = /\p{L}{2,}/u;
const URL_LIKE = /^[a-z]+:\/\/\S+$/i;

function uiSources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) && !name.startsWith('testing'))
        out.push(p);
    }
  };
  for (const d of UI_DIRS) walk(join(ROOT, d));
  return out;
}

interface Finding {
  file: string;
  line: number;
  text: string;
}

function scan(file: string, text = readFileSync(file, 'utf8')): { literals: Finding[]; keys: Set<string> } {
  const src = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const literals: Finding[] = [];
  const keys = new Set<string>();
  const at = (n: ts.Node, text: string) =>
    literals.push({
      file: relative(ROOT, file),
      line: src.getLineAndCharacterOfPosition(n.getStart()).line + 1,
      text,
    });
  const visit = (n: ts.Node) => {
    if (ts.isJsxText(n) && WORDY.test(n.text)) at(n, n.text.trim());
    if (ts.isJsxAttribute(n) && n.initializer) {
      const name = n.name.getText(src);
      const init = n.initializer;
      const literal = ts.isStringLiteral(init)
        ? init.text
        : ts.isJsxExpression(init) && init.expression && ts.isStringLiteralLike(init.expression)
          ? init.expression.text
          : undefined;
      if (
        literal !== undefined &&
        VISIBLE_ATTRS.has(name) &&
        WORDY.test(literal) &&
        !URL_LIKE.test(literal)
      ) {
        at(n, `${name}="${literal}"`);
      }
    }
    // {'Some words'} as a JSX child
    if (
      ts.isJsxExpression(n) &&
      n.expression &&
      ts.isStringLiteralLike(n.expression) &&
      ts.isJsxElement(n.parent)
    ) {
      if (WORDY.test(n.expression.text)) at(n, n.expression.text);
    }
    if (
      ts.isCallExpression(n) &&
      n.expression.getText(src) === 'i18n.t' &&
      n.arguments[0] &&
      ts.isStringLiteralLike(n.arguments[0])
    ) {
      keys.add(n.arguments[0].text);
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
  return { literals, keys };
}

function substitutions(message: string): number {
  let max = 0;
  for (const m of message.matchAll(/\$(\d)/g)) max = Math.max(max, Number(m[1]));
  return max;
}

let en: Record<string, { message: string }>;
let pt: Record<string, { message: string }>;
const files = uiSources();
const scans = files.map((f) => scan(f));
const usedKeys = new Set(scans.flatMap((s) => [...s.keys]));

beforeAll(async () => {
  en = await loadMessages('en');
  pt = await loadMessages('pt-BR');
});

describe('i18n coverage of the UI', () => {
  it('scans the UI sources', () => {
    expect(files.length).toBeGreaterThan(15);
    expect(usedKeys.size).toBeGreaterThan(50);
  });

  it('has no hard-coded words in JSX text or visible attributes', () => {
    expect(scans.flatMap((s) => s.literals)).toEqual([]);
  });

  it('finds a hard-coded string when there is one (the scanner can fail)', () => {
    const probe = 'export const A = () => <p title="Hello there">Hard coded {"also words"}</p>;';
    expect(scan(join(ROOT, 'probe.tsx'), probe).literals.map((l) => l.text)).toEqual([
      'title="Hello there"',
      'Hard coded',
      'also words',
    ]);
  });

  it('uses only keys that exist in English and pt-BR with the same substitutions', () => {
    const missing: string[] = [];
    for (const key of usedKeys) {
      const e = en[key];
      const p = pt[key];
      if (!e) missing.push(`en:${key}`);
      if (!p) missing.push(`pt-BR:${key}`);
      if (e && p && substitutions(e.message) !== substitutions(p.message))
        missing.push(`substitutions:${key}`);
    }
    expect(missing).toEqual([]);
  });

  it('translates every ui_ key into pt-BR and leaves none unused', () => {
    const enUi = Object.keys(en).filter((k) => k.startsWith('ui_'));
    const ptUi = Object.keys(pt).filter((k) => k.startsWith('ui_'));
    expect(ptUi.sort()).toEqual(enUi.sort());
    expect(enUi.filter((k) => !usedKeys.has(k))).toEqual([]);
  });
});
