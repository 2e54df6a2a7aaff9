/**
 * Builds @comfypulse/comfyui-sim from the repository's sim/ into a self-contained dist/:
 * - dist/index.js (the programmatic API) and dist/cli.js (the `comfyui-sim` bin), bundled by esbuild with
 *   shared chunks; only the declared dependencies and Node built-ins stay imports;
 * - dist/assets/: the recorded preview frames and traceback the simulator reads at run time, beside the
 *   chunk that resolves them with `new URL('./assets/…', import.meta.url)`;
 * - dist/index.d.ts: the public types, bundled with rollup-plugin-dts from tsc's declarations.
 * `npm run build`; `npm pack` and `npm publish` run it first (prepack).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { rollup } from 'rollup';
import { dts } from 'rollup-plugin-dts';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const pkg = JSON.parse(readFileSync(here('package.json'), 'utf8'));
const external = Object.keys(pkg.dependencies);

rmSync(here('dist'), { recursive: true, force: true });

const result = await build({
  entryPoints: { index: here('../../sim/index.ts'), cli: here('../../sim/cli.ts') },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: here('dist'),
  external,
  metafile: true,
  logLevel: 'warning',
});
const strays = Object.values(result.metafile.outputs)
  .flatMap((out) => out.imports)
  .filter((i) => i.external && !external.includes(i.path) && !isBuiltin(i.path));
if (strays.length > 0) {
  throw new Error(`the bundle imports undeclared packages: ${strays.map((i) => i.path).join(', ')}`);
}

cpSync(here('../../sim/assets'), here('dist/assets'), { recursive: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', here('tsconfig.build.json')], { stdio: 'inherit' });
const types = await rollup({ input: here('dist/.types/sim/index.d.ts'), external, plugins: [dts()] });
await types.write({ file: here('dist/index.d.ts'), format: 'es' });
await types.close();
rmSync(here('dist/.types'), { recursive: true });
