/**
 * `@comfypulse/comfy` as a stranger gets it: packed by `npm pack`, installed from the tarball into a fresh
 * project outside the repository, then type-checked there (NodeNext and Bundler resolution, skipLibCheck
 * off, ws's and the DOM's WebSocket passed without a cast), the README quick start run verbatim against
 * the simulator installed from its own packed tarball, and a Vite React app built on the `/react` entry.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeBlockAfter, createProject, freshDir, pack, REPO, run, startSimBin } from './support';

const README = join(REPO, 'lib/comfy/README.md');

let work: string;
let project: string;

beforeAll(async () => {
  work = freshDir('comfy-consumer-');
  const comfy = await pack('lib/comfy', work);
  const sim = await pack('packages/comfyui-sim', work);
  project = await createProject(join(work, 'app'), [
    comfy,
    sim,
    'ws@^8.23.0',
    'typescript@~5.9.3',
    '@types/node@^20.19.0',
    '@types/ws@^8.18.0',
    'react@^19.3.1',
    'react-dom@^19.3.1',
    '@types/react@^19.2.0',
    '@types/react-dom@^19.2.0',
    'vite@^8.3.8',
    '@vitejs/plugin-react@^6.3.0',
  ]);
}, 900_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const file = (name: string, text: string) => writeFileSync(join(project, name), text);

describe('@comfypulse/comfy from its packed tarball, in a fresh project', () => {
  it('installs with zod as its only dependency, and no repository file in it', () => {
    const installed = join(project, 'node_modules/@comfypulse/comfy');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      license: string;
    };
    expect(Object.keys(manifest.dependencies)).toEqual(['zod']);
    expect(manifest.license).toBe('MIT');
    expect(readdirSync(installed).sort()).toEqual([
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'dist',
      'package.json',
    ]);
    expect(existsSync(join(project, 'node_modules/zod/package.json'))).toBe(true);
  });

  const configs = {
    // A Node program: no DOM library at all, ws's WebSocket.
    'NodeNext, Node only': {
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022'], types: ['node'] },
      files: ['node-consumer.ts'],
    },
    // A bundled app (Vite): both WebSockets, the React entry and the README component.
    'Bundler with the DOM and React': {
      compilerOptions: {
        module: 'ESNext',
        moduleResolution: 'Bundler',
        lib: ['ES2022', 'DOM', 'DOM.Iterable'],
        types: ['node'],
        jsx: 'react-jsx',
      },
      files: ['node-consumer.ts', 'dom-consumer.ts', 'src/Jobs.tsx', 'src/main.tsx'],
    },
  };

  it.each(Object.entries(configs))(
    'type-checks under %s, skipLibCheck off, without a cast',
    async (name, config) => {
      file(
        'node-consumer.ts',
        `import { BadWorkflow, ComfyClient, isTerminal, type JobState, type WebSocketCtor } from '@comfypulse/comfy';
import { useComfyJobs } from '@comfypulse/comfy/react';
import { FakeWebSocket } from '@comfypulse/comfy/testing';
import WebSocket from 'ws';

export const client = new ComfyClient({ url: 'http://127.0.0.1:8188', clientId: 'c1', WebSocket, autoConnect: false });
export const ctor: WebSocketCtor = WebSocket;
export const fake = new ComfyClient({ url: 'http://127.0.0.1:8188', WebSocket: FakeWebSocket, autoConnect: false });
export const ended: JobState[] = Object.values(client.getJobs()).filter((j) => isTerminal(j.status));
export const why = (e: unknown): string => (e instanceof BadWorkflow ? e.error.message : String(e));
export const hook: (c: ComfyClient | null) => JobState[] = useComfyJobs;
`,
      );
      file(
        'dom-consumer.ts',
        `import { ComfyClient, type WebSocketCtor } from '@comfypulse/comfy';

export const browser = new ComfyClient({ url: 'http://127.0.0.1:8188', WebSocket, autoConnect: false });
export const fromWindow: WebSocketCtor = globalThis.WebSocket;
`,
      );
      writeReactApp();
      const tsconfig = `tsconfig.${name.replace(/\W+/g, '-').toLowerCase()}.json`;
      file(
        tsconfig,
        JSON.stringify({
          compilerOptions: {
            target: 'ES2022',
            strict: true,
            noEmit: true,
            skipLibCheck: false,
            ...config.compilerOptions,
          },
          files: config.files,
        }),
      );
      const r = await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', tsconfig], {
        cwd: project,
        timeoutMs: 180_000,
      });
      expect(r.stdout + r.stderr).toBe('');
      expect(r.code).toBe(0);
    },
    240_000,
  );

  it('runs the README quick start verbatim against the simulator until onComplete fires', async () => {
    file('quickstart.mjs', codeBlockAfter(README, '## Quick start', 'js'));
    const sim = await startSimBin(project, ['--port', '0', '--quiet']);
    try {
      const r = await run(process.execPath, ['quickstart.mjs'], {
        cwd: project,
        env: { COMFYUI_URL: sim.url },
        timeoutMs: 60_000,
      });
      expect(r.code, r.stderr).toBe(0);
      const out = r.stdout.split('\n');
      // onComplete printed the job with the PNG SaveImage wrote, then the job's end was awaited.
      expect(out.find((l) => l.startsWith('done '))).toMatch(/^done [0-9a-f-]{36} .*quickstart_00001_\.png/);
      expect(out).toContain('ended: success');
      expect(r.stderr).toMatch(/^refused: Cannot execute because node NoSuchNode does not exist\. \{/m);
      expect(out.find((l) => l.startsWith('cancelled: '))).toMatch(
        /^cancelled: (true (cancelled|interrupted)|false success)$/,
      );
    } finally {
      expect(await sim.stop()).toBe(0);
    }
  }, 120_000);

  it('builds a Vite React app that renders the README component from @comfypulse/comfy/react', async () => {
    writeReactApp();
    const r = await run(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'error'], {
      cwd: project,
      timeoutMs: 180_000,
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const assets = join(project, 'dist/assets');
    const js = readdirSync(assets).filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(0);
    const bundle = js.map((f) => readFileSync(join(assets, f), 'utf8')).join('\n');
    // The library's socket (its first message) and the component's client id made it into the bundle.
    expect(bundle).toContain('supports_preview_metadata');
    expect(bundle).toContain('my-app-3f9a');
    expect(readFileSync(join(project, 'dist/index.html'), 'utf8')).toMatch(
      /<script type="module"[^>]*src="\/assets\//,
    );
  }, 240_000);
});

/** index.html, the README's React component as src/Jobs.tsx, and an entry that renders it. */
function writeReactApp(): void {
  file(
    'index.html',
    '<!doctype html>\n<html><body><div id="root"></div><script type="module" src="/src/main.tsx"></script></body></html>\n',
  );
  file(
    'vite.config.mjs',
    "import react from '@vitejs/plugin-react';\n\nexport default { plugins: [react()] };\n",
  );
  mkdirSync(join(project, 'src'), { recursive: true });
  writeFileSync(join(project, 'src/Jobs.tsx'), codeBlockAfter(README, '### React', 'tsx'));
  writeFileSync(
    join(project, 'src/main.tsx'),
    `import { createRoot } from 'react-dom/client';
import { Jobs } from './Jobs';

createRoot(document.getElementById('root')!).render(<Jobs />);
`,
  );
}
