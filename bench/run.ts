// `npm run bench`: runs every bench/*.bench.ts (or those named on the command line) one after another,
// so figures that are compared were measured side by side in one run, then prints one table.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bench, BenchResult } from './types';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const rows: (BenchResult & { bench: string })[] = [];
let failures = 0;
for (const f of files) {
  const name = f.replace(/\.bench\.ts$/, '');
  process.stdout.write(`running ${name}...\n`);
  try {
    const mod = (await import(pathToFileURL(join(here, f)).href)) as { default: Bench };
    for (const r of await mod.default()) rows.push({ ...r, bench: name });
  } catch (err) {
    failures++;
    console.error(`bench ${name} failed:`, err);
  }
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2));
console.log('\n| bench | figure | value | target | meets |');
console.log('|---|---|---|---|---|');
for (const r of rows) {
  const meets = r.ok === undefined ? '' : r.ok ? 'yes' : 'NO';
  console.log(`| ${r.bench} | ${r.name} | ${fmt(r.value)} ${r.unit} | ${r.target ?? ''} | ${meets} |`);
  if (r.detail) console.log(`|  |  ${r.detail} | | | |`);
}
process.exit(failures > 0 ? 1 : 0);
