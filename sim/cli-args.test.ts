/** `--help` and the parser agree: every flag the usage text names parses, and every flag parsed is named. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCliArgs, USAGE, wantsHelp } from './cli-args';

const usageFlags = [...USAGE.matchAll(/^ {2}(?:-h, )?(--[a-z-]+)( [A-Z]+| \[V\])?/gm)].map((m) => ({
  flag: m[1]!,
  value: m[2]?.trim(),
}));
const sample: Record<string, string> = {
  '--port': '0',
  '--host': '::1',
  '--enable-cors-header': 'http://localhost:5173',
  '--preview-method': 'taesd',
  '--time-scale': '0.1',
  '--output-dir': '/tmp/out',
};

describe('comfyui-sim --help', () => {
  it('names every flag the parser handles', () => {
    const parsed = [
      ...readFileSync(new URL('./cli-args.ts', import.meta.url), 'utf8').matchAll(/case '(--[a-z-]+)'/g),
    ];
    expect(parsed.length).toBeGreaterThan(5);
    expect(usageFlags.map((f) => f.flag).sort()).toEqual([...parsed.map((m) => m[1]!), '--help'].sort());
  });

  it.each(usageFlags.filter((f) => f.flag !== '--help'))('$flag parses as documented', ({ flag, value }) => {
    const argv = value === undefined || value === '[V]' ? [flag] : [flag, sample[flag]!];
    expect(() => parseCliArgs(argv)).not.toThrow();
  });

  it.each([[['--help']], [['-h']], [['--port', '1', '--help']]])('%j asks for help', (argv) => {
    expect(wantsHelp(argv)).toBe(true);
  });

  it.each([
    [['--bogus'], /unknown option --bogus/],
    [['--port'], /--port needs a value/],
    [['--port', 'x'], /port/],
    [['--preview-method', 'fast'], /previewMethod/],
  ])('%j is refused with a clear error', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});
