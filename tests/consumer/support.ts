/**
 * Consumer tests use a package the way a stranger does: `npm pack` in its folder (which builds it, as
 * `npm publish` would), then `npm install` of the tarball into a fresh project in the system temp folder,
 * where nothing of this repository can be reached (no node_modules above it, no tsconfig, no aliases),
 * and every command runs with an environment stripped of npm's, Vitest's and the repository's traces.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { lockNamed } from '../../e2e/support/port-lock';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** process.env without what npm, Vitest or this repository's node_modules/.bin would lend a child. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|VITEST|VITE_|TSX_)|^(NODE_OPTIONS|NODE_ENV|INIT_CWD|TEST|FORCE_COLOR)$/.test(k)) continue;
    env[k] = v;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(':')
    .filter((p) => !p.includes('node_modules'))
    .join(':');
  return { ...env, NO_COLOR: '1', ...extra };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; rejects only when it outlives `timeoutMs` (and is then killed). */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: cleanEnv(opts.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not end within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** `npm pack` of a package folder of this repository into `dest`; returns the tarball's path. */
export async function pack(packageDir: string, dest: string): Promise<string> {
  const dir = resolve(REPO, packageDir);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  // npm pack builds into the package folder first (prepack); two test files packing the same folder at
  // once would delete each other's dist mid-pack.
  const unlock = await lockNamed(`pack-${createHash('sha1').update(dir).digest('hex').slice(0, 12)}`);
  try {
    const r = await run('npm', ['pack', '--pack-destination', dest], { cwd: dir, timeoutMs: 300_000 });
    if (r.code !== 0)
      throw new Error(`npm pack in ${packageDir} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  } finally {
    unlock();
  }
  const tarball = join(dest, `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`);
  if (!existsSync(tarball)) throw new Error(`npm pack in ${packageDir} wrote no ${tarball}`);
  return tarball;
}

/** A fresh temp folder that no node_modules above it could lend packages to. */
export function freshDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (let d = dirname(dir); ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules')))
      throw new Error(`${d}/node_modules would leak packages into the consumer project ${dir}`);
    if (dirname(d) === d) break;
  }
  return dir;
}

/** An ES-module project in `dir` with `packages` installed by npm from tarballs and the registry. */
export async function createProject(dir: string, packages: string[]): Promise<string> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2)}\n`,
  );
  const r = await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...packages],
    { cwd: dir, timeoutMs: 600_000 },
  );
  if (r.code !== 0) throw new Error(`npm install in ${dir} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return dir;
}

/** The first fenced block of `lang` after the heading line `heading` in a Markdown file. */
export function codeBlockAfter(markdownFile: string, heading: string, lang: string): string {
  const text = readFileSync(markdownFile, 'utf8');
  const at = text.split('\n').findIndex((line) => line.trim() === heading);
  if (at < 0) throw new Error(`${markdownFile} has no heading "${heading}"`);
  const rest = text
    .split('\n')
    .slice(at + 1)
    .join('\n');
  const m = new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'm').exec(rest);
  if (!m) throw new Error(`${markdownFile} has no \`\`\`${lang} block after "${heading}"`);
  return m[1]!;
}

export interface CliServer {
  url: string;
  stderr(): string;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts the installed `comfyui-sim` bin and waits for its "listening on URL" line. */
export async function startSimBin(project: string, args: string[]): Promise<CliServer> {
  const child = spawn(join(project, 'node_modules/.bin/comfyui-sim'), args, {
    cwd: project,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`comfyui-sim did not start within 30 s: ${stderr}`)),
      30_000,
    );
    child.once('exit', (code) => reject(new Error(`comfyui-sim exited (${code}): ${stderr}`)));
    createInterface({ input: child.stderr }).on('line', (line) => {
      stderr += `${line}\n`;
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]!);
      }
    });
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  return {
    url,
    stderr: () => stderr,
    stop: () =>
      new Promise((resolveCode) => {
        if (child.exitCode !== null) return resolveCode(child.exitCode);
        child.once('exit', (code) => resolveCode(code));
        child.kill('SIGTERM');
      }),
  };
}
