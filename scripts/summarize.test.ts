// The summary CI reads cannot be green by accident: each way a suite can fail without a failed test is
// counted as a failure (table below), and a clean run adds up to the right line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script without types
import { summarize } from './summarize.mjs';

type Files = Record<string, unknown>;

const vitestReport = (passed: number, failed = 0, skipped = 0, testResults: unknown[] = []) => ({
  numPassedTests: passed,
  numFailedTests: failed,
  numPendingTests: skipped,
  numTodoTests: 0,
  success: failed === 0,
  testResults,
});
const playwrightReport = (expected: number, unexpected = 0, skipped = 0, errors: unknown[] = []) => ({
  stats: { expected, unexpected, skipped, flaky: 0 },
  errors,
});
const noErrors = { reason: 'passed', errors: [] };

const CASES: [string, Files, { passed: number; failed: number; skipped: number; says?: RegExp }][] = [
  [
    'a clean run',
    {
      'check-lint.passed': '',
      'suite-unit.exit': 0,
      'suite-unit.vitest.json': vitestReport(10, 0, 2),
      'suite-unit.errors.json': noErrors,
      'suite-e2e.exit': 0,
      'suite-e2e.playwright.json': playwrightReport(5, 0, 1),
    },
    { passed: 16, failed: 0, skipped: 3 },
  ],
  [
    'an unhandled rejection while every test passed',
    {
      'suite-unit.exit': 1,
      'suite-unit.vitest.json': vitestReport(10),
      'suite-unit.errors.json': { reason: 'passed', errors: [{ name: 'Error', message: 'planted' }] },
    },
    { passed: 10, failed: 1, skipped: 0, says: /error outside tests: Error: planted/ },
  ],
  [
    'a .only that Vitest refused under CI (every test skipped)',
    {
      'suite-unit.exit': 1,
      'suite-unit.vitest.json': vitestReport(0, 0, 2),
      'suite-unit.errors.json': {
        reason: 'failed',
        errors: [{ name: 'Error', message: '[Vitest] Unexpected .only modifier.', where: 'a.test.ts > x' }],
      },
    },
    { passed: 0, failed: 1, skipped: 2, says: /a\.test\.ts > x: Error: \[Vitest\] Unexpected \.only/ },
  ],
  [
    'a test file that failed with no failed test, without the errors reporter',
    {
      'suite-unit.exit': 1,
      'suite-unit.vitest.json': vitestReport(3, 0, 0, [
        { name: '/r/a.test.ts', status: 'failed', message: 'boom', assertionResults: [] },
        { name: '/r/b.test.ts', status: 'passed', message: '', assertionResults: [{ status: 'passed' }] },
      ]),
    },
    { passed: 3, failed: 1, skipped: 0, says: /a\.test\.ts failed outside its tests: boom/ },
  ],
  [
    'a non-zero exit with nothing to show for it',
    { 'suite-unit.exit': 1, 'suite-unit.vitest.json': vitestReport(4), 'suite-unit.errors.json': noErrors },
    { passed: 4, failed: 1, skipped: 0, says: /exited with code 1 although no test failed/ },
  ],
  [
    'a Vitest suite that ran no test',
    { 'suite-unit.exit': 0, 'suite-unit.vitest.json': vitestReport(0), 'suite-unit.errors.json': noErrors },
    { passed: 0, failed: 1, skipped: 0, says: /\(unit\): ran no test/ },
  ],
  [
    'a Playwright suite that ran no test',
    { 'suite-e2e.exit': 0, 'suite-e2e.playwright.json': playwrightReport(0) },
    { passed: 0, failed: 1, skipped: 0, says: /\(e2e\): ran no test/ },
  ],
  [
    'Playwright refusing a .only (forbidOnly) and a global setup error',
    {
      'suite-e2e.exit': 1,
      'suite-e2e.playwright.json': playwrightReport(0, 0, 0, [
        { message: "Error: item focused with '.only' is not allowed due to the 'forbidOnly' option" },
        { message: 'Error: port 8188 is taken by python3 (pid 7)\n    at globalSetup' },
      ]),
    },
    { passed: 0, failed: 3, skipped: 0, says: /forbidOnly/ },
  ],
  [
    'a suite that left no report',
    { 'suite-e2e.exit': 137 },
    { passed: 0, failed: 1, skipped: 0, says: /\(e2e\): left no report \(exit code 137\)/ },
  ],
  [
    'a failed check',
    { 'check-lint.failed': '', 'check-typecheck.passed': '' },
    { passed: 1, failed: 1, skipped: 0, says: /^FAILED: lint$/ },
  ],
];

describe('summarize', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each(CASES)('%s', (_name, files, expected) => {
    dir = mkdtempSync(join(tmpdir(), 'comfypulse-summary-'));
    for (const [name, content] of Object.entries(files))
      writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
    const s = summarize(dir) as { passed: number; failed: number; skipped: number; lines: string[] };
    expect({ passed: s.passed, failed: s.failed, skipped: s.skipped }).toEqual({
      passed: expected.passed,
      failed: expected.failed,
      skipped: expected.skipped,
    });
    expect(s.lines.at(-1)).toBe(
      `${expected.passed} passed, ${expected.failed} failed, ${expected.skipped} skipped`,
    );
    if (expected.says) expect(s.lines.some((l) => expected.says!.test(l))).toBe(true);
  });
});
