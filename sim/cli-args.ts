/** Command-line parsing for sim/cli.ts, validated with zod (kept apart so it can be unit-tested). */
import { z } from 'zod';

const cliSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(8188),
  originCheck: z.boolean().default(true),
  corsHeader: z.string().optional(),
  secFetchGuard: z.boolean().default(false),
  jobsApi: z.boolean().default(false),
  promptScopedInterrupt: z.boolean().default(true),
  previewMethod: z.enum(['none', 'auto', 'latent2rgb', 'taesd']).default('auto'),
  timeScale: z.coerce.number().positive().default(1),
  outputDir: z.string().min(1).optional(),
  quiet: z.boolean().default(false),
});

export type CliOptions = z.infer<typeof cliSchema>;

/** `--help`: every flag parseCliArgs accepts, with its default. */
export const USAGE = `Usage: comfyui-sim [options]

A ComfyUI 0.3.64 simulator: the HTTP API, the /ws socket, the origin check, fault injection.

Options:
  --port N                     port to listen on; 0 = a free one (default 8188)
  --host H                     bind address (default 127.0.0.1)
  --no-origin-check            accept any Origin (ComfyUI answers 403 when a loopback Host and the Origin differ)
  --enable-cors-header [V]     replace the origin check with CORS headers for origin V (default *)
  --sec-fetch-guard            403 on Sec-Fetch-Site: cross-site, like ComfyUI v0.19+
  --jobs-api                   serve /api/jobs, /api/jobs/{id} and the jobs cancel routes
  --legacy-interrupt           POST /interrupt stops whatever runs, even with a prompt_id
  --preview-method M           none | auto | latent2rgb | taesd, reported in /system_stats (default auto)
  --time-scale X               multiply node delays by X (default 1)
  --output-dir DIR             where SaveImage writes (default: a temp folder)
  --quiet                      no server log on stderr
  -h, --help                   this text

Faults at runtime (GET or POST on the same port): /__sim/drop, /__sim/stall,
/__sim/restart?downMs=N, /__sim/refuse?ms=N, /__sim/state
`;

/** True when the command line asks for the usage text instead of a server. */
export const wantsHelp = (argv: string[]): boolean => argv.includes('--help') || argv.includes('-h');

export function parseCliArgs(argv: string[]): CliOptions {
  const raw: Record<string, unknown> = {};
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case '--host':
        raw.host = value(i++, a);
        break;
      case '--port':
        raw.port = value(i++, a);
        break;
      case '--no-origin-check':
        raw.originCheck = false;
        break;
      case '--enable-cors-header': {
        // Like ComfyUI's `nargs="?", const="*"`: the value is optional.
        const next = argv[i + 1];
        if (next !== undefined && !next.startsWith('--')) {
          raw.corsHeader = next;
          i++;
        } else raw.corsHeader = '*';
        break;
      }
      case '--sec-fetch-guard':
        raw.secFetchGuard = true;
        break;
      case '--jobs-api':
        raw.jobsApi = true;
        break;
      case '--legacy-interrupt':
        raw.promptScopedInterrupt = false;
        break;
      case '--preview-method':
        raw.previewMethod = value(i++, a);
        break;
      case '--time-scale':
        raw.timeScale = value(i++, a);
        break;
      case '--output-dir':
        raw.outputDir = value(i++, a);
        break;
      case '--quiet':
        raw.quiet = true;
        break;
      default:
        throw new Error(`unknown option ${a}`);
    }
  }
  return cliSchema.parse(raw);
}
