/**
 * Desktop notifications for finished jobs: the content (pure, per status and settings), and the
 * exactly-once delivery. A job is announced at most once across worker restarts because `notifiedAt` is
 * claimed inside a Dexie transaction before the notification is shown; a worker that starts after jobs
 * finished while it was stopped announces the recent unannounced ones (`announcePending`).
 */
import type { ComfyPulseDB, JobRecord } from '../db';
import type { Translate } from '../i18n';
import type { Settings } from '../settings';
import { activeJobs, thumbBlobKey, unnotifiedFinished } from '../storage/repo';

export interface NotificationContent {
  type: 'basic' | 'image';
  title: string;
  message: string;
  contextMessage?: string;
  iconUrl: string;
  imageUrl?: string;
  priority?: number;
}

/** The subset of `chrome.notifications` used (injected for tests). */
export interface NotificationsApi {
  create(id: string, options: NotificationContent): Promise<unknown>;
}

export const JOB_NOTIFICATION_PREFIX = 'job:';
export const QUEUE_EMPTY_PREFIX = 'queue-empty:';

export function jobNotificationId(jobKey: string): string {
  return `${JOB_NOTIFICATION_PREFIX}${jobKey}`;
}

/** The job key a clicked notification refers to, if it is a job notification. */
export function jobKeyFromNotificationId(id: string): string | undefined {
  return id.startsWith(JOB_NOTIFICATION_PREFIX) ? id.slice(JOB_NOTIFICATION_PREFIX.length) : undefined;
}

export function wantsNotification(job: Pick<JobRecord, 'status'>, prefs: Settings['notifications']): boolean {
  switch (job.status) {
    case 'success':
      return prefs.onSuccess;
    case 'error':
    case 'lost':
      return prefs.onFailure;
    case 'interrupted':
      return prefs.onInterrupted;
    default:
      // pending/running are not finished; `cancelled` is the user's own delete of a pending job
      return false;
  }
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

const MAX_MESSAGE = 300;

function clip(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > MAX_MESSAGE ? `${one.slice(0, MAX_MESSAGE - 1)}…` : one;
}

/** The class type of the node a failure or interruption names, or its id, or undefined. */
function nodeLabel(
  job: JobRecord,
  nodeId: string | undefined,
  nodeType: string | undefined,
): string | undefined {
  const cls = nodeType ?? (nodeId !== undefined ? job.classTypes[nodeId] : undefined);
  if (cls && nodeId !== undefined) return `${cls} (#${nodeId})`;
  return cls ?? (nodeId !== undefined ? `#${nodeId}` : undefined);
}

/**
 * What to show for a finished job, or null when it is not a status that is announced. Remote text (node
 * types, error messages) goes into plain-text notification fields only.
 */
export function notificationFor(
  job: JobRecord,
  serverName: string,
  t: Translate,
  media: { iconUrl: string; thumbDataUrl?: string },
): NotificationContent | null {
  const base = { iconUrl: media.iconUrl, contextMessage: t('notify_context', [job.promptId.slice(0, 8)]) };
  switch (job.status) {
    case 'success': {
      const took =
        job.startedAt !== undefined && job.endedAt !== undefined ? job.endedAt - job.startedAt : undefined;
      return {
        ...base,
        type: media.thumbDataUrl ? 'image' : 'basic',
        ...(media.thumbDataUrl ? { imageUrl: media.thumbDataUrl } : {}),
        title: t('notify_success_title', [serverName]),
        message: took !== undefined ? t('notify_success_body', [formatDuration(took)]) : '',
        priority: 0,
      };
    }
    case 'error': {
      const err = job.error;
      const node = nodeLabel(job, err?.nodeId, err?.nodeType);
      const what = clip(err?.message || err?.exceptionType || '?');
      return {
        ...base,
        type: 'basic',
        title: t('notify_error_title', [serverName]),
        message: node ? t('notify_error_body_node', [node, what]) : t('notify_error_body', [what]),
        priority: 1,
      };
    }
    case 'interrupted': {
      const node = nodeLabel(job, job.interruptedAt?.nodeId, job.interruptedAt?.nodeType);
      return {
        ...base,
        type: 'basic',
        title: t('notify_interrupted_title', [serverName]),
        message: node ? t('notify_interrupted_body_node', [node]) : t('notify_interrupted_body'),
        priority: 0,
      };
    }
    case 'lost':
      return {
        ...base,
        type: 'basic',
        title: t('notify_lost_title', [serverName]),
        message: t('notify_lost_body'),
        priority: 0,
      };
    default:
      return null;
  }
}

/** A `data:` URL of a blob (chrome.notifications cannot load blob: URLs from a worker). */
export async function blobToDataUrl(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return `data:${blob.type || 'image/webp'};base64,${btoa(binary)}`;
}

export interface AnnounceDeps {
  db: ComfyPulseDB;
  notifications: NotificationsApi;
  t: Translate;
  iconUrl: string;
  now: () => number;
  settings: () => Promise<Settings>;
}

/**
 * Claims the job's notification (sets `notifiedAt` if unset, atomically) and shows it if the settings
 * want it. Returns whether a notification was created. Safe to call any number of times per job.
 */
export async function announceJob(deps: AnnounceDeps, jobKey: string): Promise<boolean> {
  const { db } = deps;
  const claimed = await db.transaction('rw', db.jobs, async () => {
    const job = await db.jobs.get(jobKey);
    if (!job || job.active === 1 || job.notifiedAt !== undefined) return undefined;
    await db.jobs.update(jobKey, { notifiedAt: deps.now() });
    return job;
  });
  if (!claimed) return false;
  const settings = await deps.settings();
  let shown = false;
  if (wantsNotification(claimed, settings.notifications)) {
    const server = await db.servers.get(claimed.serverId);
    const thumb = claimed.status === 'success' ? await db.blobs.get(thumbBlobKey(jobKey)) : undefined;
    const content = notificationFor(claimed, server?.name ?? claimed.serverId, deps.t, {
      iconUrl: deps.iconUrl,
      ...(thumb ? { thumbDataUrl: await blobToDataUrl(thumb.data) } : {}),
    });
    if (content) {
      try {
        await deps.notifications.create(jobNotificationId(jobKey), content);
      } catch (e) {
        if (content.type !== 'image') throw e;
        // an image the browser cannot decode must not cost the notification itself
        const { imageUrl: _img, ...basic } = content;
        await deps.notifications.create(jobNotificationId(jobKey), { ...basic, type: 'basic' });
      }
      shown = true;
    }
  }
  if (settings.notifications.onQueueEmpty && claimed.status !== 'cancelled') {
    const remaining = await activeJobs(db, claimed.serverId);
    if (remaining.length === 0) {
      const server = await db.servers.get(claimed.serverId);
      const name = server?.name ?? claimed.serverId;
      await deps.notifications.create(`${QUEUE_EMPTY_PREFIX}${claimed.serverId}`, {
        type: 'basic',
        iconUrl: deps.iconUrl,
        title: deps.t('notify_queue_empty_title', [name]),
        message: deps.t('notify_queue_empty_body'),
      });
    }
  }
  return shown;
}

/** Jobs that finished while no worker listened: announce those that ended within `windowMs`. */
export async function announcePending(deps: AnnounceDeps, windowMs = 15 * 60_000): Promise<number> {
  const jobs = await unnotifiedFinished(deps.db, deps.now() - windowMs);
  let n = 0;
  for (const j of jobs) if (await announceJob(deps, j.key)) n++;
  return n;
}
