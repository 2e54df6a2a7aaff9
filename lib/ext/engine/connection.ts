/**
 * One configured ComfyUI server, as the engine runs it: a thin adapter over `lib/comfy`'s `ComfyClient`
 * (which does all the ComfyUI logic: socket, tracker, adoption, reconciliation, polling, discovery,
 * cancel) that adds only the extension's part: Dexie writes through the coalescing writer, the live
 * channel, output thumbnails, connection-state records, and the engine's callbacks.
 *
 * Invariant: every change of a job is broadcast on the live channel at once (the UI's low-latency path);
 * the database gets it through the writer (coalesced).
 */
import { ComfyClient } from '../../comfy/client';
import { isComfyError } from '../../comfy/errors';
import type { PreviewMethod } from '../../comfy/http';
import { type ApiPrompt, type ConnectionState, isTerminal, type JobState } from '../../comfy/types';
import type { JobRecord, ServerRecord } from '../db';
import { errorText } from '../error-text';
import type { CancelOutcome } from '../protocol';
import { jobKeyOf } from '../storage/repo';
import { type ConnectionDeps, type ConnectionTiming, DEFAULT_TIMING } from './connection-deps';
import { recordServerInfo, writeConnectionState } from './connection-state';
import { toJobState } from './records';
import { storeThumbnail } from './thumbnail';
import { JobWriter } from './writer';

export class ServerConnection {
  readonly client: ComfyClient;
  readonly writer: JobWriter;
  private readonly timing: ConnectionTiming;
  private stopped = false;

  constructor(
    readonly server: ServerRecord,
    private readonly deps: ConnectionDeps,
  ) {
    const timing = { ...DEFAULT_TIMING, ...deps.timing };
    this.timing = timing;
    const { db, clock } = deps;
    const key = (promptId: string) => jobKeyOf(server.id, promptId);
    this.client = new ComfyClient({
      url: server.url,
      token: server.token || undefined,
      // header mode: the DNR rule adds Authorization to the handshake, so the socket URL carries no token
      tokenMode: server.tokenMode,
      clientId: server.clientId,
      WebSocket: deps.WebSocket,
      fetch: deps.fetch,
      clock,
      ...(deps.random ? { random: deps.random } : {}),
      autoConnect: false,
      keepFinished: Number.POSITIVE_INFINITY, // finished jobs are forgotten forgetAfterMs after they ended
      poll: { minMs: timing.pollMinMs, maxMs: timing.pollMaxMs },
      discover: {
        limits: () => {
          const keep = deps.retention?.();
          return keep ? { maxItems: keep.maxJobs, maxAgeMs: keep.maxDays * 86_400_000 } : {};
        },
        known: async (ids) => (await db.jobs.bulkGet(ids.map(key))).map(Boolean),
      },
    });
    this.writer = new JobWriter(
      db,
      server.id,
      clock,
      (f) => deps.onFlushed?.(f),
      timing.flushMs,
      (e) => deps.log?.('write failed', e),
    );
    const c = this.client;
    c.on('job', (job) => this.publish(job));
    c.on('end', (job) => void this.onEnd(key(job.promptId), job));
    // a job that ended while nobody watched is history, not news, unless it ended a moment ago
    c.on('missed', (m) =>
      this.writer.keep(key(m.promptId), {
        createdAt: m.createdAt,
        ...(m.news ? {} : { notifiedAt: clock.now() }),
      }),
    );
    c.on('preview', ({ event, job }) => {
      if (!job) return;
      const jobKey = key(job.promptId);
      deps.onPreviewFrame?.({ jobKey, mime: event.mime, bytes: event.bytes });
      // SaveImageWebsocket sends full-size images as "previews": too big to copy to every page per frame
      if (!deps.previewsEnabled() || event.bytes.byteLength > timing.previewMaxBytes) return;
      const bytes = event.bytes.slice();
      const at = clock.now();
      deps.broadcast({
        kind: 'preview',
        jobKey,
        mime: event.mime,
        bytes: bytes.buffer,
        seq: job.previewCount,
        sentAt: at,
      });
      this.writer.setPreview(jobKey, event.mime, bytes);
    });
    c.on('status', (s) => void this.onState(s));
    c.on('change', () => deps.onActivity());
    c.on('error', (e) => {
      if (isComfyError(e)) deps.log?.('comfy request failed', e);
    });
    c.socket.on('open', () => void recordServerInfo(db, server.id, c.http));
  }

  /** Resumes the jobs the database holds as active, then connects. */
  async start(): Promise<void> {
    const active = await this.deps.db.jobs.where('[serverId+active]').equals([this.server.id, 1]).toArray();
    for (const rec of active) this.writer.remember(rec);
    this.client.restore(active.map(toJobState));
    if (this.stopped) return;
    await this.onState('connecting');
    this.client.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.client.close();
    await this.writer.close();
  }

  reconcile(): Promise<void> {
    return this.client.reconcileNow();
  }

  /**
   * The workflow `promptId` came from, as the tab bridge relayed it (already validated and capped). Kept with
   * the job's record from now on; a job already known is shown and written with it at once.
   */
  nameJob(promptId: string, workflowName: string): void {
    const jobKey = jobKeyOf(this.server.id, promptId);
    this.writer.keep(jobKey, { workflowName });
    const job = this.client.getJob(promptId);
    if (job) this.publish(job);
  }

  /** Queues a prompt with our clientId, so this connection receives its full event stream. */
  submit(prompt: ApiPrompt, previewMethod?: PreviewMethod): Promise<string> {
    return this.client.submit(prompt, { previewMethod: previewMethod ?? null });
  }

  async cancel(promptId: string): Promise<CancelOutcome> {
    const known = this.client.getJob(promptId);
    if (known && isTerminal(known.status) && known.status !== 'lost')
      return { ok: false, reason: 'finished', message: known.status };
    const r = await this.client.cancelJob(promptId).catch((e: unknown) => errorText(e));
    if (typeof r === 'string') return { ok: false, reason: 'error', message: r };
    if (r.cancelled) return { ok: true, method: r.method };
    return r.reason === 'refused'
      ? { ok: false, reason: 'not-found', message: 'the server did not cancel it (finished or unknown)' }
      : { ok: false, reason: 'not-running', message: 'the job is neither running nor queued on the server' };
  }

  /** The record the engine hands to the service worker after a restart of the worker. */
  liveJobs(): JobRecord[] {
    return Object.values(this.client.getJobs()).map((j) => this.writer.liveRecord(j));
  }

  /** A job changed: on the live channel at once, to the database through the writer (the invariant above). */
  private publish(job: JobState): void {
    this.deps.broadcast({ kind: 'job', job: this.writer.liveRecord(job) });
    this.writer.update(job);
  }

  private async onEnd(jobKey: string, job: JobState): Promise<void> {
    const { deps } = this;
    deps.onJobEnded?.(jobKey, job);
    try {
      await this.writer.flush();
      if (job.status === 'success') {
        const stored = await storeThumbnail(
          { ...deps, http: this.client.http, server: this.server, maxBytes: this.timing.thumbMaxBytes },
          jobKey,
          job,
        );
        if (stored) {
          this.writer.keep(jobKey, { thumbKey: stored.thumbKey });
          deps.broadcast({ kind: 'job', job: stored });
        }
      }
    } catch (e) {
      deps.log?.('finishing job failed', e);
    }
    // the worker announces each job once (JobRecord.notifiedAt), so a lost job that later turns out to
    // have succeeded is not announced twice
    deps.onFinished(jobKey);
    deps.clock.setTimeout(() => {
      this.client.forget([job.promptId]);
      if (!this.client.getJob(job.promptId)) this.writer.forget(jobKey);
    }, this.timing.forgetAfterMs);
  }

  private async onState(state: ConnectionState): Promise<void> {
    if (this.stopped && state !== 'offline') return;
    const since = this.deps.clock.now();
    const detail = state === 'connected' ? undefined : this.deps.describe(state, this.client.lastDiagnosis);
    this.deps.broadcast({
      kind: 'connection',
      serverId: this.server.id,
      state,
      since,
      ...(detail ? { detail } : {}),
    });
    if (this.stopped) return;
    await writeConnectionState(this.deps.db, this.server.id, state, since, detail).catch((e) =>
      this.deps.log?.('connection state write failed', e),
    );
  }
}
