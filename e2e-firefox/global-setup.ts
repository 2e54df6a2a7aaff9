/**
 * Runs once before the Firefox suite: fails loudly when Firefox is missing, builds the Firefox extension
 * when its build is missing or older than its sources, snapshots it for this run, and holds the
 * machine-wide lock on port 8188 (shared with the Chromium suite, benchmarks and the demo) until the end.
 */
import { join } from 'node:path';
import { ensureBuild, ROOT, snapshotBuild } from '../e2e/support/build';
import { lockPort } from '../e2e/support/port-lock';
import { assertFirefox } from './support/firefox';

export default async function globalSetup(): Promise<() => void> {
  assertFirefox();
  const log = (line: string) => console.log(`e2e-firefox setup: ${line}`);
  const release = await lockPort(8188, { log });
  try {
    ensureBuild(log, 'firefox');
    process.env.COMFYPULSE_E2E_FIREFOX_EXTENSION = snapshotBuild(
      join(ROOT, '.tmp/e2e-firefox/extension'),
      'firefox',
    );
  } catch (err) {
    release();
    throw err;
  }
  return release;
}
