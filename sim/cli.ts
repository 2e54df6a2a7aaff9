/**
 * `npm run sim -- --port 8188 [--host H] [--no-origin-check] [--enable-cors-header [VALUE]]
 *   [--sec-fetch-guard] [--jobs-api] [--legacy-interrupt] [--preview-method M] [--time-scale X]
 *   [--output-dir DIR] [--quiet]`
 * Fault injection at runtime: GET or POST /__sim/drop, /__sim/stall, /__sim/restart?downMs=N,
 * /__sim/refuse?ms=N, /__sim/state on the same port (documented in sim/README.md).
 */
import { z } from 'zod';
import { parseCliArgs } from './cli-args';
import { startSimulator } from './server';

async function main(): Promise<void> {
  let opts: ReturnType<typeof parseCliArgs>;
  try {
    opts = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    const msg =
      err instanceof z.ZodError
        ? err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
        : String(err);
    process.stderr.write(`sim: ${msg}\n`);
    process.exit(2);
  }
  const { quiet, ...simOpts } = opts;
  const sim = await startSimulator({
    ...simOpts,
    controlRoutes: true,
    log: quiet ? () => {} : (line) => process.stderr.write(`${line}\n`),
  });
  process.stderr.write(`ComfyUI simulator listening on ${sim.url} (output: ${sim.outputDir})\n`);
  const stop = () => {
    void sim.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
