// A deployment from a clean copy, as the README describes it: build the server, copy what a deployment
// needs (package.json, package-lock.json, dist/server) into an empty folder, `npm ci --omit=dev` there
// (from the npm cache when it can), then `node dist/server/cli.mjs`. With development dependencies
// absent (no typescript, tsx or esbuild), it must create a key, serve the dashboard page and its script,
// ingest and list a job, and stop cleanly on SIGTERM.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServer } from './build';
import { type ServerProcess, startServerProcess } from './testing/process';
import { makeRecord } from './testing/records';

const run = promisify(execFile);
const repo = new URL('..', import.meta.url).pathname;

/** This process's environment without npm's per-run settings (vitest may run under `npm exec`). */
const cleanEnv = (extra: Record<string, string>) => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_'))),
  ...extra,
});

describe('a production deployment from a clean copy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cp-deploy-'));
  let server: ServerProcess | undefined;
  afterAll(() => {
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('installs with npm ci --omit=dev and serves the dashboard, its script and the API with node alone', async () => {
    await buildServer(join(dir, 'dist/server'));
    for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(repo, f), join(dir, f));
    const install = await run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: dir,
      env: cleanEnv({}),
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(install.stdout).toContain('wxt prepare skipped');
    for (const dev of ['typescript', 'tsx', 'esbuild', 'wxt', 'vitest']) {
      expect(existsSync(join(dir, 'node_modules', dev)), `${dev} is installed`).toBe(false);
    }

    const env = cleanEnv({ PGLITE_DIR: join(dir, 'data'), PORT: '0', HOST: '127.0.0.1' });
    const created = await run(
      process.execPath,
      ['dist/server/cli.mjs', 'keys', 'create', 'ops', '--scopes', 'read,ingest'],
      {
        cwd: dir,
        env,
      },
    );
    const token = created.stdout.split('\n').find((l) => l.startsWith('cpk_'))!;
    expect(token).toMatch(/^cpk_/);

    server = await startServerProcess(process.execPath, ['dist/server/cli.mjs'], { cwd: dir, env });
    const { url } = server;

    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="/dashboard.js">');
    const script = await fetch(`${url}/dashboard.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    const js = await script.text();
    expect(js).toContain('EventSource');
    // Plain JavaScript a browser can load: node's parser accepts it as a module.
    writeFileSync(join(dir, 'dashboard-check.mjs'), js);
    await run(process.execPath, ['--check', join(dir, 'dashboard-check.mjs')]);
    expect(readFileSync(join(dir, 'dist/server/public/dashboard.js'), 'utf8')).toBe(js);

    const record = makeRecord();
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const ingested = await fetch(`${url}/v1/ingest`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ records: [record] }),
    });
    expect(await ingested.json()).toEqual({ accepted: 1, applied: 1, results: [{ status: 'applied' }] });
    const list = await (await fetch(`${url}/v1/jobs`, { headers: auth })).json();
    expect(list.jobs.map((j: { promptId: string }) => j.promptId)).toEqual([record.promptId]);

    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.output()).toMatch(/SIGTERM: shutting down\nstopped/);
    expect(existsSync(join(dir, 'data', 'comfypulse.lock'))).toBe(false);
  }, 300_000);
});
