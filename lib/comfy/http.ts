/**
 * ComfyUI HTTP client: every call validated with zod, every failure a typed `ComfyError`.
 *
 * Usage: `const http = createComfyHttp({ baseUrl: 'http://127.0.0.1:8188', token, tokenMode: 'both' })`.
 * Routes use the `/api` prefix (comfyui-protocol.md §7). Runs wherever `fetch` and `AbortController` exist.
 */
import {
  AuthRequired,
  BadWorkflow,
  type ComfyError,
  isComfyError,
  type NodeErrorEntry,
  OriginRejected,
  redactUrl,
  ServerError,
  scrub,
  Unreachable,
} from './errors';
import {
  cancelResponseSchema,
  featuresSchema,
  type HistoryEntryWire,
  historyEntrySchema,
  historyResponseSchema,
  type JobDetailWire,
  type JobListItemWire,
  jobDetailSchema,
  jobListItemSchema,
  jobsListSchema,
  promptErrorSchema,
  promptResponseSchema,
  promptStatusSchema,
  queueResponseSchema,
  queueTupleSchema,
  type SystemStats,
  systemStatsSchema,
} from './http-schemas';
import { parseJsonLenient } from './json';
import type { ApiPrompt, Clock, FetchLike, OutputFile } from './types';
import { systemClock } from './types';

/** Where the token goes: `?token=` (ComfyUI-Login, Comfy Cloud WS), `Authorization: Bearer`, or both. */
export type TokenMode = 'query' | 'header' | 'both';

export interface ComfyHttpOptions {
  /** e.g. `http://127.0.0.1:8188` or `https://host/comfy` (a path prefix is kept). */
  baseUrl: string;
  token?: string;
  /** Default `'both'`. */
  tokenMode?: TokenMode;
  fetch?: FetchLike;
  /** Per request, default 10 s. */
  timeoutMs?: number;
  clock?: Clock;
  /** Called whenever the server answered a request (any status): evidence that it is reachable. */
  onAnswer?: (status: number) => void;
}

export type PreviewMethod = 'auto' | 'latent2rgb' | 'taesd' | 'none' | 'default';

export interface SubmitOptions {
  /** The clientId of *our* socket; per-job events go only to it (comfyui-protocol.md §1.2). */
  clientId?: string;
  /** A canonical lowercase UUID (required by 2026 servers); always trust the id in the response. */
  promptId?: string;
  /** `extra_data.preview_method` (Dec 2025+ servers; older ones ignore it). */
  previewMethod?: PreviewMethod;
  extraData?: Record<string, unknown>;
  front?: boolean;
  number?: number;
}

export interface SubmitResult {
  promptId: string;
  number: number;
  /** Non-empty on a 200 means some outputs failed validation and were dropped. */
  nodeErrors: Record<string, NodeErrorEntry>;
}

export interface QueueItem {
  number: number;
  promptId: string;
  prompt?: ApiPrompt;
  /** With the comfy.org credentials older servers leave in it removed. */
  extraData?: Record<string, unknown>;
  outputsToExecute?: string[];
}

export interface QueueSnapshot {
  running: QueueItem[];
  /** Sorted by `number` (the server's list is heap-ordered). */
  pending: QueueItem[];
}

export type HistoryEntry = HistoryEntryWire;
export type JobListItem = JobListItemWire;
export type JobDetail = JobDetailWire;
export type JobsApiStatus = 'pending' | 'in_progress' | 'completed' | 'failed' | 'cancelled';

const SENSITIVE_EXTRA_DATA = ['auth_token_comfy_org', 'api_key_comfy_org'];

interface CallOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Statuses returned to the caller as `{status, data: undefined}` instead of thrown. */
  passStatuses?: number[];
  /** Parse a 400 as `BadWorkflow` (only `/prompt` answers in that shape). */
  badWorkflow?: boolean;
  /** Expect an empty or non-JSON body on success (`/interrupt`, `POST /queue`). */
  noBody?: boolean;
}

interface CallResult {
  status: number;
  data: unknown;
}

export class ComfyHttp {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly tokenMode: TokenMode;
  private readonly fetchFn: FetchLike;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly onAnswer: ((status: number) => void) | undefined;
  private jobsProbe: Promise<boolean> | undefined;
  private cancelEndpoint: boolean | undefined;

  constructor(options: ComfyHttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token || undefined;
    this.tokenMode = options.tokenMode ?? 'both';
    // Called as a plain function: an unbound `window.fetch` stored on this object and invoked as a
    // method would throw "Illegal invocation" in browsers.
    const injected = options.fetch;
    this.fetchFn = injected ? (input, init) => injected(input, init) : (input, init) => fetch(input, init);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.clock = options.clock ?? systemClock;
    this.onAnswer = options.onAnswer;
  }

  /** `POST /api/prompt`. Throws `BadWorkflow` on 400 with `error` and `node_errors` as sent. */
  async submit(prompt: ApiPrompt, options: SubmitOptions = {}): Promise<SubmitResult> {
    const extraData: Record<string, unknown> = { ...options.extraData };
    if (options.previewMethod) extraData.preview_method = options.previewMethod;
    const body: Record<string, unknown> = { prompt, extra_data: extraData };
    if (options.clientId) body.client_id = options.clientId;
    if (options.promptId) body.prompt_id = options.promptId;
    if (options.front !== undefined) body.front = options.front;
    if (options.number !== undefined) body.number = options.number;
    const { data } = await this.call('POST', '/api/prompt', { body, badWorkflow: true });
    const r = this.parse(promptResponseSchema, data, '/api/prompt');
    return {
      promptId: r.prompt_id,
      number: r.number,
      nodeErrors: r.node_errors as Record<string, NodeErrorEntry>,
    };
  }

  /**
   * `POST /api/interrupt {prompt_id}`. Servers before Sep 2025 ignore the id and interrupt whatever runs:
   * callers must confirm the job is the running one first (`cancelExactly` does). Without an id this
   * is a global interrupt.
   */
  async interrupt(promptId?: string): Promise<void> {
    await this.call('POST', '/api/interrupt', {
      body: promptId ? { prompt_id: promptId } : {},
      noBody: true,
    });
  }

  /** `POST /api/queue {delete}`: removes pending items only; unknown ids are ignored by the server. */
  async deletePending(promptIds: string[]): Promise<void> {
    if (promptIds.length === 0) return;
    await this.call('POST', '/api/queue', { body: { delete: promptIds }, noBody: true });
  }

  /** `GET /api/queue`, ids read from tuple index 1, pending sorted by number. */
  async queue(): Promise<QueueSnapshot> {
    const { data } = await this.call('GET', '/api/queue');
    const q = this.parse(queueResponseSchema, data, '/api/queue');
    const items = (list: unknown[]) => list.flatMap((raw) => toQueueItem(raw) ?? []);
    return {
      running: items(q.queue_running),
      pending: items(q.queue_pending).sort((a, b) => a.number - b.number),
    };
  }

  /**
   * `GET /api/history/{id}`: the entry once the prompt finished; `undefined` while it is queued or running,
   * or when the server does not know it (the server answers `{}` for all three).
   */
  history(promptId: string): Promise<HistoryEntry | undefined>;
  /** `GET /api/history?max_items=N&offset=K`: bounded; the unbounded form can be many MB and is never used. */
  history(page: { maxItems: number; offset?: number }): Promise<Record<string, HistoryEntry>>;
  async history(
    arg: string | { maxItems: number; offset?: number },
  ): Promise<HistoryEntry | undefined | Record<string, HistoryEntry>> {
    if (typeof arg === 'string') {
      const path = `/api/history/${encodeURIComponent(arg)}`;
      const { data } = await this.call('GET', path);
      const entry = this.parse(historyResponseSchema, data, path)[arg];
      return entry === undefined ? undefined : this.parse(historyEntrySchema, entry, path);
    }
    const maxItems = Math.max(1, Math.floor(arg.maxItems));
    const { data } = await this.call('GET', '/api/history', {
      query: { max_items: maxItems, offset: arg.offset },
    });
    const out: Record<string, HistoryEntry> = {};
    for (const [id, raw] of Object.entries(this.parse(historyResponseSchema, data, '/api/history'))) {
      const entry = historyEntrySchema.safeParse(raw);
      if (entry.success) out[id] = entry.data;
    }
    return out;
  }

  /** Whether the server has `/api/jobs` (Dec 2025+), by `GET /api/jobs?limit=1`; 404 means absent. Cached. */
  supportsJobs(): Promise<boolean> {
    if (!this.jobsProbe) {
      this.jobsProbe = this.call('GET', '/api/jobs', { query: { limit: 1 }, passStatuses: [404] }).then(
        ({ status }) => status !== 404,
      );
      // A failed probe (server down) says nothing about support: allow the next call to ask again.
      this.jobsProbe.catch(() => {
        this.jobsProbe = undefined;
      });
    }
    return this.jobsProbe;
  }

  /** `GET /api/jobs` with an explicit limit (without one `pagination.limit` is null). */
  async listJobs(
    options: { limit: number; offset?: number; status?: JobsApiStatus[] } = { limit: 50 },
  ): Promise<{ jobs: JobListItem[]; total?: number; hasMore?: boolean }> {
    const { data } = await this.call('GET', '/api/jobs', {
      query: {
        limit: Math.max(1, Math.floor(options.limit)),
        offset: options.offset,
        status: options.status?.join(','),
      },
    });
    const list = this.parse(jobsListSchema, data, '/api/jobs');
    return {
      jobs: list.jobs.flatMap((j) => {
        const r = jobListItemSchema.safeParse(j);
        return r.success ? [r.data] : [];
      }),
      total: list.pagination?.total,
      hasMore: list.pagination?.has_more,
    };
  }

  /** `GET /api/jobs/{id}`; `undefined` on 404 (unknown, or a pending job that was deleted). */
  async job(promptId: string): Promise<JobDetail | undefined> {
    const path = `/api/jobs/${encodeURIComponent(promptId)}`;
    const { status, data } = await this.call('GET', path, { passStatuses: [404] });
    return status === 404 ? undefined : this.parse(jobDetailSchema, data, path);
  }

  /**
   * `POST /api/jobs/{id}/cancel` (about June 2026+): atomic interrupt-if-running or dequeue.
   * Returns `undefined` when the server has no such endpoint (remembered), else whether it cancelled.
   */
  async cancelJob(promptId: string): Promise<boolean | undefined> {
    if (this.cancelEndpoint === false) return undefined;
    const path = `/api/jobs/${encodeURIComponent(promptId)}/cancel`;
    const { status, data } = await this.call('POST', path, { body: {}, passStatuses: [404, 405] });
    if (status === 404 || status === 405) {
      this.cancelEndpoint = false;
      return undefined;
    }
    this.cancelEndpoint = true;
    return this.parse(cancelResponseSchema, data, path).cancelled;
  }

  /** `GET /api/prompt`: the queue length; the cheapest "is the server answering" request. */
  async promptStatus(): Promise<{ queueRemaining: number }> {
    const { data } = await this.call('GET', '/api/prompt');
    return { queueRemaining: this.parse(promptStatusSchema, data, '/api/prompt').exec_info.queue_remaining };
  }

  async systemStats(): Promise<SystemStats> {
    const { data } = await this.call('GET', '/api/system_stats');
    return this.parse(systemStatsSchema, data, '/api/system_stats');
  }

  /** `GET /api/features`; servers before Jul 2025 have none, which reads as `{}`. */
  async features(): Promise<Record<string, unknown>> {
    const { status, data } = await this.call('GET', '/api/features', { passStatuses: [404] });
    return status === 404 ? {} : this.parse(featuresSchema, data, '/api/features');
  }

  /**
   * A harmless POST that passes through the origin check: `POST /api/queue {}` deletes nothing.
   * Throws `OriginRejected`, `AuthRequired`, `Unreachable` exactly as a real POST would.
   * (`/interrupt` is never used as a probe: without a prompt id it stops whatever runs.)
   */
  async probeOrigin(): Promise<void> {
    await this.call('POST', '/api/queue', { body: {}, noBody: true });
  }

  /** Connection doctor: the first typed error a GET and a POST meet, or null when both pass. */
  async diagnose(): Promise<ComfyError | null> {
    try {
      await this.promptStatus();
      await this.probeOrigin();
      return null;
    } catch (e) {
      if (isComfyError(e)) return e;
      throw e;
    }
  }

  /**
   * A `/view` URL for an output file. The token goes in the query whenever one is configured, whatever
   * the token mode, because `<img>` and `<video>` cannot send headers; `tokenInQuery: false` leaves it out,
   * for a caller that sends the token as a header itself (a `fetch`, or a browser extension's header rule),
   * so it never lands in a proxy's access log.
   */
  viewUrl(
    output: OutputFile,
    options: { preview?: string; channel?: string; tokenInQuery?: boolean } = {},
  ): string {
    const u = new URL(`${this.baseUrl}/api/view`);
    u.searchParams.set('filename', output.filename);
    u.searchParams.set('type', output.type || 'output');
    u.searchParams.set('subfolder', output.subfolder ?? '');
    if (options.preview) u.searchParams.set('preview', options.preview);
    if (options.channel) u.searchParams.set('channel', options.channel);
    if (this.token && options.tokenInQuery !== false) u.searchParams.set('token', this.token);
    return u.toString();
  }

  /** The WebSocket URL: `ws(s)://host/ws?clientId=…` plus `token=` when configured (a WS cannot send headers). */
  wsUrl(clientId: string): string {
    const u = new URL(`${this.baseUrl}/ws`);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.searchParams.set('clientId', clientId);
    if (this.token) u.searchParams.set('token', this.token);
    return u.toString();
  }

  private buildUrl(path: string, query: CallOptions['query']): string {
    const u = new URL(`${this.baseUrl}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    if (this.token && this.tokenMode !== 'header') u.searchParams.set('token', this.token);
    return u.toString();
  }

  private async call(method: 'GET' | 'POST', path: string, options: CallOptions = {}): Promise<CallResult> {
    const url = this.buildUrl(path, options.query);
    const safeUrl = redactUrl(url);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.token && this.tokenMode !== 'query') headers.Authorization = `Bearer ${this.token}`;

    const abort = new AbortController();
    let timedOut = false;
    const timer = this.clock.setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, this.timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: abort.signal,
        redirect: 'follow',
      });
      text = await res.text();
    } catch {
      // The underlying error text can carry the full URL (and with it the token): never forward it.
      throw new Unreachable(safeUrl, timedOut ? 'timeout' : 'network');
    } finally {
      this.clock.clearTimeout(timer);
    }
    this.onAnswer?.(res.status);

    if (res.redirected && isLoginUrl(res.url)) throw new AuthRequired(safeUrl, res.status, 'login-redirect');
    if (res.status === 401) throw new AuthRequired(safeUrl, 401);
    if (res.status === 403 && text.trim() === '') throw new OriginRejected(safeUrl);
    if (options.passStatuses?.includes(res.status)) return { status: res.status, data: undefined };

    if (res.ok) {
      if (options.noBody) return { status: res.status, data: undefined };
      if (looksLikeHtml(res, text)) throw new AuthRequired(safeUrl, res.status, 'html-response');
      try {
        return { status: res.status, data: parseJsonLenient(text) };
      } catch {
        throw new ServerError(
          `ComfyUI sent an unreadable answer to ${method} ${path}`,
          safeUrl,
          res.status,
          scrub(text.slice(0, 200), this.token),
        );
      }
    }

    if (res.status === 400 && options.badWorkflow) {
      const body = promptErrorSchema.safeParse(safeJson(text));
      if (body.success) {
        throw new BadWorkflow(
          body.data.error,
          body.data.node_errors as Record<string, NodeErrorEntry>,
          safeUrl,
        );
      }
    }
    const detail = scrub(text.slice(0, 200), this.token);
    throw new ServerError(
      `ComfyUI answered ${res.status} to ${method} ${path}${detail ? `: ${firstLine(detail)}` : ''}`,
      safeUrl,
      res.status,
      detail,
    );
  }

  private parse<T>(
    schema: { safeParse(d: unknown): { success: true; data: T } | { success: false } },
    data: unknown,
    path: string,
  ): T {
    const r = schema.safeParse(data);
    if (!r.success)
      throw new ServerError(`ComfyUI sent an unexpected answer shape for ${path}`, undefined, 200);
    return r.data;
  }
}

export function createComfyHttp(options: ComfyHttpOptions): ComfyHttp {
  return new ComfyHttp(options);
}

function toQueueItem(raw: unknown): QueueItem | undefined {
  const r = queueTupleSchema.safeParse(raw);
  if (!r.success) return undefined;
  const item: QueueItem = { number: r.data.number, promptId: r.data.promptId };
  if (r.data.prompt && typeof r.data.prompt === 'object') item.prompt = r.data.prompt as ApiPrompt;
  if (r.data.extraData && typeof r.data.extraData === 'object') {
    const extra = { ...(r.data.extraData as Record<string, unknown>) };
    for (const k of SENSITIVE_EXTRA_DATA) delete extra[k];
    item.extraData = extra;
  }
  if (Array.isArray(r.data.outputsToExecute)) item.outputsToExecute = r.data.outputsToExecute.map(String);
  return item;
}

function isLoginUrl(url: string): boolean {
  try {
    return /\/login\/?$/i.test(new URL(url).pathname);
  } catch {
    return false;
  }
}

function looksLikeHtml(res: Response, text: string): boolean {
  const type = res.headers.get('content-type') ?? '';
  return type.includes('text/html') || /^\s*<(!doctype|html)/i.test(text);
}

function safeJson(text: string): unknown {
  try {
    return parseJsonLenient(text);
  } catch {
    return undefined;
  }
}

function firstLine(s: string): string {
  return s.split('\n', 1)[0]!.slice(0, 120);
}
