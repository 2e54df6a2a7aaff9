/**
 * `@comfypulse/comfyui-sim` as a stranger gets it: packed by `npm pack`, installed from the tarball into a
 * fresh project outside the repository, and driven from there: the `comfyui-sim` bin with its flags, the
 * origin check, the jobs API and the fault routes; the README's programmatic example run verbatim; and its
 * types checked by a NodeNext consumer. Nothing of the repository is reachable from that project, so
 * a run-time file the bundle forgot to carry fails here.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { codeBlockAfter, createProject, freshDir, pack, REPO, run, startSimBin } from './support';

const README = join(REPO, 'packages/comfyui-sim/README.md');
const BIN = 'node_modules/.bin/comfyui-sim';

let work: string;
let tarball: string;
let project: string;

beforeAll(async () => {
  work = freshDir('comfyui-sim-consumer-');
  tarball = await pack('packages/comfyui-sim', work);
  project = await createProject(join(work, 'app'), [
    tarball,
    'ws@^8.23.0',
    'typescript@~5.9.3',
    '@types/node@^20.19.0',
    '@types/ws@^8.18.0',
  ]);
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A minimal valid prompt: an image, saved. */
const prompt = {
  1: { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } },
  2: { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'consumer' } },
};

describe('@comfypulse/comfyui-sim from its packed tarball, in a fresh project', () => {
  it('ships the bundle, its run-time assets and the docs, and nothing else', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''))
      .sort();
    const previews = Array.from(
      { length: 20 },
      (_, i) => `dist/assets/previews/${String(i + 1).padStart(2, '0')}.jpg`,
    );
    expect(files.filter((f) => !/^dist\/chunk-\w+\.js$/.test(f))).toEqual(
      [
        'CHANGELOG.md',
        'LICENSE',
        'README.md',
        'package.json',
        'dist/cli.js',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/assets/traceback-execution.json',
        ...previews,
      ].sort(),
    );
    const manifest = JSON.parse(
      readFileSync(join(project, 'node_modules/@comfypulse/comfyui-sim/package.json'), 'utf8'),
    );
    expect(manifest).toMatchObject({
      license: 'MIT',
      bin: { 'comfyui-sim': 'dist/cli.js' },
      engines: { node: '>=20' },
    });
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['ws', 'zod']);
  });

  it('--help lists exactly the flags the README documents', async () => {
    const r = await run(BIN, ['--help'], { cwd: project });
    expect(r.code).toBe(0);
    const table = readFileSync(README, 'utf8').split('## Options')[1]!.split('\n## ')[0]!;
    const documented = new Set(
      table
        .split('\n')
        .filter((l) => l.startsWith('| `-'))
        .flatMap((l) => [...l.split('|')[1]!.matchAll(/`(--?[a-z-]+)/g)].map((m) => m[1]!)),
    );
    const offered = new Set(
      [...r.stdout.matchAll(/^ {2}(?:(-h), )?(--[a-z-]+)/gm)].flatMap((m) => m.slice(1).filter(Boolean)),
    );
    expect([...documented].sort()).toEqual([...offered].sort());
  });

  it.each([
    [['--bogus'], 2, /comfyui-sim: unknown option --bogus/],
    [['--port', 'eighty'], 2, /comfyui-sim: port/],
    [['--time-scale', '-1'], 2, /comfyui-sim: timeScale/],
  ])('%j exits with status %i and says why', async (args, code, message) => {
    const r = await run(BIN, args, { cwd: project, timeoutMs: 20_000 });
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });

  it('serves ComfyUI 0.3.64 with the origin check, the jobs API and the fault routes', async () => {
    const sim = await startSimBin(project, ['--port', '0', '--jobs-api', '--quiet']);
    try {
      const stats = (await (await fetch(`${sim.url}/system_stats`)).json()) as {
        system: { comfyui_version: string };
      };
      expect(stats.system.comfyui_version).toBe('0.3.64');

      const foreign = await fetch(`${sim.url}/prompt`, {
        method: 'POST',
        headers: { Origin: 'http://evil.example', 'Content-Type': 'application/json' },
        body: JSON.stringify({ prompt }),
      });
      expect(foreign.status).toBe(403);

      const ws = new WebSocket(`${sim.url.replace('http', 'ws')}/ws?clientId=consumer`);
      const frames: string[] = [];
      ws.on('message', (data, isBinary) => {
        if (!isBinary) frames.push((JSON.parse(String(data)) as { type: string }).type);
      });
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const queued = await fetch(`${sim.url}/prompt`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ prompt, client_id: 'consumer' }),
      });
      expect(queued.status).toBe(200);
      const { prompt_id } = (await queued.json()) as { prompt_id: string };
      const deadline = Date.now() + 20_000;
      while (!frames.includes('execution_success') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(frames).toContain('execution_success');

      const job = (await (await fetch(`${sim.url}/api/jobs/${prompt_id}`)).json()) as { status: string };
      expect(job.status).toBe('completed');

      const closed = new Promise<number>((resolve) => ws.once('close', resolve));
      expect(await (await fetch(`${sim.url}/__sim/drop`)).json()).toEqual({ ok: true });
      expect(await closed).toBe(1006);
    } finally {
      expect(await sim.stop()).toBe(0);
    }
  }, 60_000);

  it('runs the README programmatic example verbatim: free port, queue, fault, stop', async () => {
    writeFileSync(join(project, 'example.mjs'), codeBlockAfter(README, '## Programmatic API', 'js'));
    const r = await run(process.execPath, ['example.mjs'], { cwd: project, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^200 \{\s*prompt_id: '[0-9a-f-]{36}',\s*number: 0,\s*node_errors: \{\}\s*\}$/m);
    expect(r.stdout).toMatch(/^socket closed 1006$/m);
    expect(r.stdout).toMatch(/^status .*execution_start .*progress .*preview/m);
    expect(r.stdout).toMatch(/^ended success$/m);
  }, 90_000);

  it('type-checks a NodeNext consumer of the programmatic API, skipLibCheck off', async () => {
    writeFileSync(
      join(project, 'consumer.ts'),
      `import { type Simulator, type SimulatorOptions, startSimulator } from '@comfypulse/comfyui-sim';

const options: SimulatorOptions = { port: 0, jobsApi: true, corsHeader: '', timeScale: 0.1, log: console.log };
export const sim: Simulator = await startSimulator(options);
export const queued: number = sim.state().queueRemaining;
await sim.restart({ downMs: 100 });
await sim.close();
`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022'],
          types: ['node'],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
        },
        files: ['consumer.ts'],
      }),
    );
    const r = await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], {
      cwd: project,
      timeoutMs: 120_000,
    });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 150_000);
});
