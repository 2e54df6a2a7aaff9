/**
 * Test helper: loads the recorded ComfyUI traces in `fixtures/traces/*.jsonl` (format in that folder's
 * README) as the frames a socket would have received. Node-only (reads files); not part of the
 * published library.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TRACES_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/traces');

export const TRACE_NAMES = ['ok', 'cached', 'ok-feature-flags', 'fail', 'no-client-id', 'reconnect'] as const;
export type TraceName = (typeof TRACE_NAMES)[number];

/** One line of a trace, as recorded. */
export interface TraceLine {
  t_ms: number;
  dt_ms: number;
  conn: string;
  kind: string;
  msg?: unknown;
  head_b64?: string;
  event_type?: number;
  byte_length?: number;
  path?: string;
  method?: string;
  status?: number;
  body?: unknown;
  [extra: string]: unknown;
}

/** A frame as the socket delivered it: text as the JSON string, binary as an ArrayBuffer. */
export interface TraceFrame {
  conn: string;
  t_ms: number;
  dt_ms: number;
  data: string | ArrayBuffer;
  line: TraceLine;
}

export function parseTraceJsonl(text: string): TraceLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as TraceLine);
}

export function loadTraceLines(name: TraceName | string): TraceLine[] {
  return parseTraceJsonl(readFileSync(join(TRACES_DIR, `${name}.jsonl`), 'utf8'));
}

/** Decodes base64 into a fresh, exactly-sized ArrayBuffer (no pooled Node Buffer memory). */
export function base64ToArrayBuffer(b64: string): ArrayBuffer {
  const buf = Buffer.from(b64, 'base64');
  const out = new ArrayBuffer(buf.byteLength);
  new Uint8Array(out).set(buf);
  return out;
}

/**
 * The socket frames of a trace in recorded order. `conns` filters by connection (e.g.
 * `['submitter', 'submitter#2']` to follow one client across a reconnect); omit it for every socket.
 */
export function traceFrames(lines: TraceLine[], conns?: readonly string[]): TraceFrame[] {
  const frames: TraceFrame[] = [];
  for (const line of lines) {
    if (conns && !conns.includes(line.conn)) continue;
    const data = frameData(line);
    if (data !== null) frames.push({ conn: line.conn, t_ms: line.t_ms, dt_ms: line.dt_ms, data, line });
  }
  return frames;
}

/** The socket payload of a `text` or `binary` line; null for every other kind of line. */
export function frameData(line: TraceLine): string | ArrayBuffer | null {
  if (line.kind === 'text') return JSON.stringify(line.msg);
  if (line.kind === 'binary' && typeof line.head_b64 === 'string') return base64ToArrayBuffer(line.head_b64);
  return null;
}

export function loadTraceFrames(name: TraceName | string, conns?: readonly string[]): TraceFrame[] {
  return traceFrames(loadTraceLines(name), conns);
}

/** The prompt id the server returned for `POST /prompt` in this trace. */
export function tracePromptId(lines: TraceLine[]): string {
  const res = lines.find((l) => l.kind === 'http_response' && l.path === '/prompt' && l.status === 200);
  const id = (res?.body as { prompt_id?: unknown } | undefined)?.prompt_id;
  if (typeof id !== 'string') throw new Error('trace has no successful POST /prompt response');
  return id;
}

/** The `GET /history/{id}` entry recorded at the end of the trace (prompt tuple, outputs, status). */
export function traceHistoryEntry(lines: TraceLine[]): {
  prompt: [
    number,
    string,
    Record<string, { class_type: string; inputs: Record<string, unknown> }>,
    ...unknown[],
  ];
  outputs: Record<string, unknown>;
  status: { status_str: string; completed: boolean; messages: [string, unknown][] };
} {
  const id = tracePromptId(lines);
  const res = lines.find((l) => l.kind === 'http_response' && l.path === `/history/${id}`);
  const entry = (res?.body as Record<string, unknown> | undefined)?.[id];
  if (!entry) throw new Error(`trace has no history entry for ${id}`);
  return entry as ReturnType<typeof traceHistoryEntry>;
}
