// The extension's sync facade. Framework-agnostic (no chrome.*): the background wires config and calls.
//
//   const sync = createSync({ getConfig: () => settings.sync, fetch, clock: systemClock, random: Math.random });
//   tracker.on('job', (job) => void sync.enqueueJobChange(serverIdOrUrl, job)); // every change; coalesced
//   self.addEventListener('online', () => sync.kick());                        // and after config changes
//   options page: await sync.getSyncStatus() -> { enabled, lastSyncAt, pending, problem, deadLetters, … }
//                 await sync.deadLetters() (export), await sync.retryDeadLetters()
//
// The outbox lives in its own IndexedDB database (`comfypulse-sync`) and survives service-worker restarts;
// createSync tries an upload at once, so a backlog left by the previous worker is not stranded.
import type { Clock, FetchLike, JobState, Random } from '../comfy/types';
import { type DeadLetter, SyncOutbox, type SyncStatus } from './outbox';
import { jobToRecord } from './schema';
import { type SyncTarget, SyncUploader } from './uploader';

export { fitRecord, fitText, MAX_OUTPUTS_CHARS, MAX_RECORD_BYTES, truncationMarker } from './fit';
export type { DeadLetter, OutboxEntry, SyncStatus } from './outbox';
export { SYNC_DB_NAME, SyncOutbox } from './outbox';
export type { ForeignAnswer, SyncProblem } from './problem';
export * from './schema';
export type { SyncTarget } from './uploader';
export { COMFYPULSE_HEADER, COMFYPULSE_HEADER_VALUE, SyncUploader } from './uploader';

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
   * Never rejects: a job state the ingest schema refuses (for another reason than its size, which is cut
   * to fit) becomes a dead letter and is reported through `problem`.
   */
  enqueueJobChange(server: string, job: JobState): Promise<void>;
  getSyncStatus(): Promise<SyncStatus & { enabled: boolean; nextAttemptAt: number | null }>;
  /** Every record our server rejected (or that could not be queued), oldest first: the export. */
  deadLetters(): Promise<DeadLetter[]>;
  /** Queues every dead letter again (after a server upgrade) and uploads; returns how many. */
  retryDeadLetters(): Promise<{ requeued: number }>;
  /** Try now (config changed, browser online again). A changed target is tried at once, even mid-backoff. */
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
  // A new URL or key deserves an attempt now, not at the end of the old target's backoff.
  const targetId = (t: SyncTarget | null) => (t ? `${t.url}\n${t.apiKey}` : '');
  let lastTarget: string | undefined;
  enabledTarget().then(
    (t) => {
      lastTarget ??= targetId(t);
    },
    () => {},
  );
  uploader.kick();
  const kick = () => {
    enabledTarget().then(
      (t) => {
        const id = targetId(t);
        const changed = lastTarget !== undefined && id !== lastTarget;
        lastTarget = id;
        if (changed) uploader.retryNow();
        else uploader.kick();
      },
      () => uploader.kick(),
    );
  };
  return {
    outbox,
    uploader,
    async enqueueJobChange(server, job) {
      const cfg = await enabledTarget();
      if (!cfg) return;
      const record = jobToRecord(server, job, cfg.user);
      try {
        await outbox.enqueueJobChange(record);
      } catch (err) {
        // A state the ingest contract refuses is a bug to show and keep, not a reason to break the caller.
        const message = (err as Error).message.slice(0, 2000);
        await outbox.deadLetterLocal(record, message, deps.clock.now()).catch(() => {});
        await outbox
          .setMeta('problem', { kind: 'not_queued', promptId: job.promptId, message: message.slice(0, 300) })
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
    deadLetters: () => outbox.listDeadLetters(),
    async retryDeadLetters() {
      const requeued = await outbox.retryDeadLetters();
      uploader.retryNow();
      return { requeued };
    },
    kick,
    stop: () => uploader.stop(),
  };
}
