/**
 * The ComfyUI simulator: one HTTP server with the real routes (bare and under /api), the /ws socket with
 * ComfyUI's routing table, a prompt worker, and fault injection. Behaviour follows ComfyUI 0.3.64
 * (`server.py`, `main.py`) as recorded in fixtures/traces; see sim/README.md for the switches.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import type { ApiPrompt } from '../lib/comfy/types';
import { ExecutorKilled, PromptExecutor, type ServerPort } from './executor';
import {
  emptyResponse,
  internalError,
  jsonResponse,
  methodNotAllowed,
  notFound,
  rawResponse,
  SERVER_HEADER,
  type SimResponse,
  textResponse,
  writeResponse,
} from './http';
import { getJob, isCanonicalUuid, listJobs, parseJobsQuery } from './jobs';
import { NODES, NodeException, nodeInfo } from './nodes';
import { corsHeaders, guardVerdict } from './origin';
import { PyFloat, pyClone, pyDumps, pyLoads, pyRepr, pyStr } from './pyjson';
import { PromptQueue, type QueueItem } from './queue';
import { validatePrompt } from './validate';

export interface SimulatorOptions {
  host?: string;
  port?: number;
  originCheck?: boolean;
  corsHeader?: string;
  secFetchGuard?: boolean;
  jobsApi?: boolean;
  promptScopedInterrupt?: boolean;
  previewMethod?: 'none' | 'auto' | 'latent2rgb' | 'taesd';
  timeScale?: number;
  outputDir?: string;
  /** Serve the fault-injection routes under `/__sim/` (the CLI turns this on). Default false. */
  controlRoutes?: boolean;
  /** Server log lines ("got prompt", origin warnings, ...). Default: silent. */
  log?: (line: string) => void;
}

export interface SimulatorState {
  queueRemaining: number;
  running: string[];
  pending: string[];
  /** `server.client_id`: the client_id of the prompt that ran last (stays set after it ends). */
  clientId: string | null;
  lastNodeId: string | null;
  /** sids currently in the routing table. */
  registeredClientIds: string[];
  /** Open WebSocket connections, including evicted and zombie ones. */
  openSockets: number;
  historySize: number;
}

export interface Simulator {
  readonly url: string;
  readonly port: number;
  readonly outputDir: string;
  readonly tempDir: string;
  close(): Promise<void>;
  restart(opts?: { downMs?: number }): Promise<void>;
  dropAllSockets(): void;
  stallSockets(): void;
  refuseConnections(ms: number): void;
  /** POST /prompt as another client would (no origin checks); returns the HTTP status and parsed body. */
  submit(body: Record<string, unknown>): Promise<{ status: number; body: unknown }>;
  /** POST /interrupt as another client would. */
  interrupt(promptId?: string): void;
  state(): SimulatorState;
  /** Resolves when nothing is queued or running. */
  waitForIdle(timeoutMs?: number): Promise<void>;
}

interface Conn {
  ws: WebSocket;
  socket: Socket;
  sid: string;
  life: Life;
  stalled: boolean;
  firstMessage: boolean;
}

const FEATURES = { supports_preview_metadata: true, max_upload_size: 104857600 };
const PY_TYPE: Record<string, string> = { boolean: 'bool', number: 'int', string: 'str' };

/** Python's `x in container` for a decoded JSON body; raises (→ 500) where Python would. */
function pyIn(key: string, container: unknown): boolean {
  if (typeof container === 'string') return container.includes(key);
  if (Array.isArray(container)) {
    if (container.includes(key)) throw new TypeError('list indices must be integers or slices, not str');
    return false;
  }
  if (container !== null && typeof container === 'object') return key in (container as object);
  throw new TypeError(
    `argument of type '${container === null ? 'NoneType' : (PY_TYPE[typeof container] ?? 'object')}' is not iterable`,
  );
}

/** Iterates a JSON value like Python's `for x in value` (dict keys, list items, string chars). */
function pyIter(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return [...value];
  if (value !== null && typeof value === 'object') return Object.keys(value);
  throw new TypeError('object is not iterable');
}

/** `PromptServer` state: one lifetime of the server process. A restart makes a new one. */
class Life implements ServerPort {
  readonly sockets = new Map<string, Conn>();
  readonly metadata = new Map<string, { feature_flags: unknown }>();
  readonly queue: PromptQueue;
  readonly executor: PromptExecutor;
  clientId: string | null = null;
  lastNodeId: string | null = null;
  lastPromptId: string | null = null;
  number = 0;
  private readonly stop = { cancelled: false };
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly sim: SimServer,
    readonly dirs: { outputDir: string; tempDir: string; inputDir: string },
  ) {
    this.queue = new PromptQueue(() => this.queueUpdated());
    this.executor = new PromptExecutor(this, {
      timeScale: sim.opts.timeScale,
      outputDir: dirs.outputDir,
      tempDir: dirs.tempDir,
    });
    void this.worker();
  }

  kill(): void {
    this.stop.cancelled = true;
    this.executor.killed = true;
    this.queue.wake();
  }

  queueInfo() {
    return { exec_info: { queue_remaining: this.queue.tasksRemaining() } };
  }

  queueUpdated(): void {
    this.sendSync('status', { status: this.queueInfo() }, null);
    if (this.queue.tasksRemaining() === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  waitIdle(): Promise<void> {
    if (this.queue.tasksRemaining() === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private sendRaw(conn: Conn, data: string | Buffer): void {
    if (conn.stalled || conn.ws.readyState !== WebSocket.OPEN) return;
    conn.ws.send(data, () => {
      // send_socket_catch_exception: errors on a dying socket are logged, never raised.
    });
  }

  /** `send_json`/`send_bytes`: sid null = every registered socket; unknown sid = dropped. */
  /**
   * `send_sync`: enqueue for the publish loop, which resolves the sid when it sends (not when queued),
   * like `PromptServer.publish_loop`. Order is FIFO.
   */
  sendSync(event: string, data: unknown, sid: string | null): void {
    this.enqueue(pyDumps({ type: event, data }), sid, false);
  }

  /** `await self.send(...)` from the ws handler itself: bypasses the publish queue. */
  sendDirect(event: string, data: unknown, sid: string): void {
    this.deliver(pyDumps({ type: event, data }), sid);
  }

  private readonly outbox: { payload: string | Buffer; sid: string | null; encode: boolean }[] = [];
  private draining = false;

  /** Previews are encoded inside the publish loop on the server, so they leave a moment after `progress`. */
  private enqueue(payload: string | Buffer, sid: string | null, encode: boolean): void {
    this.outbox.push({ payload, sid, encode });
    if (this.draining) return;
    this.draining = true;
    queueMicrotask(() => void this.drain());
  }

  private async drain(): Promise<void> {
    while (this.outbox.length > 0) {
      const item = this.outbox.shift()!;
      if (item.encode) await new Promise((r) => setImmediate(r));
      this.deliver(item.payload, item.sid);
    }
    this.draining = false;
  }

  private deliver(payload: string | Buffer, sid: string | null): void {
    if (sid === null) {
      for (const conn of [...this.sockets.values()]) this.sendRaw(conn, payload);
    } else {
      const conn = this.sockets.get(sid);
      if (conn) this.sendRaw(conn, payload);
    }
  }

  sendPreview(jpeg: Buffer, sid: string | null, metadata: Record<string, unknown> | null): void {
    if (metadata === null) {
      const head = Buffer.alloc(8);
      head.writeUInt32BE(1, 0);
      head.writeUInt32BE(1, 4); // 1 = JPEG
      this.enqueue(Buffer.concat([head, jpeg]), sid, true);
      return;
    }
    const meta = Buffer.from(pyDumps({ ...metadata, image_type: 'image/jpeg' }), 'utf8');
    const head = Buffer.alloc(8);
    head.writeUInt32BE(4, 0);
    head.writeUInt32BE(meta.length, 4);
    this.enqueue(Buffer.concat([head, meta, jpeg]), sid, true);
  }

  /** `feature_flags.supports_feature`; a non-object flags value raises inside the node like Python. */
  supportsPreviewMetadata(sid: string | null): boolean {
    if (sid === null) return false;
    const meta = this.metadata.get(sid);
    if (!meta) return false;
    const flags = meta.feature_flags;
    if (flags === null || typeof flags !== 'object' || Array.isArray(flags)) {
      const t =
        flags === null ? 'NoneType' : Array.isArray(flags) ? 'list' : (PY_TYPE[typeof flags] ?? 'object');
      throw new NodeException(`'${t}' object has no attribute 'get'`, 'AttributeError');
    }
    return (flags as Record<string, unknown>).supports_preview_metadata === true;
  }

  private async worker(): Promise<void> {
    for (;;) {
      const got = await this.queue.get(this.stop);
      if (!got || this.stop.cancelled) return;
      const [item, itemId] = got;
      this.lastPromptId = item[1];
      const started = performance.now();
      try {
        await this.executor.execute(item[2], item[1], pyClone(item[3]), item[4]);
      } catch (err) {
        if (err instanceof ExecutorKilled) return;
        this.sim.log(`ERROR: worker: ${String(err)}`);
      }
      if (this.stop.cancelled) return;
      const ok = this.executor.success;
      this.queue.taskDone(itemId, this.executor.historyResult, {
        status_str: ok ? 'success' : 'error',
        completed: ok,
        messages: this.executor.statusMessages,
      });
      if (this.clientId !== null)
        this.sendSync('executing', { node: null, prompt_id: item[1] }, this.clientId);
      this.sim.log(`Prompt executed in ${((performance.now() - started) / 1000).toFixed(2)} seconds`);
    }
  }
}

class SimServer {
  readonly opts: Required<Omit<SimulatorOptions, 'corsHeader' | 'outputDir' | 'log'>> & {
    corsHeader: string | null;
    log: (line: string) => void;
  };
  readonly http: Server;
  readonly wss: WebSocketServer;
  readonly dirs: { outputDir: string; tempDir: string; inputDir: string };
  readonly conns = new Set<Conn>();
  life: Life;
  port = 0;
  private listening = false;
  private refuseTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(options: SimulatorOptions) {
    this.opts = {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 8188,
      originCheck: options.originCheck ?? true,
      corsHeader:
        options.corsHeader === undefined ? null : options.corsHeader === '' ? '*' : options.corsHeader,
      secFetchGuard: options.secFetchGuard ?? false,
      jobsApi: options.jobsApi ?? false,
      promptScopedInterrupt: options.promptScopedInterrupt ?? true,
      previewMethod: options.previewMethod ?? 'auto',
      timeScale: options.timeScale ?? 1,
      controlRoutes: options.controlRoutes ?? false,
      log: options.log ?? (() => {}),
    };
    const base = mkdtempSync(path.join(tmpdir(), 'comfy-sim-'));
    const outputDir = path.resolve(options.outputDir ?? path.join(base, 'output'));
    this.dirs = { outputDir, tempDir: path.join(base, 'temp'), inputDir: path.join(base, 'input') };
    for (const d of Object.values(this.dirs)) mkdirSync(d, { recursive: true });
    this.life = new Life(this, this.dirs);
    this.http = createServer((req, res) => {
      this.handle(req)
        .then((r) => writeResponse(res, r, req.method ?? 'GET'))
        .catch((err) => {
          this.log(`ERROR: ${String(err)}`);
          writeResponse(res, internalError(false), req.method ?? 'GET');
        });
    });
    // aiohttp has no keep-alive header of its own; Node's default 5 s idle timeout is close to its 75 s.
    this.http.keepAliveTimeout = 75_000;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024, perMessageDeflate: true });
    this.wss.on('headers', (headers) => headers.push(`Server: ${SERVER_HEADER}`));
    this.http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      this.upgrade(req, socket, head).catch(() => socket.destroy());
    });
  }

  log(line: string): void {
    this.opts.log(line);
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.http.once('error', onError);
      this.http.listen(port, this.opts.host, () => {
        this.http.off('error', onError);
        resolve();
      });
    });
    const addr = this.http.address();
    if (addr && typeof addr === 'object') this.port = addr.port;
    this.listening = true;
  }

  /** Stop accepting (new connections get ECONNREFUSED); established sockets are unaffected. */
  private stopListening(): void {
    if (!this.listening) return;
    this.listening = false;
    this.http.close();
  }

  refuse(ms: number): void {
    if (this.closed) return;
    this.stopListening();
    if (this.refuseTimer) clearTimeout(this.refuseTimer);
    this.refuseTimer = setTimeout(() => {
      this.refuseTimer = null;
      if (!this.closed && !this.listening) void this.listen(this.port);
    }, ms);
  }

  dropAll(): void {
    for (const c of [...this.conns]) c.socket.destroy();
  }

  stallAll(): void {
    for (const c of this.conns) {
      c.stalled = true;
      c.socket.pause();
    }
  }

  resetTemp(): void {
    rmSync(this.dirs.tempDir, { recursive: true, force: true });
    mkdirSync(this.dirs.tempDir, { recursive: true });
  }

  async restart(downMs: number): Promise<void> {
    this.life.kill();
    this.dropAll();
    this.stopListening();
    this.http.closeAllConnections();
    if (this.refuseTimer) {
      clearTimeout(this.refuseTimer);
      this.refuseTimer = null;
    }
    await new Promise((r) => setTimeout(r, downMs));
    this.resetTemp();
    this.life = new Life(this, this.dirs);
    if (!this.closed) await this.listen(this.port);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.refuseTimer) clearTimeout(this.refuseTimer);
    this.life.kill();
    this.dropAll();
    this.http.closeAllConnections();
    if (this.listening) {
      this.listening = false;
      await new Promise<void>((r) => this.http.close(() => r()));
    }
    this.wss.close();
  }

  // ------------------------------------------------------------------ WebSocket

  private async upgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ws' && url.pathname !== '/api/ws') {
      socket.end(rawResponse(notFound()));
      return;
    }
    const verdict = await guardVerdict(this.opts, req.headers);
    if (!verdict.allow) {
      this.log(`WARNING: request with ${verdict.reason}, returning 403`);
      socket.end(rawResponse(emptyResponse(403)));
      return;
    }
    const life = this.life;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, socket, url, life));
  }

  private onConnection(ws: WebSocket, socket: Socket, url: URL, life: Life): void {
    if (life !== this.life) {
      socket.destroy();
      return;
    }
    let sid = url.searchParams.get('clientId') ?? '';
    // A reconnect with the same id replaces the routing entry; the old socket stays open (not closed).
    if (sid) life.sockets.delete(sid);
    else sid = randomUUID().replaceAll('-', '');
    const conn: Conn = { ws, socket, sid, life, stalled: false, firstMessage: true };
    this.conns.add(conn);
    life.sockets.set(sid, conn);
    life.metadata.set(sid, { feature_flags: {} });
    ws.on('close', () => {
      this.conns.delete(conn);
      // The handler's `finally` pops unconditionally, so an old socket's late close unregisters a newer
      // socket with the same sid (the zombie race of protocol §2.3).
      life.sockets.delete(sid);
      life.metadata.delete(sid);
    });
    ws.on('error', (err) => this.log(`WARNING: ws connection closed with exception ${String(err)}`));
    ws.on('message', (data, isBinary) => this.onMessage(conn, data, isBinary));
    life.sendDirect('status', { status: life.queueInfo(), sid }, sid);
    if (life.clientId === sid && life.lastNodeId !== null)
      life.sendDirect('executing', { node: life.lastNodeId }, sid);
  }

  private onMessage(conn: Conn, data: WebSocket.RawData, isBinary: boolean): void {
    if (conn.stalled || isBinary) return;
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.from(data as ArrayBuffer).toString('utf8');
    const life = conn.life;
    let msg: unknown;
    try {
      msg = pyLoads(text);
    } catch {
      this.log(`WARNING: Invalid JSON received from client ${conn.sid}: ${text}`);
      return;
    }
    if (!conn.firstMessage) return;
    // `data.get("type")` raises on non-objects before `first_message = False` runs.
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
      this.log(
        `ERROR: Error processing WebSocket message: '${pyStr(typeof msg)}' object has no attribute 'get'`,
      );
      return;
    }
    const obj = msg as Record<string, unknown>;
    if (obj.type === 'feature_flags') {
      const meta = life.metadata.get(conn.sid);
      if (!meta) {
        this.log(`ERROR: Error processing WebSocket message: ${pyRepr(conn.sid)}`);
        return;
      }
      meta.feature_flags = 'data' in obj ? obj.data : {};
      life.sendDirect('feature_flags', FEATURES, conn.sid);
      this.log(`Feature flags negotiated for client ${conn.sid}: ${pyRepr(meta.feature_flags)}`);
    }
    conn.firstMessage = false;
  }

  // ------------------------------------------------------------------ HTTP

  private async readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async handle(req: IncomingMessage): Promise<SimResponse> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (this.opts.controlRoutes && url.pathname.startsWith('/__sim/')) return this.control(url);
    const cors = this.opts.corsHeader;
    if (cors !== null) {
      const r = method === 'OPTIONS' ? emptyResponse() : await this.route(req, url);
      if (!r.exception) Object.assign(r.headers, corsHeaders(cors));
      return r;
    }
    const verdict = await guardVerdict(this.opts, req.headers);
    if (!verdict.allow) {
      this.log(`WARNING: request with ${verdict.reason}, returning 403`);
      return emptyResponse(403);
    }
    if (method === 'OPTIONS') return emptyResponse();
    return this.route(req, url);
  }

  private control(url: URL): SimResponse {
    const n = (name: string) => {
      const v = Number(url.searchParams.get(name) ?? '0');
      return Number.isFinite(v) && v >= 0 ? v : 0;
    };
    switch (url.pathname) {
      case '/__sim/drop':
        setImmediate(() => this.dropAll());
        return jsonResponse({ ok: true });
      case '/__sim/stall':
        setImmediate(() => this.stallAll());
        return jsonResponse({ ok: true });
      case '/__sim/refuse':
        setImmediate(() => this.refuse(n('ms')));
        return jsonResponse({ ok: true });
      case '/__sim/restart':
        setTimeout(() => void this.restart(n('downMs')), 10);
        return jsonResponse({ ok: true });
      case '/__sim/state':
        return jsonResponse(this.state());
      default:
        return notFound();
    }
  }

  state(): SimulatorState {
    const life = this.life;
    const [running, pending] = life.queue.getCurrentQueue();
    return {
      queueRemaining: life.queue.tasksRemaining(),
      running: running.map((i) => i[1]),
      pending: pending.map((i) => i[1]),
      clientId: life.clientId,
      lastNodeId: life.lastNodeId,
      registeredClientIds: [...life.sockets.keys()],
      openSockets: this.conns.size,
      historySize: life.queue.history.size,
    };
  }

  private routes(): {
    method: string;
    pattern: RegExp;
    handler: (req: Ctx) => Promise<SimResponse> | SimResponse;
  }[] {
    const r = [
      { method: 'GET', pattern: /^\/$/, handler: () => this.index() },
      { method: 'GET', pattern: /^\/ws$/, handler: () => this.wsWithoutUpgrade() },
      { method: 'GET', pattern: /^\/features$/, handler: () => jsonResponse(FEATURES) },
      { method: 'GET', pattern: /^\/prompt$/, handler: () => jsonResponse(this.life.queueInfo()) },
      { method: 'POST', pattern: /^\/prompt$/, handler: (c: Ctx) => this.postPrompt(c) },
      { method: 'GET', pattern: /^\/queue$/, handler: () => this.getQueue() },
      { method: 'POST', pattern: /^\/queue$/, handler: (c: Ctx) => this.postQueue(c) },
      { method: 'POST', pattern: /^\/interrupt$/, handler: (c: Ctx) => this.postInterrupt(c) },
      { method: 'POST', pattern: /^\/free$/, handler: (c: Ctx) => this.postFree(c) },
      { method: 'GET', pattern: /^\/history$/, handler: (c: Ctx) => this.getHistory(c) },
      { method: 'GET', pattern: /^\/history\/([^/]+)$/, handler: (c: Ctx) => this.getHistoryItem(c) },
      { method: 'POST', pattern: /^\/history$/, handler: (c: Ctx) => this.postHistory(c) },
      { method: 'GET', pattern: /^\/view$/, handler: (c: Ctx) => this.view(c) },
      { method: 'GET', pattern: /^\/system_stats$/, handler: () => this.systemStats() },
      { method: 'GET', pattern: /^\/object_info$/, handler: () => this.objectInfo() },
      { method: 'GET', pattern: /^\/object_info\/([^/]+)$/, handler: (c: Ctx) => this.objectInfoOne(c) },
      { method: 'GET', pattern: /^\/embeddings$/, handler: () => jsonResponse([]) },
      { method: 'GET', pattern: /^\/extensions$/, handler: () => jsonResponse([]) },
    ];
    if (this.opts.jobsApi) {
      r.push(
        { method: 'GET', pattern: /^\/api\/jobs$/, handler: (c: Ctx) => this.jobsList(c) },
        { method: 'POST', pattern: /^\/api\/jobs\/cancel$/, handler: (c: Ctx) => this.jobsCancelBatch(c) },
        { method: 'GET', pattern: /^\/api\/jobs\/([^/]+)$/, handler: (c: Ctx) => this.jobsGet(c) },
        {
          method: 'POST',
          pattern: /^\/api\/jobs\/([^/]+)\/cancel$/,
          handler: (c: Ctx) => this.jobsCancel(c),
        },
      );
    }
    return r;
  }

  private async route(req: IncomingMessage, url: URL): Promise<SimResponse> {
    const method = req.method ?? 'GET';
    // Every route exists bare and with the /api prefix (the jobs routes are declared with /api already).
    const candidates = [url.pathname];
    if (url.pathname.startsWith('/api/')) candidates.push(url.pathname.slice(4));
    const allowed = new Set<string>();
    for (const p of candidates) {
      for (const route of this.routes()) {
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
          body: () => this.readBody(req),
        };
        try {
          return await route.handler(ctx);
        } catch (err) {
          this.log(`ERROR: Error handling request ${url.pathname}: ${String(err)}`);
          return internalError((req.headers.accept ?? '').includes('text/html'));
        }
      }
    }
    return allowed.size > 0 ? methodNotAllowed([...allowed].sort()) : notFound();
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

  /** `request.json()`: json.loads of the body; raises (→ 500) on malformed JSON. */
  private async json(c: Ctx): Promise<unknown> {
    return pyLoads(await c.body());
  }

  async postPrompt(c: Ctx): Promise<SimResponse> {
    this.log('got prompt');
    const data = await this.json(c);
    return this.submitPrompt(data);
  }

  submitPrompt(data: unknown): SimResponse {
    const life = this.life;
    let number: number | PyFloat;
    if (pyIn('number', data)) {
      const raw = (data as Record<string, unknown>).number;
      const n = typeof raw === 'string' ? Number(raw.trim()) : typeof raw === 'boolean' ? Number(raw) : raw;
      if (typeof n !== 'number' || Number.isNaN(n)) throw new TypeError('could not convert to float');
      number = new PyFloat(n);
    } else {
      number = life.number;
      if (pyIn('front', data) && (data as Record<string, unknown>).front) number = -number;
      life.number += 1;
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
      this.log(`WARNING: invalid prompt: ${pyRepr(valid[1])}`);
      return jsonResponse({ error: valid[1], node_errors: valid[3] }, 400);
    }
    if (this.opts.jobsApi && extraData && typeof extraData === 'object') extraData.create_time = Date.now();
    const item: QueueItem = [number, promptId, promptObj, extraData, valid[2]];
    life.queue.put(item);
    return jsonResponse({ prompt_id: promptId, number, node_errors: valid[3] });
  }

  private getQueue(): SimResponse {
    const [running, pending] = this.life.queue.getCurrentQueue();
    return jsonResponse({ queue_running: running, queue_pending: pending });
  }

  private async postQueue(c: Ctx): Promise<SimResponse> {
    const data = await this.json(c);
    const q = this.life.queue;
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

  interruptPrompt(promptId: unknown): void {
    const life = this.life;
    if (promptId && this.opts.promptScopedInterrupt) {
      const [running] = life.queue.getCurrentQueue();
      if (running.some((i) => i[1] === promptId)) {
        this.log(`Interrupting prompt ${pyStr(promptId)}`);
        life.executor.interruptProcessing();
      } else {
        this.log(`Prompt ${pyStr(promptId)} is not currently running, skipping interrupt`);
      }
      return;
    }
    this.log('Global interrupt (no prompt_id specified)');
    life.executor.interruptProcessing();
  }

  private async postFree(c: Ctx): Promise<SimResponse> {
    const data = await this.json(c);
    if (data === null || typeof data !== 'object' || Array.isArray(data))
      throw new TypeError('no attribute get');
    return emptyResponse();
  }

  private getHistory(c: Ctx): SimResponse {
    const q = c.url.searchParams;
    const pyInt = (s: string) => {
      if (!/^\s*[+-]?\d+\s*$/.test(s))
        throw new TypeError(`invalid literal for int() with base 10: ${pyRepr(s)}`);
      return Number.parseInt(s, 10);
    };
    const maxItems = q.has('max_items') ? pyInt(q.get('max_items')!) : null;
    const offset = q.has('offset') ? pyInt(q.get('offset')!) : -1;
    return jsonResponse(this.life.queue.getHistory(maxItems, offset));
  }

  private getHistoryItem(c: Ctx): SimResponse {
    return jsonResponse(this.life.queue.getHistoryItem(c.params[0]!));
  }

  private async postHistory(c: Ctx): Promise<SimResponse> {
    const data = await this.json(c);
    const q = this.life.queue;
    if (pyIn('clear', data) && (data as Record<string, unknown>).clear) q.wipeHistory();
    if (pyIn('delete', data)) {
      for (const id of pyIter((data as Record<string, unknown>).delete)) q.deleteHistoryItem(String(id));
    }
    return emptyResponse();
  }

  /** `GET /view`: serves the files SaveImage/PreviewImage wrote. */
  private view(c: Ctx): SimResponse {
    const q = c.url.searchParams;
    if (!q.has('filename')) return emptyResponse(404);
    let filename = q.get('filename')!;
    let dir: string | null = null;
    for (const [suffix, d] of [
      ['[output]', this.dirs.outputDir],
      ['[input]', this.dirs.inputDir],
      ['[temp]', this.dirs.tempDir],
    ] as const) {
      if (filename.endsWith(suffix)) {
        filename = filename.slice(0, -(suffix.length + 1));
        dir = d;
        break;
      }
    }
    if (!filename) return emptyResponse(400);
    if (filename.startsWith('/') || filename.includes('..')) return emptyResponse(400);
    if (dir === null) {
      const type = q.get('type') ?? 'output';
      dir =
        type === 'output'
          ? this.dirs.outputDir
          : type === 'temp'
            ? this.dirs.tempDir
            : type === 'input'
              ? this.dirs.inputDir
              : null;
    }
    if (dir === null) return emptyResponse(400);
    if (q.has('subfolder')) {
      const full = path.resolve(dir, q.get('subfolder')!);
      if (full !== dir && !full.startsWith(dir + path.sep)) return emptyResponse(403);
      dir = full;
    }
    const base = path.basename(filename);
    const file = path.join(dir, base);
    if (!existsSync(file) || !statSync(file).isFile()) return emptyResponse(404);
    const st = statSync(file);
    const ext = path.extname(base).toLowerCase();
    const types: Record<string, string> = {
      '.png': 'image/png',
      '.jpg': 'image/jpeg',
      '.jpeg': 'image/jpeg',
      '.webp': 'image/webp',
      '.gif': 'image/gif',
      '.txt': 'text/plain',
      '.json': 'application/json',
    };
    return {
      status: 200,
      headers: {
        'Content-Type': types[ext] ?? 'application/octet-stream',
        'Content-Disposition': `filename="${base}"`,
        'Accept-Ranges': 'bytes',
        'Last-Modified': st.mtime.toUTCString(),
        Etag: `"${Math.floor(st.mtimeMs * 1e6).toString(16)}-${st.size.toString(16)}"`,
      },
      body: readFileSync(file),
    };
  }

  private systemStats(): SimResponse {
    const argv = ['main.py', '--port', String(this.port), '--preview-method', this.opts.previewMethod];
    if (this.opts.corsHeader !== null) argv.push('--enable-cors-header', this.opts.corsHeader);
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
    const [running, pending] = this.life.queue.getCurrentQueue();
    return jsonResponse(listJobs(running, pending, this.life.queue.history, q));
  }

  private jobsGet(c: Ctx): SimResponse {
    const [running, pending] = this.life.queue.getCurrentQueue();
    const job = getJob(c.params[0]!, running, pending, this.life.queue.history);
    return job ? jsonResponse(job) : jsonResponse({ error: 'Job not found' }, 404);
  }

  /** Interrupts a running job only if it is still the running one; dequeues a pending one. */
  cancelJob(id: string): boolean {
    const life = this.life;
    const [running, pending] = life.queue.getCurrentQueue();
    if (running.some((i) => i[1] === id)) {
      life.executor.interruptProcessing();
      return true;
    }
    if (pending.some((i) => i[1] === id)) return life.queue.deleteQueueItem((a) => a[1] === id);
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

interface Ctx {
  req: IncomingMessage;
  url: URL;
  params: string[];
  body(): Promise<string>;
}

/** Starts a simulator; resolves once it listens. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = new SimServer(options);
  sim.resetTemp();
  await sim.listen(sim.opts.port);
  const host = sim.opts.host.includes(':') ? `[${sim.opts.host}]` : sim.opts.host;
  return {
    get url() {
      return `http://${host}:${sim.port}`;
    },
    get port() {
      return sim.port;
    },
    outputDir: sim.dirs.outputDir,
    tempDir: sim.dirs.tempDir,
    close: () => sim.close(),
    restart: (opts) => sim.restart(opts?.downMs ?? 0),
    dropAllSockets: () => sim.dropAll(),
    stallSockets: () => sim.stallAll(),
    refuseConnections: (ms) => sim.refuse(ms),
    submit: async (body) => {
      const r = sim.submitPrompt(pyClone(body));
      return { status: r.status, body: JSON.parse(r.body.toString('utf8')) };
    },
    interrupt: (promptId) => sim.interruptPrompt(promptId),
    state: () => sim.state(),
    waitForIdle: async (timeoutMs = 30_000) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        sim.life.waitIdle(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`simulator not idle after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
    },
  };
}
