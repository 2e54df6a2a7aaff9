// POST /v1/ingest (contract C1): the envelope is judged as a whole (400 / 413), then every record on its
// own, so one bad record cannot sink its batch: each gets `applied`, `unchanged` or `rejected` with a code
// and a message naming the field, in input order.
import type { Context } from 'hono';
import type { z } from 'zod';
import type { Clock } from '../lib/comfy/types';
import {
  IngestEnvelopeSchema,
  type IngestResponse,
  type IngestResult,
  type JobRecord,
  JobRecordSchema,
} from '../lib/sync/schema';
import type { ServerConfig } from './config';
import { type AppEnv, badInput, jsonError, readJsonLimited } from './http';
import type { IngestWriter } from './ingest-writer';

export interface IngestDeps {
  config: ServerConfig;
  clock: Pick<Clock, 'now'>;
  writer: IngestWriter;
  /** The request's key was found revoked by the statement: drop it from the key cache. */
  onRevoked(keyId: number): void;
}

type Rejected = Extract<IngestResult, { status: 'rejected' }>;

/** The record to store, or why it is refused. */
export function judgeRecord(
  raw: unknown,
  index: number,
  now: number,
  maxFutureMs: number,
): { record: JobRecord } | { refused: Rejected } {
  const parsed = JobRecordSchema.safeParse(raw);
  if (!parsed.success) {
    return { refused: { status: 'rejected', code: 'invalid', message: describeIssues(parsed.error, index) } };
  }
  const ahead = parsed.data.updatedAt - now;
  if (ahead > maxFutureMs) {
    const message =
      `records[${index}].updatedAt: ${Math.round(ahead / 1000)} s ahead of the server's clock ` +
      `(at most ${Math.round(maxFutureMs / 1000)} s)`;
    return { refused: { status: 'rejected', code: 'future_timestamp', message } };
  }
  return { record: parsed.data };
}

/** `records[2].error.message: Too big: …`, the first issues of a record, bounded in length. */
function describeIssues(err: z.ZodError, index: number): string {
  const parts = err.issues.slice(0, 3).map((i) => {
    const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    return `records[${index}]${path}: ${i.message}`;
  });
  if (err.issues.length > 3) parts.push(`(${err.issues.length - 3} more)`);
  return parts.join('; ').slice(0, 1000);
}

export async function handleIngest(c: Context<AppEnv>, deps: IngestDeps): Promise<Response> {
  const { config } = deps;
  const limits = { maxRecords: config.ingestMaxRecords, maxBytes: config.ingestMaxBytes };
  const body = await readJsonLimited(c, config.ingestMaxBytes, limits);
  if (!body.ok) return body.res;
  const records = (body.value as { records?: unknown } | null)?.records;
  if (Array.isArray(records) && records.length > config.ingestMaxRecords) {
    return jsonError(
      c,
      413,
      'too_large',
      `A batch holds at most ${config.ingestMaxRecords} records (got ${records.length})`,
      limits,
    );
  }
  const envelope = IngestEnvelopeSchema.safeParse(body.value);
  if (!envelope.success) return badInput(c, envelope.error);

  const now = deps.clock.now();
  const results: (IngestResult | null)[] = [];
  const writes: JobRecord[] = [];
  const writeIndex: number[] = [];
  envelope.data.records.forEach((raw, i) => {
    const judged = judgeRecord(raw, i, now, config.ingestMaxFutureMs);
    if ('refused' in judged) {
      results.push(judged.refused);
    } else {
      results.push(null);
      writes.push(judged.record);
      writeIndex.push(i);
    }
  });

  if (writes.length > 0) {
    const key = c.get('key');
    const outcome = await deps.writer.write(
      key.id,
      writes.map((r) => ({ ...r, source: 'extension' as const, queuedBy: key.name })),
    );
    // The key was revoked after the cached check but before the statement: nothing was written.
    if ('revoked' in outcome) {
      deps.onRevoked(key.id);
      return jsonError(c, 401, 'unauthorized', 'Unknown or revoked API key');
    }
    outcome.results.forEach((r, j) => {
      results[writeIndex[j]!] = r.status === 'rejected' ? prefixed(r, writeIndex[j]!) : r;
    });
  }
  const final = results as IngestResult[];
  const answer: IngestResponse = {
    accepted: final.filter((r) => r.status !== 'rejected').length,
    applied: final.filter((r) => r.status === 'applied').length,
    results: final,
  };
  return c.json(answer);
}

const prefixed = (r: Rejected, index: number): Rejected => ({
  ...r,
  message: `records[${index}]: ${r.message}`,
});
