// A Vitest reporter that writes every error Vitest saw outside a test to the file named by
// COMFYPULSE_VITEST_ERRORS: unhandled errors and rejections, and errors of a test file or suite (a file that
// does not load, a throwing beforeAll, a `.only` refused under CI). Vitest's JSON report leaves them out
// (its `success` field ignores unhandled errors), so without this a run could read green while Vitest itself
// said it failed. scripts/summarize.mjs counts each one as a failure.

import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';

const entry = (e, where) => ({
  name: String(e?.name ?? 'Error'),
  message: String(e?.message ?? e).split('\n')[0],
  ...(where && { where }),
});

export default class RunErrorsReporter {
  onTestRunEnd(testModules, unhandledErrors, reason) {
    const file = process.env.COMFYPULSE_VITEST_ERRORS;
    if (!file) return;
    const errors = unhandledErrors.map((e) => entry(e));
    for (const m of testModules) {
      const where = relative(process.cwd(), m.moduleId);
      for (const e of m.errors()) errors.push(entry(e, where));
      for (const s of m.children.allSuites())
        for (const e of s.errors()) errors.push(entry(e, `${where} > ${s.name}`));
    }
    writeFileSync(file, JSON.stringify({ reason, errors }));
  }
}
