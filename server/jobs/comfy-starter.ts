// Job start for automations: submit to a configured ComfyUI server with lib/comfy's ComfyClient (one per
// server and process, its own clientId so instances never evict each other's sockets), then mirror the
// tracker's view of the job into PostgreSQL (progress throttled, every status change and the outcome at
// once), keep the latest preview, and call the webhook when the job ends.
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { ComfyClient } from '../../lib/comfy/client';
import { BadWorkflow, isComfyError, type NodeErrorEntry } from '../../lib/comfy/errors';
import type { PreviewMethod } from '../../lib/comfy/http';
import { reconcile } from '../../lib/comfy/reconcile';
import { initialTrackerState, reduceTracker, type TrackerState } from '../../lib/comfy/tracker';
import {
  type Clock,
  type FetchLike,
  isTerminal,
  type JobState,
  type WebSocketCtor,
} from '../../lib/comfy/types';
import { jobToRecord } from '../../lib/sync/schema';
import type { ServerConfig } from '../config';
import type { Database } from '../db/database';
import {
  claimWebhook,
  getJob,
  orphanedApiJobs,
  savePreview,
  setWebhookStatus,
  upsertJobs,
} from '../repo/jobs';
import type { JobStarter, SubmitRequest, SubmitResult } from './starter';
import { deliverWebhook, guardedSender, type WebhookSender } from './webhook';

export interface ComfyStarterDeps {
  db: Database;
  config: ServerConfig;
  clock: Clock;
  fetch: FetchLike;
  WebSocket?: WebSocketCtor;
  /** Delivers webhooks; by default node:http through the webhook policy of the config. */
  webhookSend?: WebhookSender;
  /** Minimum gap between two progress writes of one job. */
  progressEveryMs?: number;
  /** Minimum gap between two stored previews of one job. */
  previewEveryMs?: number;
  /** How often adopted jobs are reconciled over HTTP. Default min(5 s, orphan age / 4). */
  adoptedPollMs?: number;
  log?: (msg: string) => void;
}

/** The labels a job was started with, written with every version of it. */
type JobLabels = Pick<SubmitRequest, 'workflowName' | 'client'>;

const labelsOf = (req: JobLabels): JobLabels => ({
  ...(req.workflowName !== undefined && { workflowName: req.workflowName }),
  ...(req.client !== undefined && { client: req.client }),
});

interface Tracked {
  server: string;
  queuedBy: string;
  labels: JobLabels;
  webhook?: string;
  lastWriteAt: number;
  lastStatus: string;
  /** Revision of the last write; strictly increasing so no write of ours is ever dropped as "not newer". */
  lastRevision: number;
  writeTimer: unknown;
  chain: Promise<unknown>;
  lastPreviewAt: number;
  ended: boolean;
}

export class ComfyJobStarter implements JobStarter {
  private readonly clients = new Map<string, ComfyClient>();
  private readonly tracked = new Map<string, Tracked>();
  /** node_errors of a 200 from /prompt (outputs ComfyUI dropped), until submit() returns them. */
  private readonly partialNodeErrors = new Map<string, Record<string, NodeErrorEntry>>();
  private readonly progressEveryMs: number;
  private readonly previewEveryMs: number;
  private readonly log: (msg: string) => void;
  private closed = false;
  private readonly pendingWork = new Set<Promise<unknown>>();
  /** Orphans followed over HTTP only (no live events reach us: another clientId queued them). */
  private adopted = new Map<
    string,
    { server: string; queuedBy: string; revision: number; state: TrackerState }
  >();
  private adoptTimer: unknown = null;
  private pollTimer: unknown = null;
  private readonly orphanAfterMs: number;
  private readonly adoptedPollMs: number;
  private readonly webhookSend: WebhookSender;

  constructor(private readonly deps: ComfyStarterDeps) {
    this.progressEveryMs = deps.progressEveryMs ?? 500;
    this.previewEveryMs = deps.previewEveryMs ?? 1000;
    this.log = deps.log ?? ((m) => console.error(m));
    // An API job nobody has written for this long is adopted (its instance stopped or crashed) and its
    // outcome followed over HTTP; also how often orphans are looked for.
    this.orphanAfterMs = deps.config.jobOrphanAfterMs;
    this.adoptedPollMs = deps.adoptedPollMs ?? Math.min(5000, Math.max(100, this.orphanAfterMs / 4));
    this.webhookSend =
      deps.webhookSend ??
      guardedSender({
        allowPrivate: deps.config.webhookAllowPrivate,
        allowedHosts: deps.config.webhookAllowedHosts,
      });
  }

  /** Begins looking for orphaned API jobs (now, then periodically). */
  start(): void {
    if (Object.keys(this.deps.config.comfyServers).length === 0) return;
    const tick = () => {
      this.track(
        this.adoptOrphans().catch((err: unknown) =>
          this.log(`orphan scan failed: ${(err as Error).message}`),
        ),
      );
      this.adoptTimer = this.deps.clock.setTimeout(tick, this.orphanAfterMs);
    };
    tick();
  }

  private async adoptOrphans(): Promise<void> {
    const servers = Object.keys(this.deps.config.comfyServers);
    const now = this.deps.clock.now();
    const orphans = await orphanedApiJobs(this.deps.db.pool, servers, now - this.orphanAfterMs, 200);
    for (const o of orphans) {
      if (this.closed || this.tracked.has(o.promptId) || this.adopted.has(o.promptId)) continue;
      const state = reduceTracker(
        initialTrackerState,
        { type: 'local:queued', promptId: o.promptId, own: false },
        now,
      );
      this.adopted.set(o.promptId, {
        server: o.server,
        queuedBy: o.queuedBy ?? 'adopted',
        revision: o.updatedAt,
        state,
      });
    }
    if (this.adopted.size > 0 && !this.pollTimer) this.pollAdopted();
  }

  private pollAdopted(): void {
    this.pollTimer = this.deps.clock.setTimeout(() => {
      this.pollTimer = null;
      this.track(
        this.reconcileAdopted()
          .catch((err: unknown) => this.log(`adopted jobs: ${(err as Error).message}`))
          .finally(() => {
            if (this.adopted.size > 0 && !this.closed) this.pollAdopted();
          }),
      );
    }, this.adoptedPollMs);
  }

  private async reconcileAdopted(): Promise<void> {
    for (const [promptId, a] of [...this.adopted]) {
      const client = this.client(a.server);
      if (!client || this.closed) continue;
      const now = this.deps.clock.now();
      let next = a.state;
      for (const e of await reconcile(client.http, a.state)) next = reduceTracker(next, e, now);
      const job = next.jobs[promptId];
      if (!job || next === a.state) continue;
      a.state = next;
      a.revision = Math.max(a.revision + 1, now);
      await upsertJobs(this.deps.db.pool, [
        { ...jobToRecord(a.server, job), updatedAt: a.revision, source: 'api', queuedBy: a.queuedBy },
      ]);
      if (isTerminal(job.status)) {
        this.adopted.delete(promptId);
        await this.callWebhook(a.server, promptId);
      }
    }
  }

  private client(name: string): ComfyClient | undefined {
    const existing = this.clients.get(name);
    if (existing) return existing;
    const cfg = this.deps.config.comfyServers[name];
    if (!cfg) return undefined;
    const client = new ComfyClient({
      url: cfg.url,
      ...(cfg.token !== undefined && { token: cfg.token }),
      clientId: `comfypulse-sync-${randomUUID().replace(/-/g, '')}`,
      WebSocket: this.deps.WebSocket ?? WebSocket,
      fetch: this.deps.fetch,
      clock: this.deps.clock,
    });
    // ComfyClient.submit returns only the prompt id, but a 200 from /prompt may carry node_errors for
    // outputs ComfyUI dropped (comfyui-protocol.md §7.1). Its HTTP layer's answer is kept here, by prompt id,
    // so POST /v1/prompts can return it; the client still does its own bookkeeping of the submit.
    const httpSubmit = client.http.submit.bind(client.http);
    client.http.submit = async (prompt, options) => {
      const res = await httpSubmit(prompt, options);
      if (Object.keys(res.nodeErrors).length > 0) this.partialNodeErrors.set(res.promptId, res.nodeErrors);
      return res;
    };
    client.on('job', (job) => this.onJob(job));
    client.on('preview', ({ event, job }) => {
      if (job) this.onPreview(job, event.mime, event.bytes);
    });
    this.clients.set(name, client);
    return client;
  }

  async submit(req: SubmitRequest): Promise<SubmitResult> {
    const client = this.client(req.server);
    if (!client) {
      return {
        status: 404,
        body: {
          error: {
            code: 'unknown_server',
            message: `No ComfyUI server named "${req.server}" is configured (COMFY_SERVERS)`,
            servers: Object.keys(this.deps.config.comfyServers),
          },
        },
      };
    }
    const promptId = randomUUID();
    // Registered before the submit: the socket may report the job before the HTTP answer arrives.
    const t: Tracked = {
      server: req.server,
      queuedBy: req.queuedBy,
      labels: labelsOf(req),
      ...(req.webhook !== undefined && { webhook: req.webhook }),
      lastWriteAt: 0,
      lastStatus: '',
      lastRevision: 0,
      writeTimer: null,
      chain: Promise.resolve(),
      lastPreviewAt: 0,
      ended: false,
    };
    this.tracked.set(promptId, t);
    let acceptedId: string;
    try {
      acceptedId = await client.submit(req.prompt, {
        promptId,
        ...(req.previewMethod !== undefined && { previewMethod: req.previewMethod as PreviewMethod }),
      });
    } catch (err) {
      this.tracked.delete(promptId);
      if (err instanceof BadWorkflow) {
        await this.recordRejected(req, promptId, err);
        return {
          status: 400,
          body: {
            error: { code: 'rejected', message: err.message, comfy: err.error },
            prompt_id: promptId,
            node_errors: err.nodeErrors,
          },
        };
      }
      const message = isComfyError(err) ? err.message : 'ComfyUI request failed';
      return { status: 502, body: { error: { code: 'upstream', message } } };
    }
    if (acceptedId !== promptId) {
      // Older servers ignore our prompt_id and choose their own.
      this.tracked.delete(promptId);
      this.tracked.set(acceptedId, t);
    }
    const nodeErrors = this.partialNodeErrors.get(acceptedId) ?? {};
    this.partialNodeErrors.delete(acceptedId);
    const job = client.getJob(acceptedId);
    if (job) await this.write(acceptedId, t, job);
    return {
      status: 200,
      body: { prompt_id: acceptedId, number: job?.number ?? null, node_errors: nodeErrors },
    };
  }

  private async recordRejected(req: SubmitRequest, promptId: string, err: BadWorkflow): Promise<void> {
    const now = this.deps.clock.now();
    await upsertJobs(this.deps.db.pool, [
      {
        server: req.server,
        promptId,
        status: 'error',
        statusOverride: 'rejected',
        own: true,
        queuedAt: now,
        endedAt: now,
        updatedAt: now,
        currentNode: null,
        progress: 0,
        outputs: {},
        error: { message: err.message, exceptionType: err.error.type, traceback: [] },
        nodeErrors: err.nodeErrors,
        nodes: [],
        source: 'api',
        queuedBy: req.queuedBy,
        ...labelsOf(req),
        ...(req.webhook !== undefined && { webhookUrl: req.webhook }),
      },
    ]);
  }

  private onJob(job: JobState): void {
    const t = this.tracked.get(job.promptId);
    if (!t || t.ended || this.closed) return;
    const now = this.deps.clock.now();
    const statusChanged = job.status !== t.lastStatus;
    if (statusChanged || now - t.lastWriteAt >= this.progressEveryMs) {
      this.deps.clock.clearTimeout(t.writeTimer);
      t.writeTimer = null;
      this.track(this.write(job.promptId, t, job));
    } else if (!t.writeTimer) {
      // Throttled: the latest state is written when the gap has passed.
      t.writeTimer = this.deps.clock.setTimeout(
        () => {
          t.writeTimer = null;
          const latest = this.latestJob(t.server, job.promptId);
          if (latest && !t.ended) this.track(this.write(job.promptId, t, latest));
        },
        this.progressEveryMs - (now - t.lastWriteAt),
      );
    }
    if (isTerminal(job.status) && !job.awaitingReconciliation) {
      t.ended = true;
      this.deps.clock.clearTimeout(t.writeTimer);
      this.track(t.chain.then(() => this.finish(job.promptId, t)));
    }
  }

  private latestJob(server: string, promptId: string): JobState | undefined {
    return this.clients.get(server)?.getJob(promptId);
  }

  private write(promptId: string, t: Tracked, job: JobState): Promise<unknown> {
    t.lastWriteAt = this.deps.clock.now();
    t.lastStatus = job.status;
    t.lastRevision = Math.max(t.lastRevision + 1, Math.round(job.updatedAt));
    const record = { ...jobToRecord(t.server, job), promptId, updatedAt: t.lastRevision };
    t.chain = t.chain
      .then(() =>
        upsertJobs(this.deps.db.pool, [
          {
            ...record,
            source: 'api',
            queuedBy: t.queuedBy,
            ...t.labels,
            ...(t.webhook !== undefined && { webhookUrl: t.webhook }),
          },
        ]),
      )
      .catch((err: unknown) => this.log(`job ${promptId}: write failed: ${(err as Error).message}`));
    return t.chain;
  }

  private onPreview(job: JobState, mime: string, bytes: Uint8Array): void {
    const t = this.tracked.get(job.promptId);
    const now = this.deps.clock.now();
    if (!t || t.ended || now - t.lastPreviewAt < this.previewEveryMs) return;
    t.lastPreviewAt = now;
    // Copy: the decoder hands out a view into the frame buffer.
    const copy = bytes.slice();
    this.track(
      t.chain.then(() =>
        savePreview(this.deps.db.pool, t.server, job.promptId, mime, copy, job.previewCount).catch(
          (err: unknown) => this.log(`job ${job.promptId}: preview write failed: ${(err as Error).message}`),
        ),
      ),
    );
  }

  private async finish(promptId: string, t: Tracked): Promise<void> {
    const latest = this.latestJob(t.server, promptId);
    if (latest) await this.write(promptId, t, latest);
    this.tracked.delete(promptId);
    if (t.webhook) await this.callWebhook(t.server, promptId);
  }

  private async callWebhook(server: string, promptId: string): Promise<void> {
    if (this.closed) return;
    const url = await claimWebhook(this.deps.db.pool, server, promptId);
    if (!url) return;
    const job = await getJob(this.deps.db.pool, promptId, server);
    const outcome = await deliverWebhook({
      url,
      body: { event: 'job.finished', job },
      attempts: this.deps.config.webhookAttempts,
      send: this.webhookSend,
      clock: this.deps.clock,
      isClosed: () => this.closed,
    });
    await setWebhookStatus(this.deps.db.pool, server, promptId, outcome).catch(() => {});
  }

  private track(p: Promise<unknown>): void {
    this.pendingWork.add(p);
    void p.finally(() => this.pendingWork.delete(p));
  }

  /** Resolves when every write and webhook started so far has settled (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pendingWork.size > 0) await Promise.allSettled([...this.pendingWork]);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.deps.clock.clearTimeout(this.adoptTimer);
    this.deps.clock.clearTimeout(this.pollTimer);
    for (const c of this.clients.values()) c.close();
    for (const t of this.tracked.values()) this.deps.clock.clearTimeout(t.writeTimer);
    await this.idle();
  }
}
