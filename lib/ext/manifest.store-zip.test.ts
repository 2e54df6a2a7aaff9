/**
 * `npm run zip` makes the package uploaded to the Chrome Web Store. The store refuses a manifest with
 * `key`; the development and e2e builds keep theirs (a fixed id). This runs the real command and reads
 * the real zip.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { RELAY_SCRIPT, TAP_SCRIPT } from './background/bridge-scripts';

const ROOT = resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const ZIP = join(ROOT, `.output/comfypulse-${pkg.version}-chrome.zip`);

/** Everything a packaged file may be: built pages, scripts and styles, messages and icons. */
const SHIPPED = [
  /^manifest\.json$/,
  /^[a-z]+\.html$/,
  /^background\.js$/,
  /^(chunks|content-scripts)\/[\w-]+\.js$/,
  /^assets\/[\w-]+\.css$/,
  // Web Workers the offscreen document starts (the timelapse encoder)
  /^assets\/[\w-]+\.worker-[\w-]+\.js$/,
  /^_locales\/[A-Za-z_]+\/messages\.json$/,
  /^icon\/\d+\.png$/,
];

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Uint8Array): [number, number] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  expect(String.fromCharCode(...bytes.subarray(12, 16))).toBe('IHDR');
  return [view.getUint32(16), view.getUint32(20)];
}

let files: Record<string, Uint8Array>;
let manifest: Record<string, unknown>;

beforeAll(() => {
  // Without Vitest's NODE_ENV=test, as a user's shell runs it
  const { NODE_ENV: _, ...env } = process.env;
  execFileSync('npm', ['run', 'zip'], { cwd: ROOT, env, stdio: 'pipe' });
  files = unzipSync(readFileSync(ZIP));
  manifest = JSON.parse(new TextDecoder().decode(files['manifest.json']));
}, 240_000);

describe('npm run zip (the Chrome Web Store package)', () => {
  it('has no key, and the version of package.json', () => {
    expect(manifest).not.toHaveProperty('key');
    expect(manifest.manifest_version).toBe(3);
    expect(manifest.version).toBe(pkg.version);
  });

  it.each([16, 32, 48, 128])('has a %i px icon', (size) => {
    const path = (manifest.icons as Record<string, string>)[String(size)];
    expect(path).toBeDefined();
    expect(pngSize(files[path!]!)).toEqual([size, size]);
  });

  it('holds only what the extension loads, everything its manifest names, and the bridge it registers', () => {
    const unexpected = Object.keys(files).filter((f) => !SHIPPED.some((re) => re.test(f)));
    expect(unexpected).toEqual([]);
    const named = [
      (manifest.background as { service_worker: string }).service_worker,
      (manifest.action as { default_popup: string }).default_popup,
      (manifest.side_panel as { default_path: string }).default_path,
      (manifest.options_ui as { page: string }).page,
      // registered at runtime for configured servers only, so the manifest lists no content script
      TAP_SCRIPT,
      RELAY_SCRIPT,
    ];
    expect(manifest).not.toHaveProperty('content_scripts');
    expect(named.filter((f) => !(f in files))).toEqual([]);
  });
});
