/**
 * A TypeScript port of shared/tools/record.py: connects like a client, submits one workflow and
 * records every frame and HTTP exchange as trace lines in the format of fixtures/traces/README.md.
 * Roles: submitter, observer (another clientId), no client_id, feature flags first, interrupt after N
 * progress messages, same-clientId reconnect after N progress messages with a gap.
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';

export interface TraceLine {
  t_ms: number;
  dt_ms: number;
  conn: string;
  kind: 'ws_open' | 'text' | 'binary' | 'ws_closed' | 'http_request' | 'http_response' | 'note';
  [field: string]: unknown;
}

export interface RecordOptions {
  /** `http://host:port` of the server. */
  baseUrl: string;
  workflow: Record<string, { class_type: string; inputs: Record<string, unknown> }>;
  /** Input overrides like record.py's `--set 2.seed=1`: `{ '2.seed': 1 }`. */
  set?: Record<string, unknown>;
  clientId?: string;
  /** Sent as the first WS message: `{type:'feature_flags', data}`. */
  featureFlags?: Record<string, unknown>;
  origin?: string;
  noClientId?: boolean;
  promptId?: string;
  observer?: boolean;
  interruptAfter?: number;
  interruptGlobal?: boolean;
  reconnectAfter?: number;
  reconnectGapMs?: number;
  /** Wait before POST /prompt so the greeting frames arrive (record.py: 300 ms). */
  settleMs?: number;
  lingerMs?: number;
  historyGraceMs?: number;
  historyPollMs?: number;
  timeoutMs?: number;
  /** Keep only the first N bytes of binary frames in `head_b64` (default: the whole frame). */
  headBytes?: number;
  /** GET /history/{id} and /queue at the end (default true). */
  history?: boolean;
}

export interface RecordResult {
  lines: TraceLine[];
  /** The terminal event type, `missed(history:<status_str>)`, or null on timeout / HTTP error. */
  result: string | null;
  promptId: string | null;
  clientId: string;
  progressMessages: number;
}

const TERMINAL = new Set(['execution_success', 'execution_error', 'execution_interrupted']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A small HTTP client that can set `Origin` (fetch treats it as a forbidden header in some runtimes). */
export function httpJson(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, baseUrl);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = httpRequest(
      url,
      {
        method,
        headers: {
          ...(payload !== undefined
            ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }
            : {}),
          ...headers,
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export function decodeBinary(data: Buffer, headBytes?: number): Record<string, unknown> {
  const out: Record<string, unknown> = {
    byte_length: data.length,
    head_b64: data.subarray(0, headBytes ?? data.length).toString('base64'),
  };
  if (data.length >= 4) {
    const type = data.readUInt32BE(0);
    out.event_type = type;
    if (type === 1 && data.length >= 8) {
      const fmt = data.readUInt32BE(4);
      out.image_format = fmt === 1 ? 'JPEG' : fmt === 2 ? 'PNG' : fmt;
      out.image_bytes = data.length - 8;
    } else if (type === 4 && data.length >= 8) {
      const len = data.readUInt32BE(4);
      try {
        out.metadata = JSON.parse(data.subarray(8, 8 + len).toString('utf8'));
      } catch (e) {
        out.metadata_error = String(e);
      }
      out.image_bytes = data.length - 8 - len;
    }
  }
  return out;
}

export async function record(opts: RecordOptions): Promise<RecordResult> {
  const t0 = Date.now();
  const lines: TraceLine[] = [];
  const write = (conn: string, kind: TraceLine['kind'], fields: Record<string, unknown> = {}) => {
    const now = Date.now();
    lines.push({ t_ms: now, dt_ms: Math.round((now - t0) * 10) / 10, conn, kind, ...fields });
  };
  const prompt = structuredClone(opts.workflow);
  for (const [key, val] of Object.entries(opts.set ?? {})) {
    const [node, input] = key.split('.', 2) as [string, string];
    prompt[node]!.inputs[input] = val;
  }
  const clientId = opts.clientId ?? randomUUID().replaceAll('-', '');
  const wsBase = opts.baseUrl.replace(/^http/, 'ws');
  const originHeaders: Record<string, string> = opts.origin ? { Origin: opts.origin } : {};
  const state = {
    promptId: null as string | null,
    progressCount: 0,
    seenProgress: new Map<string | null, number>(),
    seenTerminal: new Map<string | null, string>(),
    terminal: null as string | null,
    done: false,
  };
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const l of [...listeners]) l();
  };
  const sync = () => {
    if (state.promptId === null) return;
    state.progressCount = state.seenProgress.get(state.promptId) ?? 0;
    const t = state.seenTerminal.get(state.promptId);
    if (t && !state.done) {
      state.terminal = t;
      state.done = true;
    }
    notify();
  };
  const waitFor = (pred: () => boolean, timeoutMs: number) =>
    new Promise<boolean>((resolve) => {
      if (pred()) return resolve(true);
      const timer = setTimeout(() => {
        listeners.delete(check);
        resolve(false);
      }, timeoutMs);
      const check = () => {
        if (pred()) {
          clearTimeout(timer);
          listeners.delete(check);
          resolve(true);
        }
      };
      listeners.add(check);
    });

  const sockets = new Map<string, WebSocket>();
  const closed = new Map<string, Promise<void>>();
  const openSocket = (conn: string, id: string, role: 'submitter' | 'observer') =>
    new Promise<void>((resolve) => {
      const url = `${wsBase}/ws?clientId=${id}`;
      const ws = new WebSocket(url, { headers: originHeaders, perMessageDeflate: false });
      sockets.set(conn, ws);
      closed.set(
        conn,
        new Promise((r) => {
          ws.on('close', (code) => {
            write(conn, 'ws_closed', { close_code: code });
            r();
          });
        }),
      );
      ws.on('error', (err) => {
        write(conn, 'note', { ws_error: String(err) });
        resolve();
      });
      ws.on('open', () => {
        write(conn, 'ws_open', { url, client_id: id });
        if (opts.featureFlags) {
          const ff = { type: 'feature_flags', data: opts.featureFlags };
          ws.send(JSON.stringify(ff));
          write(conn, 'note', { sent: ff });
        }
        resolve();
      });
      ws.on('message', (data, isBinary) => {
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
        if (isBinary) {
          write(conn, 'binary', decodeBinary(buf, opts.headBytes));
          return;
        }
        const text = buf.toString('utf8');
        let msg: { type?: string; data?: Record<string, unknown> };
        try {
          msg = JSON.parse(text);
        } catch {
          write(conn, 'text', { raw: text });
          return;
        }
        write(conn, 'text', { msg });
        if (role !== 'submitter') return;
        const pid = (msg.data && typeof msg.data === 'object' ? msg.data.prompt_id : null) as string | null;
        if (msg.type === 'progress')
          state.seenProgress.set(pid ?? null, (state.seenProgress.get(pid ?? null) ?? 0) + 1);
        if (msg.type && TERMINAL.has(msg.type)) state.seenTerminal.set(pid ?? null, msg.type);
        if (msg.type === 'progress' || (msg.type && TERMINAL.has(msg.type))) sync();
      });
    });
  const closeSocket = async (conn: string) => {
    const ws = sockets.get(conn);
    if (!ws) return;
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
    await Promise.race([closed.get(conn), sleep(2000)]);
  };

  write('recorder', 'note', {
    workflow: 'inline',
    client_id: clientId,
    options: { ...opts, workflow: undefined },
  });
  const initial = [openSocket('submitter', clientId, 'submitter')];
  if (opts.observer) initial.push(openSocket('observer', randomUUID().replaceAll('-', ''), 'observer'));
  await Promise.all(initial);
  await sleep(opts.settleMs ?? 300);

  const body: Record<string, unknown> = { prompt };
  if (!opts.noClientId) body.client_id = clientId;
  if (opts.promptId) body.prompt_id = opts.promptId;
  write('http', 'http_request', { method: 'POST', path: '/prompt', body_keys: Object.keys(body).sort() });
  const r = await httpJson(opts.baseUrl, 'POST', '/prompt', body, originHeaders);
  let rj: unknown;
  try {
    rj = JSON.parse(r.text);
  } catch {
    rj = r.text;
  }
  write('http', 'http_response', { path: '/prompt', status: r.status, body: rj });
  if (r.status !== 200) {
    await sleep(opts.lingerMs ?? 1000);
    await Promise.all([...sockets.keys()].map(closeSocket));
    return { lines, result: null, promptId: null, clientId, progressMessages: 0 };
  }
  state.promptId = (rj as { prompt_id: string }).prompt_id;
  sync();

  let reconnectSettled = opts.reconnectAfter === undefined;
  const stop = { stopped: false };
  const helpers: Promise<unknown>[] = [];
  const waitProgress = async (n: number) => {
    await waitFor(() => state.progressCount >= n || state.done || stop.stopped, opts.timeoutMs ?? 120_000);
    return state.progressCount >= n && !state.done;
  };
  if (opts.interruptAfter !== undefined) {
    helpers.push(
      (async () => {
        if (!(await waitProgress(opts.interruptAfter!))) return;
        const ib = opts.interruptGlobal ? undefined : { prompt_id: state.promptId };
        write('http', 'http_request', { method: 'POST', path: '/interrupt', body: ib ?? null });
        const ir = await httpJson(opts.baseUrl, 'POST', '/interrupt', ib, originHeaders);
        write('http', 'http_response', { path: '/interrupt', status: ir.status, body: ir.text });
      })(),
    );
  }
  if (opts.reconnectAfter !== undefined) {
    helpers.push(
      (async () => {
        if (await waitProgress(opts.reconnectAfter!)) {
          write('recorder', 'note', { action: 'closing submitter ws for reconnect' });
          await closeSocket('submitter');
          await sleep(opts.reconnectGapMs ?? 1000);
          write('recorder', 'note', { action: 'reconnecting with same clientId' });
          await openSocket('submitter#2', clientId, 'submitter');
          await sleep(500);
        }
        reconnectSettled = true;
      })(),
    );
  }
  // The terminal frame may never reach us (gap, or no client_id): watch /history/{id}.
  helpers.push(
    (async () => {
      while (!state.done && !stop.stopped) {
        await sleep(opts.historyPollMs ?? 500);
        if (!reconnectSettled || state.done || stop.stopped) continue;
        const hr = await httpJson(opts.baseUrl, 'GET', `/history/${state.promptId}`);
        const hj = JSON.parse(hr.text) as Record<
          string,
          { status?: { status_str?: string; messages?: [string][] } }
        >;
        const entry = hj[state.promptId!];
        if (entry && !state.done) {
          if (await waitFor(() => state.done, opts.historyGraceMs ?? 1500)) return;
          const st = entry.status ?? {};
          write('recorder', 'note', {
            terminal_missed: true,
            history_status: st.status_str,
            history_messages: (st.messages ?? []).map((m) => m[0]),
          });
          state.terminal = `missed(history:${st.status_str})`;
          state.done = true;
          notify();
        }
      }
    })(),
  );

  const finished = await waitFor(() => state.done, opts.timeoutMs ?? 120_000);
  if (finished) await sleep(opts.lingerMs ?? 1000);
  else write('recorder', 'note', { timeout_s: (opts.timeoutMs ?? 120_000) / 1000 });
  stop.stopped = true;
  notify();
  await Promise.all([...sockets.keys()].map(closeSocket));
  await Promise.allSettled(helpers);
  if (opts.history !== false && state.promptId) {
    for (const p of [`/history/${state.promptId}`, '/queue']) {
      const hr = await httpJson(opts.baseUrl, 'GET', p, undefined, originHeaders);
      write('http', 'http_response', {
        method: 'GET',
        path: p,
        status: hr.status,
        body: JSON.parse(hr.text),
      });
    }
  }
  write('recorder', 'note', { result: state.terminal, prompt_id: state.promptId });
  return {
    lines,
    result: state.terminal,
    promptId: state.promptId,
    clientId,
    progressMessages: state.progressCount,
  };
}

export const parseJsonl = (text: string): TraceLine[] =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as TraceLine);
