// Cuts a job record to the ingest limits before it is queued, so the server never refuses it for its size.
// Whatever is cut says so where a reader will look: `… [truncated N chars]` at the end of a text,
// `… [truncated N lines]` as the first traceback line (the innermost frames, at the end, are kept),
// `… [truncated N items]` as the last entry of an output list. Identifiers cannot carry a marker without
// changing meaning, so an over-long one keeps its start and gets a hash of the whole, which keeps two
// different long ids apart and the same id stable across versions (the outbox coalesces on it).
import {
  type JobRecord,
  MAX_ID,
  MAX_MESSAGE,
  MAX_NODES,
  MAX_OUTPUT_DEPTH,
  MAX_OUTPUT_NODES,
  MAX_SERVER,
  MAX_TRACEBACK_ENTRIES,
  MAX_TRACEBACK_ENTRY,
  nestingWithin,
} from './schema';

/**
 * The uploader's own budgets (the server checks only the schema's limits and its request size): one
 * record's JSON in UTF-8 bytes, well below the server's default `INGEST_MAX_BYTES` (5 MiB) so that any
 * record fits a batch of one; and its outputs' JSON in characters, since output lists grow without bound
 * (a batch of 10,000 images) and the server stores them whole.
 */
export const MAX_RECORD_BYTES = 1_000_000;
export const MAX_OUTPUTS_CHARS = 100_000;

const ELLIPSIS = '…';
const TOO_DEEP = `${ELLIPSIS} [truncated: nested deeper than ${MAX_OUTPUT_DEPTH} levels]`;

export function truncationMarker(
  count: number,
  unit: 'chars' | 'lines' | 'items' | 'keys' | 'nodes',
): string {
  return `${ELLIPSIS} [truncated ${count} ${unit}]`;
}

/** Never ends on the first half of a surrogate pair (the server would store U+FFFD there). */
function cutAt(s: string, n: number): string {
  const code = s.charCodeAt(n - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? n - 1 : n);
}

/** `s` if it fits `max` characters, else its start and a marker saying how much was cut, `max` in all. */
export function fitText(s: string, max: number): string {
  if (s.length <= max) return s;
  // The marker's length depends on the count it names; one correction settles it.
  let keep = max - truncationMarker(s.length - max, 'chars').length;
  keep = max - truncationMarker(s.length - keep, 'chars').length;
  const kept = cutAt(s, Math.max(0, keep));
  return kept + truncationMarker(s.length - kept.length, 'chars');
}

/** 64 bits of FNV-1a (two 32-bit lanes), hex: enough to keep distinct long ids apart. */
function hash64(s: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/** An identifier that fits `max`: unchanged if it fits, else its start, `…` and a hash of the whole. */
export function fitId(s: string, max = MAX_ID): string {
  if (s.length <= max) return s;
  return `${cutAt(s, max - 17)}${ELLIPSIS}${hash64(s)}`;
}

const LINES_MARKER = /^… \[truncated (\d+) lines\]$/;

/** The last `maxLines - 1` lines under a marker that counts every line cut so far, this time included. */
function fitTraceback(lines: string[], maxLines: number, maxLine: number): string[] {
  const fitted = lines.map((l) => fitText(l, maxLine));
  if (fitted.length <= maxLines) return fitted;
  const earlier = LINES_MARKER.exec(fitted[0] ?? '');
  const body = earlier ? fitted.slice(1) : fitted;
  const kept = body.slice(body.length - (maxLines - 1));
  return [truncationMarker(body.length - kept.length + Number(earlier?.[1] ?? 0), 'lines'), ...kept];
}

const jsonLength = (v: unknown) => JSON.stringify(v).length;

/**
 * Lists keep `items` entries and a marker; texts `chars`; objects `items` keys and a marker key; a list or
 * object `depth` levels down becomes a marker text.
 */
function capValue(v: unknown, items: number, chars: number, depth: number): unknown {
  if (typeof v === 'string') return fitText(v, chars);
  if (v === null || typeof v !== 'object') return v;
  if (depth <= 0) return TOO_DEEP;
  if (Array.isArray(v)) {
    const kept = v.slice(0, items).map((x) => capValue(x, items, chars, depth - 1));
    return v.length > items ? [...kept, truncationMarker(v.length - items, 'items')] : kept;
  }
  const entries = Object.entries(v);
  const out: Record<string, unknown> = {};
  for (const [k, x] of entries.slice(0, items)) out[k] = capValue(x, items, chars, depth - 1);
  if (entries.length > items) out[ELLIPSIS] = truncationMarker(entries.length - items, 'keys');
  return out;
}

type Outputs = JobRecord['outputs'];

function outputsFit(o: Outputs, maxChars: number): boolean {
  const nodes = Object.keys(o);
  return (
    nodes.length <= MAX_OUTPUT_NODES &&
    nodes.every((k) => k.length <= MAX_ID) &&
    nestingWithin(o, MAX_OUTPUT_DEPTH) &&
    jsonLength(o) <= maxChars
  );
}

/**
 * Outputs within the schema's limits (node count, nesting) and `maxChars` of JSON. Too-deep values become
 * a marker; then lists, texts and key sets are capped harder until they fit; as a last resort trailing
 * output nodes are left out, and a marker node (no file lists, so every reader skips it) says how many.
 */
export function fitOutputs(outputs: Outputs, maxChars = MAX_OUTPUTS_CHARS): Outputs {
  if (outputsFit(outputs, maxChars)) return outputs;
  let capped: Outputs = outputs;
  for (const items of [Number.POSITIVE_INFINITY, 1000, 100, 10, 1]) {
    capped = {};
    for (const [node, out] of Object.entries(outputs)) {
      // An output node sits one level below the outputs map.
      const chars = Math.max(200, items * 20);
      capped[fitId(node)] = capValue(out, items, chars, MAX_OUTPUT_DEPTH - 1) as Record<string, unknown>;
    }
    if (outputsFit(capped, maxChars)) return capped;
  }
  const nodes = Object.entries(capped);
  const kept: Outputs = {};
  const reserve = 100; // room for the marker node
  let size = 2;
  let n = 0;
  for (const [node, out] of nodes) {
    const add = jsonLength(node) + jsonLength(out) + 2;
    if (size + add > maxChars - reserve || n >= MAX_OUTPUT_NODES - 1) break;
    kept[node] = out;
    size += add;
    n++;
  }
  kept[ELLIPSIS] = { note: truncationMarker(nodes.length - n, 'nodes') };
  return kept;
}

const utf8 = new TextEncoder();
/** Whether the record's JSON exceeds `maxBytes` of UTF-8; encodes only when the length alone cannot tell. */
function overBudget(r: JobRecord, maxBytes: number): boolean {
  const json = JSON.stringify(r);
  if (json.length * 3 <= maxBytes) return false; // a UTF-16 unit never takes more than 3 UTF-8 bytes
  return utf8.encode(json).length > maxBytes;
}

/** Each field within the schema's limits (see the header). */
function fitFields(r: JobRecord): JobRecord {
  const nodes = (r.nodes.length > MAX_NODES ? r.nodes.slice(0, MAX_NODES) : r.nodes).map((n) => ({
    ...n,
    nodeId: fitId(n.nodeId),
    ...(n.displayNodeId !== undefined && { displayNodeId: fitId(n.displayNodeId) }),
    ...(n.classType !== undefined && { classType: fitText(n.classType, MAX_ID) }),
  }));
  const e = r.error;
  return {
    ...r,
    server: fitId(r.server, MAX_SERVER),
    promptId: fitId(r.promptId),
    ...(r.clientId !== undefined && { clientId: fitId(r.clientId) }),
    ...(r.user !== undefined && { user: fitText(r.user, MAX_ID) }),
    currentNode: r.currentNode === null ? null : fitId(r.currentNode),
    outputs: fitOutputs(r.outputs),
    ...(e && {
      error: {
        ...e,
        ...(e.nodeId !== undefined && { nodeId: fitId(e.nodeId) }),
        ...(e.nodeType !== undefined && { nodeType: fitText(e.nodeType, MAX_ID) }),
        ...(e.exceptionType !== undefined && { exceptionType: fitText(e.exceptionType, MAX_ID) }),
        message: fitText(e.message, MAX_MESSAGE),
        traceback: fitTraceback(e.traceback, MAX_TRACEBACK_ENTRIES, MAX_TRACEBACK_ENTRY),
      },
    }),
    nodes,
  };
}

/**
 * The record cut to the ingest limits, and to `maxBytes` of JSON in all (so one record always fits a
 * batch): beyond the per-field limits the traceback, then the texts, then the outputs, then the node runs
 * give way, in that order, each with its marker. A record that fits is returned as it is.
 */
export function fitRecord(record: JobRecord, maxBytes = MAX_RECORD_BYTES): JobRecord {
  let r = fitFields(record);
  const shrinks: ((r: JobRecord) => JobRecord | null)[] = [
    (r) =>
      r.error && r.error.traceback.length > 2
        ? {
            ...r,
            error: {
              ...r.error,
              traceback: fitTraceback(r.error.traceback, Math.ceil(r.error.traceback.length / 2), Infinity),
            },
          }
        : null,
    (r) =>
      r.error && (r.error.message.length > 2000 || r.error.traceback.some((l) => l.length > 2000))
        ? {
            ...r,
            error: {
              ...r.error,
              message: fitText(r.error.message, 2000),
              traceback: r.error.traceback.map((l) => fitText(l, 2000)),
            },
          }
        : null,
    (r) => (jsonLength(r.outputs) > 10_000 ? { ...r, outputs: fitOutputs(r.outputs, 10_000) } : null),
    (r) => (r.nodes.length > 1 ? { ...r, nodes: r.nodes.slice(0, Math.floor(r.nodes.length / 2)) } : null),
  ];
  for (const shrink of shrinks) {
    for (let next = overBudget(r, maxBytes) ? shrink(r) : null; next; ) {
      r = next;
      next = overBudget(r, maxBytes) ? shrink(r) : null;
    }
  }
  return r;
}
