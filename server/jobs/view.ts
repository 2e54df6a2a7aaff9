// Thumbnails and outputs through the server, so the dashboard's browser never needs ComfyUI access. The
// request carries the server's ComfyUI token, so it may only fetch what the server's own tracking recorded:
// outputs (type=output) of a job this server started and followed (source 'api', which no API key can
// write), from that job's configured ComfyUI. A filename, subfolder or type an ingesting client wrote is
// never fetched.
import type { Context } from 'hono';
import { outputFiles } from '../../lib/comfy/outputs';
import type { AppDeps } from '../app';
import type { AppEnv } from '../http';
import { jsonError } from '../http';
import { getJob } from '../repo/jobs';

const SAFE_INLINE = /^(image\/(png|jpeg|webp|gif)|video\/(mp4|webm)|audio\/(mpeg|wav|ogg|flac))$/;

export async function viewProxy(
  c: Context<AppEnv>,
  deps: Pick<AppDeps, 'db' | 'config' | 'fetch'>,
  promptId: string,
  serverName: string | undefined,
): Promise<Response> {
  const job = await getJob(deps.db.pool, promptId, serverName, 'api');
  if (!job) return jsonError(c, 404, 'not_found', 'No job this server tracked has that id');
  const index = Number(c.req.param('index'));
  const node = c.req.param('node') ?? '';
  // `:index` counts the node's type=output files in `outputFiles` order, which holds however jsonb orders keys
  const files = Object.hasOwn(job.outputs, node)
    ? outputFiles(job.outputs[node]).filter((f) => f.type === 'output')
    : [];
  const file = Number.isInteger(index) ? files[index] : undefined;
  if (!file) return jsonError(c, 404, 'not_found', 'No such output file');
  const server = deps.config.comfyServers[job.server];
  if (!server) return jsonError(c, 404, 'not_found', `ComfyUI server "${job.server}" is not configured here`);
  const qs = new URLSearchParams({ filename: file.filename, subfolder: file.subfolder, type: file.type });
  if (c.req.query('thumb') === '1') qs.set('preview', 'webp;80');
  let upstream: Response;
  try {
    upstream = await deps.fetch(`${server.url}/api/view?${qs}`, {
      headers: server.token ? { authorization: `Bearer ${server.token}` } : {},
      signal: AbortSignal.timeout(30_000),
    });
  } catch {
    return jsonError(c, 502, 'upstream', 'ComfyUI is unreachable');
  }
  if (!upstream.ok || !upstream.body)
    return jsonError(c, 502, 'upstream', `ComfyUI answered ${upstream.status}`);
  const type = (upstream.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const inline = SAFE_INLINE.test(type);
  return new Response(upstream.body, {
    headers: {
      'content-type': inline ? type : 'application/octet-stream',
      'content-disposition': inline ? 'inline' : 'attachment',
      'cache-control': 'private, max-age=3600',
      'x-content-type-options': 'nosniff',
    },
  });
}
