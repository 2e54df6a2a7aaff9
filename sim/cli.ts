#!/usr/bin/env node
/**
 * `npm run sim -- --port 8188 [--host H] [--no-origin-check] [--enable-cors-header [VALUE]]
 *   [--sec-fetch-guard] [--jobs-api] [--legacy-interrupt] [--preview-method M] [--time-scale X]
 *   [--output-dir DIR] [--quiet]`
 * Fault injection at runtime: GET or POST /__sim/drop, /__sim/stall, /__sim/restart?downMs=N,
 * /__sim/refuse?ms=N, /__sim/state on the same port. Published as the `comfyui-sim` bin of
 * @comfypulse/comfyui-sim (packages/comfyui-sim/README.md documents every flag).
 */
import { z } from 'zod';
import { parseCliArgs, USAGE, wantsHelp } from './cli-args';
import { startSimulator } from './server';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (wantsHelp(argv)) {
    process.stdout.write(USAGE);
    return;
  }
  let opts: ReturnType<typeof parseCliArgs>;
  try {
    opts = parseCliArgs(argv);
  } catch (err) {
    const msg =
      err instanceof z.ZodError
        ? err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
        : err instanceof Error
          ? err.message
          : String(err);
    process.stderr.write(`comfyui-sim: ${msg} (--help lists the options)\n`);
    process.exit(2);
  }
  const { quiet, ...simOpts } = opts;
  const sim = await startSimulator({
    ...simOpts,
    controlRoutes: true,
    log: quiet ? () => {} : (line) => process.stderr.write(`${line}\n`),
  }).catch((err: NodeJS.ErrnoException) => {
    const why =
      err.code === 'EADDRINUSE'
        ? `port ${opts.port} on ${opts.host} is in use (--port 0 picks a free one)`
        : err.message;
    process.stderr.write(`comfyui-sim: cannot listen: ${why}\n`);
    process.exit(1);
  });
  process.stderr.write(`ComfyUI simulator listening on ${sim.url} (output: ${sim.outputDir})\n`);
  const stop = () => {
    void sim.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
