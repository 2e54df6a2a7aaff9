// Adds up every suite's results into the one line CI reads: "N passed, N failed, N skipped".
//
// Nothing reads as green by accident. For each suite (`suite-NAME.exit` + `suite-NAME.FORMAT.json`, written by
// scripts/test-all.sh) one more failure is counted when:
// - it left no report (it crashed, or never started);
// - it reported an error outside any test (an unhandled rejection, a `.only` refused under CI, a global
//   setup that threw), once per error;
// - a test file failed to load (it has no tests to fail);
// - it ran no test at all;
// - its command exited non-zero although nothing above explains it.
// A `check-NAME.passed|failed` marker (lint, typecheck, build) counts as one test.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Per report format: the counts, and the errors outside tests. */
const FORMATS = {
  vitest(report, dir, name) {
    // The run-errors reporter saw every error outside a test; without its file, a test file that failed
    // with no failed test in it is the trace such an error leaves in the JSON report.
    const errorsFile = join(dir, `suite-${name}.errors.json`);
    const outside = existsSync(errorsFile)
      ? JSON.parse(readFileSync(errorsFile, 'utf8')).errors.map(
          (e) => `${e.where ? `${e.where}: ` : ''}${e.name}: ${e.message}`,
        )
      : (report.testResults ?? [])
          .filter(
            (s) => s.status === 'failed' && !(s.assertionResults ?? []).some((a) => a.status === 'failed'),
          )
          .map(
            (s) => `${s.name} failed outside its tests${s.message ? `: ${s.message.split('\n')[0]}` : ''}`,
          );
    return {
      passed: report.numPassedTests,
      failed: report.numFailedTests,
      skipped: report.numPendingTests + (report.numTodoTests ?? 0),
      outside,
    };
  },
  playwright(report) {
    return {
      passed: report.stats.expected + (report.stats.flaky ?? 0),
      failed: report.stats.unexpected,
      skipped: report.stats.skipped,
      outside: (report.errors ?? []).map((e) => String(e.message ?? e).split('\n')[0]),
    };
  },
};

export function summarize(dir) {
  const lines = [];
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const files = readdirSync(dir).sort();

  for (const f of files) {
    const m = /^check-(.+)\.(passed|failed)$/.exec(f);
    if (!m) continue;
    if (m[2] === 'passed') passed++;
    else {
      failed++;
      lines.push(`FAILED: ${m[1]}`);
    }
  }

  for (const f of files) {
    const m = /^suite-(.+)\.exit$/.exec(f);
    if (!m) continue;
    const name = m[1];
    const exit = Number(readFileSync(join(dir, f), 'utf8').trim());
    const reportFile = files.find(
      (r) => r.startsWith(`suite-${name}.`) && /\.(\w+)\.json$/.test(r) && !r.endsWith('.errors.json'),
    );
    const format = reportFile && /\.(\w+)\.json$/.exec(reportFile)[1];
    const fail = (why) => {
      failed++;
      lines.push(`FAILED (${name}): ${why}`);
    };
    if (!reportFile || !FORMATS[format]) {
      fail(`left no report (exit code ${exit})`);
      continue;
    }
    let r;
    try {
      r = FORMATS[format](JSON.parse(readFileSync(join(dir, reportFile), 'utf8')), dir, name);
    } catch (err) {
      fail(`its report could not be read: ${err.message}`);
      continue;
    }
    passed += r.passed;
    failed += r.failed;
    skipped += r.skipped;
    for (const e of r.outside) fail(`error outside tests: ${e}`);
    const ran = r.passed + r.failed + r.skipped;
    if (ran === 0) fail('ran no test');
    if (exit !== 0 && r.failed === 0 && r.outside.length === 0 && ran > 0)
      fail(`exited with code ${exit} although no test failed`);
    lines.push(`${name}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
  }

  lines.push(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  return { passed, failed, skipped, lines };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { failed, lines } = summarize(process.argv[2]);
  for (const l of lines) console.log(l);
  process.exit(failed > 0 ? 1 : 0);
}
