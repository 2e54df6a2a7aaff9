// Adds up every suite's results into the one line CI reads: "N passed, N failed, N skipped".
// A suite that was expected but left no report counts as one failure, so a crash can never read as green.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
let passed = 0;
let failed = 0;
let skipped = 0;

for (const f of readdirSync(dir)) {
  if (f.startsWith('check-')) {
    if (f.endsWith('.passed')) passed++;
    else if (f.endsWith('.failed')) {
      failed++;
      console.log(`FAILED: ${f.slice(6, -7)}`);
    }
  }
}

const vitest = join(dir, 'vitest.json');
if (existsSync(vitest)) {
  const r = JSON.parse(readFileSync(vitest, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  // A test file that fails to load has no tests in it; count it so that it cannot vanish.
  for (const s of r.testResults ?? []) {
    if (s.status === 'failed' && (s.assertionResults ?? []).length === 0) {
      failed++;
      console.log(`FAILED (suite did not load): ${s.name}`);
    }
  }
} else {
  failed++;
  console.log('FAILED: vitest left no report');
}

for (const [config, report] of [
  ['playwright.config.ts', 'playwright.json'],
  ['e2e-firefox/playwright.config.ts', 'playwright-firefox.json'],
]) {
  if (!existsSync(config)) continue;
  const pw = join(dir, report);
  if (existsSync(pw)) {
    const r = JSON.parse(readFileSync(pw, 'utf8'));
    passed += r.stats.expected + (r.stats.flaky ?? 0);
    failed += r.stats.unexpected;
    skipped += r.stats.skipped;
    for (const e of r.errors ?? []) {
      failed++;
      console.log(`FAILED (${report}): ${String(e.message).split('\n')[0]}`);
    }
  } else {
    failed++;
    console.log(`FAILED: ${config} left no report`);
  }
}

console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
