// The extension's sync facade. Framework-agnostic (no chrome.*): the background wires config and calls.
//
//   const sync = createSync({ getConfig: () => settings.sync, fetch, clock: systemClock, random: Math.random });
//   tracker.on('job', (job) => void sync.enqueueJobChange(serverIdOrUrl, job)); // every change; coalesced
//   self.addEventListener('online', () => sync.kick());                        // and after config changes
//   options page: await sync.getSyncStatus() -> { enabled, lastSyncAt, pending, lastError, dropped, … }
//
// The outbox lives in its own IndexedDB database (`comfypulse-sync`) and survives service-worker restarts;
// createSync tries an upload at once, so a backlog left by the previous worker is not stranded.
import type { Clock, FetchLike, JobState, Random } from '../comfy/types';
import { SyncOutbox, type SyncStatus } from './outbox';
import { jobToRecord } from './schema';
import { type SyncTarget, SyncUploader } from './uploader';

export type { OutboxEntry, SyncStatus } from './outbox';
export { SYNC_DB_NAME, SyncOutbox } from './outbox';
export * from './schema';
export type { SyncTarget } from './uploader';
export { SyncUploader } from './uploader';

export interface SyncConfig extends SyncTarget {
  /** Off by default: nothing is queued or sent until the user enables it. */
  enabled: boolean;
  /** Optional label of the person running this extension, shown on the dashboard. */
  user?: string;
}

export interface SyncDeps {
  getConfig: () => SyncConfig | null | Promise<SyncConfig | null>;
  fetch: FetchLike;
  clock: Clock;
  random: Random;
  outbox?: SyncOutbox;
  batchSize?: number;
}

export interface Sync {
  /**
   * Records a change of a job on a ComfyUI server (`server`: its id or URL). No-op while sync is off.
   * Never rejects: a job the ingest contract refuses is reported through `lastError`.
   */
  enqueueJobChange(server: string, job: JobState): Promise<void>;
  getSyncStatus(): Promise<SyncStatus & { enabled: boolean; nextAttemptAt: number | null }>;
  /** Try now (config changed, browser online again). */
  kick(): void;
  stop(): void;
  readonly outbox: SyncOutbox;
  readonly uploader: SyncUploader;
}

export function createSync(deps: SyncDeps): Sync {
  const outbox = deps.outbox ?? new SyncOutbox();
  const enabledTarget = async () => {
    const c = await deps.getConfig();
    return c?.enabled && c.url && c.apiKey ? c : null;
  };
  const uploader = new SyncUploader({
    outbox,
    getTarget: enabledTarget,
    fetch: deps.fetch,
    clock: deps.clock,
    random: deps.random,
    ...(deps.batchSize !== undefined && { batchSize: deps.batchSize }),
  });
  uploader.kick();
  return {
    outbox,
    uploader,
    async enqueueJobChange(server, job) {
      const cfg = await enabledTarget();
      if (!cfg) return;
      try {
        await outbox.enqueueJobChange(jobToRecord(server, job, cfg.user));
      } catch (err) {
        // A state the ingest contract refuses is a bug to show, not a reason to break the caller.
        await outbox
          .setMeta(
            'lastError',
            `Job ${job.promptId} could not be queued: ${(err as Error).message.slice(0, 300)}`,
          )
          .catch(() => {});
        return;
      }
      uploader.kick();
    },
    async getSyncStatus() {
      return {
        ...(await outbox.getSyncStatus()),
        enabled: (await enabledTarget()) !== null,
        nextAttemptAt: uploader.nextAttemptAt,
      };
    },
    kick: () => uploader.kick(),
    stop: () => uploader.stop(),
  };
}
