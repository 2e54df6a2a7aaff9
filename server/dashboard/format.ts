// What the dashboard says about a job, as plain data: its title, who started it, when, its filters. No
// DOM here, so every rule is tested without a browser; every string it returns is remote text that the
// view puts into the page as text only.
import { jobOutputFiles } from '../../lib/comfy/outputs';
import type { JobStatus } from '../../lib/comfy/types';
import { jobIdentity } from '../../lib/ext/ui/identity';
import { isImageOutput } from '../../lib/ext/ui/outputs';
import type { JobDto, StoredStatus } from '../repo/jobs';

export const ACTIVE_STATUSES: readonly StoredStatus[] = ['pending', 'running'];
export const isActive = (j: Pick<JobDto, 'status'>) => ACTIVE_STATUSES.includes(j.status);

/** The status filter's choices, each a set of stored statuses (empty: all). */
export const STATUS_FILTERS = {
  all: { label: 'All statuses', statuses: [] },
  active: { label: 'Running or queued', statuses: ['pending', 'running'] },
  success: { label: 'Succeeded', statuses: ['success'] },
  failed: { label: 'Failed', statuses: ['error', 'lost', 'rejected'] },
  stopped: { label: 'Cancelled', statuses: ['interrupted', 'cancelled'] },
} as const satisfies Record<string, { label: string; statuses: readonly (JobStatus | 'rejected')[] }>;
export type StatusFilter = keyof typeof STATUS_FILTERS;

export interface Filters {
  /** One ComfyUI server, or all when undefined. */
  server?: string;
  status: StatusFilter;
}

const isStatusFilter = (s: string | null): s is StatusFilter =>
  s !== null && Object.hasOwn(STATUS_FILTERS, s);

/** Filters from the page's query string (`?server=gpu&status=failed`), so a wall screen can be bookmarked. */
export function parseFilters(search: string): Filters {
  const q = new URLSearchParams(search);
  const server = q.get('server');
  const status = q.get('status');
  return { ...(server && { server }), status: isStatusFilter(status) ? status : 'all' };
}

export function filtersToSearch(f: Filters): string {
  const q = new URLSearchParams();
  if (f.server !== undefined) q.set('server', f.server);
  if (f.status !== 'all') q.set('status', f.status);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const statusesOf = (f: Filters): readonly StoredStatus[] => STATUS_FILTERS[f.status].statuses;

export function matchesFilters(f: Filters, j: Pick<JobDto, 'server' | 'status'>): boolean {
  const statuses = statusesOf(f);
  return (
    (f.server === undefined || j.server === f.server) &&
    (statuses.length === 0 || statuses.includes(j.status))
  );
}

/** Whether the filter can show active jobs, finished jobs, or both (a section it cannot fill is hidden). */
export function sectionsShown(f: Filters): { active: boolean; finished: boolean } {
  const statuses = statusesOf(f);
  if (statuses.length === 0) return { active: true, finished: true };
  return {
    active: statuses.some((s) => ACTIVE_STATUSES.includes(s)),
    finished: statuses.some((s) => !ACTIVE_STATUSES.includes(s)),
  };
}

export interface StartedBy {
  /** `extension`, or `api` for jobs started through POST /v1/prompts. */
  source: JobDto['source'];
  /** What started it, in a word: "Extension", "API", or the client's own label ("n8n"). */
  badge: string;
  /** Who: the extension user's label or the API key's name, when known. */
  name: string | null;
}

export function startedBy(j: Pick<JobDto, 'source' | 'client' | 'user' | 'queuedBy'>): StartedBy {
  if (j.source === 'extension') return { source: j.source, badge: 'Extension', name: j.user ?? j.queuedBy };
  return { source: j.source, badge: j.client ?? 'API', name: j.queuedBy };
}

/**
 * The job's title the way a person knows it (the workflow's name, else its first output file, else its
 * output node's class), and what the title does not already say. With nothing known yet (a job that has
 * just started), who started it.
 */
export function jobTitle(j: JobDto): { title: string; detail: string | undefined } {
  const { title, detail } = jobIdentity({
    ...(j.workflowName !== null && { workflowName: j.workflowName }),
    outputs: j.outputs,
    classTypes: j.outputClasses,
  });
  if (title !== undefined) return { title, detail };
  const who = startedBy(j);
  return { title: `Job from ${who.name ?? who.badge}`, detail: undefined };
}

/** The failure reason of a failed job, one line. */
export function failureLine(j: Pick<JobDto, 'error'>): string | undefined {
  const e = j.error as { message?: unknown; nodeType?: unknown } | null;
  if (typeof e?.message !== 'string' || e.message.trim() === '') return undefined;
  const line = e.message.replace(/\s+/g, ' ').trim();
  const text =
    typeof e.nodeType === 'string' && !line.startsWith(e.nodeType) ? `${e.nodeType}: ${line}` : line;
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/** "850 ms", "1.5 s", "2 min 5 s", "1 h 3 min": a glanceable duration. */
export function fmtMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '–';
  const v = Math.max(0, ms);
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 10_000) return `${(v / 1000).toFixed(1)} s`;
  if (v < 60_000) return `${Math.round(v / 1000)} s`;
  const s = Math.round(v / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** The instant a row's "3 min ago" counts from: when it ended, else when it started or was queued. */
export const lastEventAt = (j: JobDto) => j.endedAt ?? j.startedAt ?? j.queuedAt ?? j.createdAt;

const jobPath = (j: Pick<JobDto, 'promptId'>) => `/v1/jobs/${encodeURIComponent(j.promptId)}`;
const serverQs = (j: Pick<JobDto, 'server'>) => `server=${encodeURIComponent(j.server)}`;

/** The latest live preview: only jobs this server tracks have one (extension jobs never do). */
export function previewUrl(j: JobDto): string | null {
  return j.hasPreview ? `${jobPath(j)}/preview?${serverQs(j)}&rev=${j.rev}` : null;
}

/**
 * A server-proxied thumbnail of the job's first image output. The proxy serves only outputs of jobs this
 * server tracked itself (source api), so other jobs get no request at all, never a made-up picture.
 */
export function thumbUrl(j: JobDto): string | null {
  if (j.source !== 'api') return null;
  // The proxy's `:index` counts a node's type=output files in `jobOutputFiles` order (server/jobs/view.ts).
  const seen = new Map<string, number>();
  for (const f of jobOutputFiles(j.outputs)) {
    if (f.file.type !== 'output') continue;
    const index = seen.get(f.nodeId) ?? 0;
    seen.set(f.nodeId, index + 1);
    if (isImageOutput(f))
      return `${jobPath(j)}/outputs/${encodeURIComponent(f.nodeId)}/${index}?thumb=1&${serverQs(j)}`;
  }
  return null;
}

/** The kind of the first output file ("PNG", "MP4"), for the tile of a job that has no thumbnail. */
export function outputKind(j: Pick<JobDto, 'outputs'>): string | null {
  const first = jobOutputFiles(j.outputs)[0];
  const ext = first && /\.([a-z0-9]{1,5})$/i.exec(first.file.filename)?.[1];
  return ext ? ext.toUpperCase() : null;
}
