// `npm run build:server [-- --outdir DIR]`: the sync server as plain JavaScript, so a deployment runs it
// with production dependencies only (`npm ci --omit=dev && node dist/server/cli.mjs`):
//   DIR/cli.mjs                 the server and its CLI, bundled (our code only; packages stay imports)
//   DIR/migrations/*.sql        read by node-pg-migrate next to the bundle
//   DIR/public/dashboard.js     the dashboard's browser code
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { buildDashboardScript } from './dashboard/build-client';

export const DEFAULT_OUTDIR = 'dist/server';

export async function buildServer(outdir: string): Promise<void> {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(`${outdir}/public`, { recursive: true });
  await build({
    entryPoints: [fileURLToPath(new URL('./cli.ts', import.meta.url))],
    outfile: `${outdir}/cli.mjs`,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Dependencies are installed by npm (`npm ci --omit=dev`), not copied into the bundle: PGlite loads
    // its WebAssembly from its package, and security fixes arrive with a plain reinstall.
    packages: 'external',
    define: { __COMFYPULSE_BUILT__: 'true' },
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  await cp(fileURLToPath(new URL('./db/migrations', import.meta.url)), `${outdir}/migrations`, {
    recursive: true,
  });
  await writeFile(`${outdir}/public/dashboard.js`, await buildDashboardScript());
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { outdir: { type: 'string', default: DEFAULT_OUTDIR } } });
  await buildServer(values.outdir);
  console.log(`built the sync server into ${values.outdir} (start it with: node ${values.outdir}/cli.mjs)`);
}
