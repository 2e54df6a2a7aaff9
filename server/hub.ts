// Fan-out of job changes: every instance LISTENs on one PostgreSQL channel, turns each NOTIFY (payload:
// the seqs of the jobs a statement wrote) into a fresh read of the rows, and hands them to its own SSE
// subscribers. Instances share nothing but the database, so any number of them behind a load balancer all stream every change.
import pg from 'pg';
import type { Clock } from '../lib/comfy/types';
import { type Database, JOBS_CHANNEL, KEYS_CHANNEL } from './db/database';
import { type JobDto, jobsAfterRev, jobsBySeq } from './repo/jobs';

export type JobListener = (job: JobDto) => void;
/** A key id whose row changed, or null: the feed was lost or restored, so nothing cached can be trusted. */
export type KeyChangeListener = (keyId: string | null) => void;

/** What an API key cache needs from the LISTEN connection. */
export interface KeyChangeFeed {
  /** True while the LISTEN connection is up, i.e. while every key change is being heard. */
  readonly listening: boolean;
  onKeyChange(fn: KeyChangeListener): () => void;
}

export class JobHub implements KeyChangeFeed {
  private readonly listeners = new Set<JobListener>();
  private readonly keyListeners = new Set<KeyChangeListener>();
  private listeningNow = false;
  private pending = new Set<string>();
  private flushing = false;
  private client: pg.Client | null = null;
  private stopped = false;
  private retryHandle: unknown = null;
  /** Highest change number handed out; after a LISTEN reconnect, changes above it are replayed. */
  private maxRev = 0;
  private readonly onNotification = (payload: string) => {
    // The payload is a comma list of job seqs (one NOTIFY per writing statement).
    if (this.listeners.size === 0 || !/^\d+(,\d+)*$/.test(payload)) return;
    for (const seq of payload.split(',')) this.pending.add(seq);
    if (!this.flushing) {
      this.flushing = true;
      // Coalesce a burst (several statements in a row) into one query.
      setImmediate(() => void this.flush());
    }
  };

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  private readonly onKeyNotification = (payload: string) => {
    for (const fn of this.keyListeners) fn(payload);
  };

  get listening(): boolean {
    return this.listeningNow;
  }

  onKeyChange(fn: KeyChangeListener): () => void {
    this.keyListeners.add(fn);
    return () => this.keyListeners.delete(fn);
  }

  private setListening(on: boolean): void {
    this.listeningNow = on;
    for (const fn of this.keyListeners) fn(null);
  }

  async start(): Promise<void> {
    this.db.notifications.on('notification', this.onNotification);
    this.db.notifications.on('keys', this.onKeyNotification);
    await this.connect(true);
  }

  /** The first connect fails loudly (the server must not start without its stream); later ones retry. */
  private async connect(initial = false): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client(this.db.clientConfig);
    let failed = false;
    const fail = (err: unknown) => {
      if (failed || this.stopped) return;
      failed = true;
      if (this.client === client) this.client = null;
      this.setListening(false);
      client.end().catch(() => {});
      this.onError(err);
      this.retryHandle = this.clock.setTimeout(() => void this.connect(), 1000);
    };
    client.on('notification', (n) => {
      if (n.channel === JOBS_CHANNEL) this.onNotification(n.payload ?? '');
      else if (n.channel === KEYS_CHANNEL) this.onKeyNotification(n.payload ?? '');
    });
    client.on('error', fail);
    client.on('end', () => fail(new Error('LISTEN connection ended')));
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${JOBS_CHANNEL}; LISTEN ${KEYS_CHANNEL}`);
      this.setListening(true);
      // Notifications sent while the listener was away are gone; the change numbers tell what was missed.
      if (!initial) await this.replayMissed();
    } catch (err) {
      if (initial) {
        failed = true;
        this.client = null;
        await client.end().catch(() => {});
        throw err;
      }
      fail(err);
    }
  }

  private async replayMissed(): Promise<void> {
    if (this.listeners.size === 0) return;
    for (;;) {
      const jobs = await jobsAfterRev(this.db.pool, this.maxRev, 500);
      this.deliver(jobs);
      if (jobs.length < 500) return;
    }
  }

  private deliver(jobs: JobDto[]): void {
    for (const job of jobs) {
      if (job.rev > this.maxRev) this.maxRev = job.rev;
      for (const l of this.listeners) l(job);
    }
  }

  subscribe(fn: JobListener): () => void {
    if (this.listeners.size === 0) void this.primeRev();
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Starts replay tracking from the current head, so a reconnect does not replay history. */
  private async primeRev(): Promise<void> {
    try {
      const res = await this.db.pool.query<{ rev: string | null }>('SELECT max(rev) AS rev FROM jobs');
      this.maxRev = Math.max(this.maxRev, Number(res.rows[0]?.rev ?? 0));
    } catch (err) {
      this.onError(err);
    }
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  private async flush(): Promise<void> {
    const seqs = [...this.pending];
    this.pending = new Set();
    try {
      if (seqs.length > 0 && this.listeners.size > 0) {
        this.deliver(await jobsBySeq(this.db.pool, seqs));
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
    this.db.notifications.off('keys', this.onKeyNotification);
    this.setListening(false);
    if (this.retryHandle) this.clock.clearTimeout(this.retryHandle);
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => {});
  }
}
