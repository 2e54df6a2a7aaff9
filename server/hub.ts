// Fan-out of job changes: every instance LISTENs on one PostgreSQL channel, turns each NOTIFY (payload:
// the job's seq) into a fresh read of the row, and hands it to its own SSE subscribers. Instances share
// nothing but the database, so any number of them behind a load balancer all stream every change.
import pg from 'pg';
import type { Clock } from '../lib/comfy/types';
import { type Database, JOBS_CHANNEL } from './db/database';
import { type JobDto, jobsBySeq } from './repo/jobs';

export type JobListener = (job: JobDto) => void;

export class JobHub {
  private readonly listeners = new Set<JobListener>();
  private pending = new Set<string>();
  private flushing = false;
  private client: pg.Client | null = null;
  private stopped = false;
  private retryHandle: unknown = null;
  private readonly onNotification = (payload: string) => {
    if (this.listeners.size === 0 || !/^\d+$/.test(payload)) return;
    this.pending.add(payload);
    if (!this.flushing) {
      this.flushing = true;
      // Coalesce a burst (one ingest batch notifies once per row) into one query.
      setImmediate(() => void this.flush());
    }
  };

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  async start(): Promise<void> {
    this.db.notifications.on('notification', this.onNotification);
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client(this.db.clientConfig);
    client.on('notification', (n) => {
      if (n.channel === JOBS_CHANNEL) this.onNotification(n.payload ?? '');
    });
    const retry = (err: unknown) => {
      if (this.client !== client || this.stopped) return;
      this.client = null;
      this.onError(err);
      client.end().catch(() => {});
      this.retryHandle = this.clock.setTimeout(() => void this.connect().catch(retry), 1000);
    };
    client.on('error', retry);
    client.on('end', () => retry(new Error('LISTEN connection ended')));
    this.client = client;
    await client.connect();
    await client.query(`LISTEN ${JOBS_CHANNEL}`);
  }

  subscribe(fn: JobListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  private async flush(): Promise<void> {
    const seqs = [...this.pending];
    this.pending = new Set();
    try {
      if (seqs.length > 0 && this.listeners.size > 0) {
        const jobs = await jobsBySeq(this.db.pool, seqs);
        for (const job of jobs) for (const l of this.listeners) l(job);
      }
    } catch (err) {
      this.onError(err);
    } finally {
      this.flushing = false;
      if (this.pending.size > 0) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.db.notifications.off('notification', this.onNotification);
    if (this.retryHandle) this.clock.clearTimeout(this.retryHandle);
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => {});
  }
}
