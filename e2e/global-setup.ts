/**
 * Runs once before the e2e suite: fails loudly when Chromium is missing, builds the extension when its
 * build is missing or older than its sources, snapshots it for this run (see support/build.ts), and holds
 * the machine-wide lock on port 8188 until the run ends. When something other than our runs holds 8188
 * (the user's own ComfyUI), it stops at once with one line that names that process.
 */
import { join } from 'node:path';
import { assertChromium, ensureBuild, ROOT, snapshotBuild } from './support/build';
import { assertPortFree, lockPort } from './support/port-lock';

export default async function globalSetup(): Promise<() => void> {
  assertChromium();
  const release = await lockPort(8188, { log: (line) => console.log(`e2e setup: ${line}`) });
  try {
    await assertPortFree(
      8188,
      "the e2e suite runs its ComfyUI simulator there, the extension's preconfigured server",
    );
    ensureBuild((line) => console.log(`e2e setup: ${line}`));
    process.env.COMFYPULSE_E2E_EXTENSION = snapshotBuild(join(ROOT, '.tmp/e2e/extension'));
  } catch (err) {
    release();
    throw err;
  }
  return release;
}
