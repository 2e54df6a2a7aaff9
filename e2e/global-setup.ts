/**
 * Runs once before the e2e suite: fails loudly when Chromium is missing, builds the extension when its
 * build is missing or older than its sources, and snapshots it for this run (see support/build.ts).
 */
import { join } from 'node:path';
import { assertChromium, ensureBuild, ROOT, snapshotBuild } from './support/build';

export default function globalSetup(): void {
  assertChromium();
  ensureBuild((line) => console.log(`e2e setup: ${line}`));
  process.env.COMFYPULSE_E2E_EXTENSION = snapshotBuild(join(ROOT, '.tmp/e2e/extension'));
}
