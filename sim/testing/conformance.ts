/**
 * A TypeScript port of shared/tools/conformance.py: compares a reference trace from the real server with
 * a candidate trace of the same scenario. Per connection role it compares the sequence of event kinds
 * (JSON types, binary types, HTTP statuses) and the field names of each JSON event's data, both ways.
 * `loose` ignores run lengths and skips the first connection of a role that was deliberately dropped.
 */
import type { TraceLine } from './recorder';

export interface ConformanceReport {
  ok: boolean;
  problems: string[];
}

type Tokens = { byConn: Map<string, string[]>; fields: Map<string, Set<string>> };

/** The token of one trace line, or null for lines that are not events. */
export function tokenOf(line: TraceLine): string | null {
  if (line.kind === 'text') {
    const msg = (line.msg ?? {}) as { type?: string; data?: unknown };
    const t = msg.type;
    const data = msg.data as Record<string, unknown> | null | undefined;
    if (t === 'status') {
      const q = (
        (data?.status as Record<string, unknown> | undefined)?.exec_info as
          | Record<string, unknown>
          | undefined
      )?.queue_remaining;
      const sid = data && typeof data === 'object' && 'sid' in data ? ',sid' : '';
      return `status(q=${q === undefined ? 'None' : String(q)}${sid})`;
    }
    if (t === 'executing') {
      const node = data?.node;
      if (node === null || node === undefined) return 'executing(null)';
      return data && 'prompt_id' in data ? 'executing' : 'executing(replay)';
    }
    return String(t);
  }
  if (line.kind === 'binary') return `bin${String(line.event_type)}`;
  if (line.kind === 'http_response') {
    const path = typeof line.path === 'string' ? line.path : '';
    return `http ${path ? (path.split('/')[1] ?? '') : ''} ${String(line.status)}`;
  }
  return null;
}

function tokens(lines: TraceLine[]): Tokens {
  const byConn = new Map<string, string[]>();
  const fields = new Map<string, Set<string>>();
  for (const line of lines) {
    const tok = tokenOf(line);
    if (tok === null) continue;
    if (line.kind === 'text') {
      const msg = (line.msg ?? {}) as { type?: string; data?: unknown };
      if (msg.data && typeof msg.data === 'object' && !Array.isArray(msg.data)) {
        const key = `${line.conn}\u0000${String(msg.type)}`;
        const set = fields.get(key) ?? new Set<string>();
        for (const k of Object.keys(msg.data)) set.add(k);
        fields.set(key, set);
      }
    }
    const seq = byConn.get(line.conn) ?? [];
    seq.push(tok);
    byConn.set(line.conn, seq);
  }
  return { byConn, fields };
}

export function collapse(seq: string[]): [string, number][] {
  const out: [string, number][] = [];
  for (const t of seq) {
    const last = out[out.length - 1];
    if (last && last[0] === t) last[1]++;
    else out.push([t, 1]);
  }
  return out;
}

const fmt = (runs: [string, number][]) => JSON.stringify(runs);

export function compareTraces(
  reference: TraceLine[],
  candidate: TraceLine[],
  loose = false,
): ConformanceReport {
  const r = tokens(reference);
  const c = tokens(candidate);
  const problems: string[] = [];
  const conns = [...new Set([...r.byConn.keys(), ...c.byConn.keys()])].sort();
  for (const conn of conns) {
    let a = r.byConn.get(conn) ?? [];
    let b = c.byConn.get(conn) ?? [];
    if (loose) {
      if (r.byConn.has(`${conn}#2`)) continue;
      a = collapse(a).map(([t]) => t);
      b = collapse(b).map(([t]) => t);
    }
    if (a.length === b.length && a.every((t, i) => t === b[i])) continue;
    const ca = collapse(a);
    const cb = collapse(b);
    let i = 0;
    while (i < Math.min(ca.length, cb.length) && ca[i]![0] === cb[i]![0] && ca[i]![1] === cb[i]![1]) i++;
    problems.push(
      `${conn}: sequences differ at step ${i}: real ${fmt(ca.slice(i, i + 4))} vs candidate ${fmt(cb.slice(i, i + 4))} (real ${a.length} events, candidate ${b.length})`,
    );
  }
  const keys = [...new Set([...r.fields.keys(), ...c.fields.keys()])].sort();
  for (const key of keys) {
    const [conn, type] = key.split('\u0000') as [string, string];
    if (conn === 'http') continue;
    const cf = c.fields.get(key);
    if (!cf) continue;
    const rf = r.fields.get(key) ?? new Set<string>();
    const missing = [...rf].filter((f) => !cf.has(f)).sort();
    if (missing.length > 0)
      problems.push(`${conn} ${type}: fields missing in candidate: ${JSON.stringify(missing)}`);
    // Stricter than conformance.py, which reports only missing fields: the field set must match.
    const extra = r.fields.has(key) ? [...cf].filter((f) => !rf.has(f)).sort() : [];
    if (extra.length > 0)
      problems.push(`${conn} ${type}: fields not in the real trace: ${JSON.stringify(extra)}`);
  }
  return { ok: problems.length === 0, problems };
}

// ---- derived references -----------------------------------------------------------------------------
// Roles the real traces do not record for every workflow, derived from a recorded trace by rules that
// the protocol reference states as observed on the wire (comfyui-protocol.md §5, §12). Each derivation is
// pinned against a real trace where one exists.

const isText = (l: TraceLine, type: string) =>
  l.kind === 'text' && (l.msg as { type?: string })?.type === type;

/**
 * The same scenario with `feature_flags {supports_preview_metadata: true}` sent first
 * (comfyui-protocol.md §12): the reply follows the greeting `status`, and every step's type-1 preview after
 * `progress` becomes a type-4 preview before it (comfyui-protocol.md §5: `progress_state` → [type 4] →
 * `progress` → [type 1]). Nothing else changes.
 */
export function withFeatureFlags(reference: TraceLine[], reply: TraceLine, conn = 'submitter'): TraceLine[] {
  const out: TraceLine[] = [];
  let greeted = false;
  for (const line of reference) {
    if (line.conn !== conn) {
      out.push(line);
      continue;
    }
    if (line.kind === 'binary' && line.event_type === 1) {
      const progressAt = out.length - 1;
      const prev = out[progressAt];
      if (!prev || !isText(prev, 'progress')) throw new Error('type-1 preview without its progress');
      out.splice(progressAt, 0, { ...line, event_type: 4 });
      continue;
    }
    out.push(line);
    if (!greeted && isText(line, 'status')) {
      out.push({ ...reply, conn });
      greeted = true;
    }
  }
  return out;
}

/**
 * Adds an observer (another clientId, connected before the prompt) to a scenario whose prompt carries
 * the submitter's client_id: it gets only `status`, the greeting and every queue broadcast
 * (comfyui-protocol.md §3, §12: "any other socket gets only `status`, for a success, a failure and an
 * interrupt alike").
 */
export function withObserver(reference: TraceLine[], submitter = 'submitter'): TraceLine[] {
  const statuses = reference
    .filter((l) => l.conn === submitter && isText(l, 'status'))
    .map((l): TraceLine => ({ ...l, conn: 'observer' }));
  return [...reference, ...statuses];
}

/**
 * Events the server sends only to the prompt's client_id, so nobody at all when it has none
 * (comfyui-protocol.md §3).
 */
const CLIENT_ONLY = new Set([
  'execution_start',
  'execution_cached',
  'executing',
  'executed',
  'execution_success',
  'execution_error',
]);

/**
 * The same scenario posted without a client_id (comfyui-protocol.md §3, §12): the submitter's socket keeps
 * only the broadcasts (status, progress, progress_state, type-1 previews, execution_interrupted), and an
 * observer connected beside it gets exactly the same.
 */
export function withoutClientId(reference: TraceLine[], submitter = 'submitter'): TraceLine[] {
  const kept = reference.filter(
    (l) =>
      l.conn !== submitter ||
      !(l.kind === 'text' && CLIENT_ONLY.has((l.msg as { type?: string })?.type ?? '')),
  );
  const observer = kept
    .filter((l) => l.conn === submitter)
    .map((l): TraceLine => ({ ...l, conn: 'observer' }));
  return [...kept, ...observer];
}
