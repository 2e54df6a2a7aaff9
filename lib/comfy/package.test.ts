/**
 * `@comfypulse/comfy` must be publishable from this folder alone: every entry point of `exports` is
 * built by the `build` script and declared for tsc, `files` ships what `exports` points at, and the
 * built bundle imports nothing but its declared dependencies. Then the bundle really runs: Node imports
 * it and a ComfyClient built from it connects to the simulator with `ws`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startSimulator } from '../../sim';

const root = fileURLToPath(new URL('.', import.meta.url));
const repoNodeModules = fileURLToPath(new URL('../../node_modules', import.meta.url));

interface PackageJson {
  name: string;
  type: string;
  exports: Record<string, string | { types: string; import: string }>;
  files: string[];
  scripts: { build: string };
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as { files: string[] };

/** The esbuild half of the build script: entry points and the flags that shape the output. */
const esbuildCommand = pkg.scripts.build.split('&&')[0]!.trim().split(/\s+/);
const entryPoints = esbuildCommand.filter((a) => a.endsWith('.ts'));
const flag = (name: string) => esbuildCommand.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const externals = esbuildCommand.filter((a) => a.startsWith('--external:')).map((a) => a.slice(11));

/** `./dist/testing/index.js` -> `testing/index.ts`. */
const sourceOf = (distPath: string) => distPath.replace(/^\.\/dist\//, '').replace(/\.(d\.ts|js)$/, '.ts');

const codeExports = Object.entries(pkg.exports).filter(
  (e): e is [string, { types: string; import: string }] => typeof e[1] === 'object',
);

describe('the npm package manifest', () => {
  it('is an ES module package shipping dist and its README', () => {
    expect(pkg.name).toBe('@comfypulse/comfy');
    expect(pkg.type).toBe('module');
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'README.md']));
    expect(existsSync(join(root, 'README.md'))).toBe(true);
    expect(codeExports.map(([k]) => k).sort()).toEqual(['.', './react', './testing']);
  });

  it.each(codeExports)('export %s is built by the script, declared by tsc, and shipped', (_key, target) => {
    for (const path of [target.import, target.types]) expect(path.startsWith('./dist/')).toBe(true);
    const source = sourceOf(target.import);
    expect(sourceOf(target.types)).toBe(source);
    expect(existsSync(join(root, source))).toBe(true);
    expect(entryPoints).toContain(source);
    expect(tsconfig.files).toContain(source);
  });

  it('builds no entry point that is not exported', () => {
    expect([...entryPoints].sort()).toEqual(codeExports.map(([, t]) => sourceOf(t.import)).sort());
  });

  it('keeps zod and react external, and declares both', () => {
    expect(externals.sort()).toEqual(['react', 'zod']);
    expect(Object.keys(pkg.dependencies)).toEqual(['zod']);
    expect(Object.keys(pkg.peerDependencies)).toEqual(['react']);
  });
});

describe('the built bundle', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'comfy-package-'));
  // The bundle resolves its externals as an installed package would: from a node_modules beside it.
  symlinkSync(repoNodeModules, join(outdir, 'node_modules'), 'dir');
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('builds with the script flags, imports only declared packages, and runs in Node with ws', async () => {
    const result = await build({
      absWorkingDir: root,
      entryPoints,
      bundle: true,
      splitting: esbuildCommand.includes('--splitting'),
      format: flag('format') as 'esm',
      platform: flag('platform') as 'neutral',
      target: flag('target'),
      outdir: join(outdir, 'dist'),
      external: externals,
      metafile: true,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);

    const imported = new Set<string>();
    for (const [file, out] of Object.entries(result.metafile.outputs)) {
      if (!file.endsWith('.js')) continue;
      for (const i of out.imports) if (i.external) imported.add(i.path);
    }
    for (const spec of imported) expect(['zod', 'react']).toContain(spec);
    // Every input is a file of this folder: nothing from the app or the repository leaks in.
    for (const input of Object.keys(result.metafile.inputs)) expect(input).not.toMatch(/^\.\.\//);

    const lib = (await import(pathToFileURL(join(outdir, 'dist/index.js')).href)) as typeof import('./index');
    const testing = (await import(
      pathToFileURL(join(outdir, 'dist/testing/index.js')).href
    )) as typeof import('./testing');
    expect(typeof testing.FakeWebSocket).toBe('function');

    const sim = await startSimulator({ port: 0 });
    const client = new lib.ComfyClient({
      url: sim.url,
      clientId: 'package-test',
      WebSocket,
    });
    try {
      const deadline = Date.now() + 10_000;
      while (client.connectionState !== 'connected' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(client.connectionState).toBe('connected');
      expect(await client.http.queue()).toEqual({ running: [], pending: [] });
    } finally {
      client.close();
      await sim.close();
    }
  });
});
