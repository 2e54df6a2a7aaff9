// `biome ci` fails on a focused test in any form a runner honours, and does not flag look-alikes. Each probe
// is linted in a throwaway copy of the project's lint setup (biome.json and its plugin), so a probe file
// can never be left behind in the source tree.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..');
let project = '';

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'comfypulse-lint-'));
  const config = JSON.parse(readFileSync(join(ROOT, 'biome.json'), 'utf8'));
  config.vcs = { enabled: false };
  writeFileSync(join(project, 'biome.json'), JSON.stringify(config));
  for (const plugin of config.plugins as string[]) {
    mkdirSync(dirname(join(project, plugin)), { recursive: true });
    cpSync(join(ROOT, plugin), join(project, plugin));
  }
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

function lint(source: string, path = 'lib/probe.test.ts') {
  mkdirSync(dirname(join(project, path)), { recursive: true });
  writeFileSync(join(project, path), source);
  const r = spawnSync(join(ROOT, 'node_modules/.bin/biome'), ['lint', '--colors=off', path], {
    cwd: project,
    encoding: 'utf8',
  });
  rmSync(join(project, path));
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('lint: focused tests', () => {
  it.each([
    ["describe.only('a', () => {});"],
    ["it.only('a', () => {});"],
    ["test.only('a', () => {});"],
    ["test.describe.only('a', () => {});"],
    ["describe.concurrent.only('a', () => {});"],
    ["it.only.each([1])('a', () => {});"],
    ["test.describe.parallel.only('a', () => {});"],
    ["base.only('a', () => {});"],
    ["test\n  .only('a', () => {});"],
  ])('fails on %j', (call) => {
    const r = lint(`${call}\n`);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/noFocusedTests|focused test/);
  });

  it('fails in a Playwright spec too', () => {
    const r = lint("test.describe.only('a', () => {});\n", 'e2e/probe.spec.ts');
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/noFocusedTests|focused test/);
  });

  it('passes plain tests, other methods named like it, and strings that mention it', () => {
    const r = lint(
      "test('a', () => {});\nconst only = { onlyOnce: () => 1 };\nonly.onlyOnce();\nit.each([['x.only()']])('b', () => {});\n",
    );
    expect(r.output).not.toMatch(/noFocusedTests|focused test/);
    expect(r.status).toBe(0);
  });
});
