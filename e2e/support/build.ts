/**
 * Locating and (re)building the unpacked extension that the e2e specs, the benchmarks and the demo load.
 *
 * The build is copied to a private folder before a run: other engineers rebuild `.output/chrome-mv3` while
 * a run is in progress, and Chromium reads extension files lazily, so loading the shared folder directly
 * would mix two builds in one browser.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The build folder per browser (`npx wxt build` / `npx wxt build -b firefox`). */
export const BUILD_DIRS = {
  chrome: join(ROOT, '.output/chrome-mv3'),
  firefox: join(ROOT, '.output/firefox-mv2'),
} as const;
export type BuildTarget = keyof typeof BUILD_DIRS;
export const BUILD_DIR = BUILD_DIRS.chrome;
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Everything that goes into the extension bundle; a change to any of these makes the build stale. */
const SOURCES = [
  'entrypoints',
  'components',
  'lib',
  'locales',
  'public',
  'assets',
  'wxt.config.ts',
  'package.json',
];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry.endsWith('.test.ts') || entry.endsWith('.test.tsx')) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

export function buildIsStale(target: BuildTarget = 'chrome'): boolean {
  const manifest = join(BUILD_DIRS[target], 'manifest.json');
  if (!existsSync(manifest)) return true;
  const built = statSync(manifest).mtimeMs;
  return SOURCES.some((s) => newestMtime(join(ROOT, s)) > built);
}

/** Fails with a message that says what to do; a missing browser must never read as a passing suite. */
export function assertChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}. Install it with "apt-get install -y chromium" (scripts/setup.sh does) ` +
        'or set CHROMIUM_PATH. Never "npx playwright install": the e2e suite runs on Debian Chromium.',
    );
  }
}

/** Builds the extension when missing or older than its sources; returns the build folder. */
export function ensureBuild(log: (line: string) => void = () => {}, target: BuildTarget = 'chrome'): string {
  const dir = BUILD_DIRS[target];
  const args = target === 'chrome' ? ['wxt', 'build'] : ['wxt', 'build', '-b', target];
  if (buildIsStale(target)) {
    log(`building the extension (npx ${args.join(' ')})...`);
    execFileSync('npx', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  }
  if (!existsSync(join(dir, 'manifest.json'))) {
    throw new Error(`The extension build is missing: ${dir}/manifest.json (run "npx ${args.join(' ')}").`);
  }
  return dir;
}

/** Copies the build to `dest` so that a concurrent rebuild cannot change the files under a running browser. */
export function snapshotBuild(dest: string, target: BuildTarget = 'chrome'): string {
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dirname(dest), { recursive: true });
  cpSync(BUILD_DIRS[target], dest, { recursive: true });
  if (!existsSync(join(dest, 'manifest.json'))) throw new Error(`Copying the build to ${dest} failed`);
  return dest;
}
