import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The library must run unchanged in a service worker, an extension page, a web page and Node 20, and be
 * publishable on its own: no Node built-ins, no extension APIs, React only in react.ts, and no imports
 * from outside this folder. Test files and the Node-only test helpers are exempt.
 */
const root = fileURLToPath(new URL('.', import.meta.url));
const NODE_ONLY_HELPERS = ['testing/traces.ts', 'testing/replay.ts', 'testing/stub-http-server.ts'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : sources(p);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [relative(root, p)] : [];
  });
}

const files = sources(root).filter((f) => !NODE_ONLY_HELPERS.includes(f));

describe('lib/comfy portability', () => {
  it('covers the library modules', () => {
    expect(files).toEqual(
      expect.arrayContaining(['client.ts', 'socket.ts', 'http.ts', 'index.ts', 'react.ts']),
    );
  });

  it.each(files)('%s imports no Node built-in, no extension API, nothing outside lib/comfy', (file) => {
    const text = readFileSync(join(root, file), 'utf8');
    const imports = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]!);
    for (const spec of imports) {
      expect(spec).not.toMatch(/^node:/);
      expect([
        'fs',
        'path',
        'net',
        'http',
        'https',
        'crypto',
        'url',
        'ws',
        'wxt',
        'wxt/browser',
      ]).not.toContain(spec);
      if (spec.startsWith('.')) expect(join(file, '..', spec).startsWith('..')).toBe(false);
      else expect(['zod', 'react']).toContain(spec);
      if (spec === 'react') expect(file).toBe('react.ts');
    }
    const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    expect(code).not.toMatch(/\b(chrome|browser)\.[a-z]/);
    expect(code).not.toMatch(/\bprocess\.|\bBuffer\.|\brequire\(/);
  });
});
