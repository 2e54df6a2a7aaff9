/**
 * The HTTP routes of ComfyUI 0.3.64's `server.py`, each bare and under `/api/`, with aiohttp's answers for
 * a wrong method (405 with `Allow`), an unknown path (404) and a handler that raises (500). Request bodies
 * are read the way the Python handlers read them, so malformed input fails where it fails there.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ApiPrompt } from '../lib/comfy/types';
import { viewFile } from './files';
import {
  emptyResponse,
  internalError,
  jsonResponse,
  methodNotAllowed,
  notFound,
  type SimResponse,
  textResponse,
} from './http';
import { getJob, isCanonicalUuid, listJobs, parseJobsQuery } from './jobs';
import { NODES, nodeInfo } from './nodes';
import type { PromptServer, ServerDirs } from './prompt-server';
import { PyFloat, pyIn, pyIter, pyLoads, pyRepr, pyStr } from './pyjson';
import type { QueueItem } from './queue';
import { SERVER_FEATURES } from './sessions';
import { validatePrompt } from './validate';

/** The switches the routes read. */
export interface RouteOptions {
  jobsApi: boolean;
  promptScopedInterrupt: boolean;
  previewMethod: string;
  corsHeader: string | null;
}

/** What the routes need from the server around them. */
export interface RouteHost {
  readonly opts: RouteOptions;
  readonly dirs: ServerDirs;
  /** The port actually bound (reported in `/system_stats` argv). */
  readonly port: number;
  /** The PromptServer of the current run of the process (replaced by a restart). */
  readonly promptServer: PromptServer;
  log(line: string): void;
}

interface Ctx {
  req: IncomingMessage;
  url: URL;
  params: string[];
  body(): Promise<string>;
}

interface Route {
  method: string;
  pattern: RegExp;
  handler: (c: Ctx) => Promise<SimResponse> | SimResponse;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `request.json()`: json.loads of the body; raises (→ 500) on malformed JSON. */
const json = async (c: Ctx): Promise<unknown> => pyLoads(await c.body());

export class HttpRoutes {
  private readonly table: Route[];

  constructor(private readonly host: RouteHost) {
    this.table = this.routes();
  }

  private get server(): PromptServer {
    return this.host.promptServer;
  }

  /** Dispatches one request that passed the guards. */
  async route(req: IncomingMessage, url: URL): Promise<SimResponse> {
    const method = req.method ?? 'GET';
    // Every route exists bare and with the /api prefix (the jobs routes are declared with /api already).
    const candidates = [url.pathname];
    if (url.pathname.startsWith('/api/')) candidates.push(url.pathname.slice(4));
    const allowed = new Set<string>();
    for (const p of candidates) {
      for (const route of this.table) {
        const m = route.pattern.exec(p);
        if (!m) continue;
        if (route.method !== method) {
          allowed.add(route.method);
          continue;
        }
        const ctx: Ctx = {
          req,
          url,
          params: m.slice(1).map((s) => decodeURIComponent(s)),
          body: () => readBody(req),
        };
        try {
          return await route.handler(ctx);
        } catch (err) {
          this.host.log(`ERROR: Error handling request ${url.pathname}: ${String(err)}`);
          return internalError((req.headers.accept ?? '').includes('text/html'));
        }
      }
    }
    return allowed.size > 0 ? methodNotAllowed([...allowed].sort()) : notFound();
  }

  private routes(): Route[] {
    const r: Route[] = [
      { method: 'GET', pattern: /^\/$/, handler: () => this.index() },
      { method: 'GET', pattern: /^\/ws$/, handler: () => this.wsWithoutUpgrade() },
      { method: 'GET', pattern: /^\/features$/, handler: () => jsonResponse(SERVER_FEATURES) },
      { method: 'GET', pattern: /^\/prompt$/, handler: () => jsonResponse(this.server.queueInfo()) },
      { method: 'POST', pattern: /^\/prompt$/, handler: (c) => this.postPrompt(c) },
      { method: 'GET', pattern: /^\/queue$/, handler: () => this.getQueue() },
      { method: 'POST', pattern: /^\/queue$/, handler: (c) => this.postQueue(c) },
      { method: 'POST', pattern: /^\/interrupt$/, handler: (c) => this.postInterrupt(c) },
      { method: 'POST', pattern: /^\/free$/, handler: (c) => this.postFree(c) },
      { method: 'GET', pattern: /^\/history$/, handler: (c) => this.getHistory(c) },
      { method: 'GET', pattern: /^\/history\/([^/]+)$/, handler: (c) => this.getHistoryItem(c) },
      { method: 'POST', pattern: /^\/history$/, handler: (c) => this.postHistory(c) },
      { method: 'GET', pattern: /^\/view$/, handler: (c) => viewFile(this.host.dirs, c.url.searchParams) },
      { method: 'GET', pattern: /^\/system_stats$/, handler: () => this.systemStats() },
      { method: 'GET', pattern: /^\/object_info$/, handler: () => this.objectInfo() },
      { method: 'GET', pattern: /^\/object_info\/([^/]+)$/, handler: (c) => this.objectInfoOne(c) },
      { method: 'GET', pattern: /^\/embeddings$/, handler: () => jsonResponse([]) },
      { method: 'GET', pattern: /^\/extensions$/, handler: () => jsonResponse([]) },
    ];
    if (this.host.opts.jobsApi) {
      r.push(
        { method: 'GET', pattern: /^\/api\/jobs$/, handler: (c) => this.jobsList(c) },
        { method: 'POST', pattern: /^\/api\/jobs\/cancel$/, handler: (c) => this.jobsCancelBatch(c) },
        { method: 'GET', pattern: /^\/api\/jobs\/([^/]+)$/, handler: (c) => this.jobsGet(c) },
        { method: 'POST', pattern: /^\/api\/jobs\/([^/]+)\/cancel$/, handler: (c) => this.jobsCancel(c) },
      );
    }
    return r;
  }

  private index(): SimResponse {
    return textResponse(
      '<!DOCTYPE html><html><head><title>ComfyUI</title></head><body><p>ComfyUI simulator (ComfyPulse). The frontend is not bundled; use the HTTP and WebSocket API.</p></body></html>',
      200,
      'text/html',
    );
  }

  private wsWithoutUpgrade(): SimResponse {
    return {
      ...textResponse('No WebSocket UPGRADE hdr: None\n Can "Upgrade" only to "WebSocket".', 400),
      exception: true,
    };
  }

  // ------------------------------------------------------------------ prompts and the queue

  private async postPrompt(c: Ctx): Promise<SimResponse> {
    this.host.log('got prompt');
    return this.submitPrompt(await json(c));
  }

  /** `post_prompt` after reading the body (also the handle's `submit`, as another client). */
  submitPrompt(data: unknown): SimResponse {
    const server = this.server;
    let number: number | PyFloat;
    if (pyIn('number', data)) {
      const raw = (data as Record<string, unknown>).number;
      const n = typeof raw === 'string' ? Number(raw.trim()) : typeof raw === 'boolean' ? Number(raw) : raw;
      if (typeof n !== 'number' || Number.isNaN(n)) throw new TypeError('could not convert to float');
      number = new PyFloat(n);
    } else {
      number = server.number;
      if (pyIn('front', data) && (data as Record<string, unknown>).front) number = -number;
      server.number += 1;
    }
    if (!pyIn('prompt', data)) {
      return jsonResponse(
        {
          error: {
            type: 'no_prompt',
            message: 'No prompt provided',
            details: 'No prompt provided',
            extra_info: {},
          },
          node_errors: {},
        },
        400,
      );
    }
    const body = data as Record<string, unknown>;
    const prompt = body.prompt;
    const promptId = 'prompt_id' in body ? pyStr(body.prompt_id) : randomUUID();
    const partial = 'partial_execution_targets' in body ? pyIter(body.partial_execution_targets) : null;
    if (prompt === null || typeof prompt !== 'object' || Array.isArray(prompt)) {
      if (pyIter(prompt).length > 0) throw new TypeError('prompt must be a dict');
    }
    const promptObj = (Array.isArray(prompt) ? {} : prompt) as ApiPrompt;
    const valid = validatePrompt(promptObj as never, partial);
    let extraData: Record<string, unknown> = {};
    if ('extra_data' in body) extraData = body.extra_data as Record<string, unknown>;
    if ('client_id' in body) {
      if (extraData === null || typeof extraData !== 'object' || Array.isArray(extraData)) {
        throw new TypeError("'extra_data' does not support item assignment");
      }
      extraData.client_id = body.client_id;
    }
    if (!valid[0]) {
      this.host.log(`WARNING: invalid prompt: ${pyRepr(valid[1])}`);
      return jsonResponse({ error: valid[1], node_errors: valid[3] }, 400);
    }
    if (this.host.opts.jobsApi && extraData && typeof extraData === 'object')
      extraData.create_time = Date.now();
    const item: QueueItem = [number, promptId, promptObj, extraData, valid[2]];
    server.queue.put(item);
    return jsonResponse({ prompt_id: promptId, number, node_errors: valid[3] });
  }

  private getQueue(): SimResponse {
    const [running, pending] = this.server.queue.getCurrentQueue();
    return jsonResponse({ queue_running: running, queue_pending: pending });
  }

  private async postQueue(c: Ctx): Promise<SimResponse> {
    const data = await json(c);
    const q = this.server.queue;
    if (pyIn('clear', data) && (data as Record<string, unknown>).clear) q.wipeQueue();
    if (pyIn('delete', data)) {
      for (const id of pyIter((data as Record<string, unknown>).delete))
        q.deleteQueueItem((a) => a[1] === id);
    }
    return emptyResponse();
  }

  private async postInterrupt(c: Ctx): Promise<SimResponse> {
    let data: unknown;
    try {
      data = pyLoads(await c.body());
    } catch {
      data = {};
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      throw new TypeError(`'${Array.isArray(data) ? 'list' : 'object'}' object has no attribute 'get'`);
    }
    this.interruptPrompt((data as Record<string, unknown>).prompt_id);
    return emptyResponse();
  }

  /** `post_interrupt` after reading the body (also the handle's `interrupt`). */
  interruptPrompt(promptId: unknown): void {
    const server = this.server;
    if (promptId && this.host.opts.promptScopedInterrupt) {
      const [running] = server.queue.getCurrentQueue();
      if (running.some((i) => i[1] === promptId)) {
        this.host.log(`Interrupting prompt ${pyStr(promptId)}`);
        server.executor.interruptProcessing();
      } else {
        this.host.log(`Prompt ${pyStr(promptId)} is not currently running, skipping interrupt`);
      }
      return;
    }
    this.host.log('Global interrupt (no prompt_id specified)');
    server.executor.interruptProcessing();
  }

  private async postFree(c: Ctx): Promise<SimResponse> {
    const data = await json(c);
    if (data === null || typeof data !== 'object' || Array.isArray(data))
      throw new TypeError('no attribute get');
    return emptyResponse();
  }

  // ------------------------------------------------------------------ history

  private getHistory(c: Ctx): SimResponse {
    const q = c.url.searchParams;
    const pyInt = (s: string) => {
      if (!/^\s*[+-]?\d+\s*$/.test(s))
        throw new TypeError(`invalid literal for int() with base 10: ${pyRepr(s)}`);
      return Number.parseInt(s, 10);
    };
    const maxItems = q.has('max_items') ? pyInt(q.get('max_items')!) : null;
    const offset = q.has('offset') ? pyInt(q.get('offset')!) : -1;
    return jsonResponse(this.server.queue.getHistory(maxItems, offset));
  }

  private getHistoryItem(c: Ctx): SimResponse {
    return jsonResponse(this.server.queue.getHistoryItem(c.params[0]!));
  }

  private async postHistory(c: Ctx): Promise<SimResponse> {
    const data = await json(c);
    const q = this.server.queue;
    if (pyIn('clear', data) && (data as Record<string, unknown>).clear) q.wipeHistory();
    if (pyIn('delete', data)) {
      for (const id of pyIter((data as Record<string, unknown>).delete)) q.deleteHistoryItem(String(id));
    }
    return emptyResponse();
  }

  // ------------------------------------------------------------------ server info

  private systemStats(): SimResponse {
    const argv = [
      'main.py',
      '--port',
      String(this.host.port),
      '--preview-method',
      this.host.opts.previewMethod,
    ];
    if (this.host.opts.corsHeader !== null) argv.push('--enable-cors-header', this.host.opts.corsHeader);
    return jsonResponse({
      system: {
        os: 'posix',
        ram_total: 16_776_564_736,
        ram_free: 12_000_000_000,
        comfyui_version: '0.3.64',
        required_frontend_version: '1.27.10',
        installed_templates_version: '0.1.95',
        required_templates_version: '0.1.95',
        python_version: '3.12.3 (main, Aug 14 2025, 17:47:21) [GCC 13.3.0]',
        pytorch_version: '2.8.0+cpu',
        embedded_python: false,
        argv,
      },
      devices: [
        {
          name: 'cpu',
          type: 'cpu',
          index: null,
          vram_total: 16_776_564_736,
          vram_free: 12_000_000_000,
          torch_vram_total: 16_776_564_736,
          torch_vram_free: 12_000_000_000,
        },
      ],
    });
  }

  private objectInfo(): SimResponse {
    return jsonResponse(Object.fromEntries(Object.keys(NODES).map((n) => [n, nodeInfo(n)])));
  }

  private objectInfoOne(c: Ctx): SimResponse {
    const name = c.params[0]!;
    return jsonResponse(name in NODES ? { [name]: nodeInfo(name) } : {});
  }

  // ------------------------------------------------------------------ jobs API

  private jobsList(c: Ctx): SimResponse {
    const q = parseJobsQuery(c.url.searchParams);
    if ('error' in q) return jsonResponse({ error: q.error }, 400);
    const [running, pending] = this.server.queue.getCurrentQueue();
    return jsonResponse(listJobs(running, pending, this.server.queue.history, q));
  }

  private jobsGet(c: Ctx): SimResponse {
    const [running, pending] = this.server.queue.getCurrentQueue();
    const job = getJob(c.params[0]!, running, pending, this.server.queue.history);
    return job ? jsonResponse(job) : jsonResponse({ error: 'Job not found' }, 404);
  }

  /** Interrupts a running job only if it is still the running one; dequeues a pending one. */
  private cancelJob(id: string): boolean {
    const server = this.server;
    const [running, pending] = server.queue.getCurrentQueue();
    if (running.some((i) => i[1] === id)) {
      server.executor.interruptProcessing();
      return true;
    }
    if (pending.some((i) => i[1] === id)) return server.queue.deleteQueueItem((a) => a[1] === id);
    return false;
  }

  private jobsCancel(c: Ctx): SimResponse {
    return jsonResponse({ cancelled: this.cancelJob(c.params[0]!) });
  }

  private async jobsCancelBatch(c: Ctx): Promise<SimResponse> {
    let data: unknown;
    try {
      data = pyLoads(await c.body());
    } catch {
      return jsonResponse({ error: 'Request body must be valid JSON' }, 400);
    }
    const ids =
      data && typeof data === 'object' && !Array.isArray(data)
        ? (data as Record<string, unknown>).job_ids
        : null;
    if (!Array.isArray(ids)) return jsonResponse({ error: 'job_ids must be a list' }, 400);
    const invalid = ids
      .filter((id) => !isCanonicalUuid(id))
      .map((id) => (typeof id === 'string' ? id : pyRepr(id)));
    if (invalid.length > 0)
      return jsonResponse({ error: 'job_ids contains invalid id(s)', invalid_ids: invalid }, 400);
    let cancelled = false;
    for (const id of ids as string[]) if (this.cancelJob(id)) cancelled = true;
    return jsonResponse({ cancelled });
  }
}
