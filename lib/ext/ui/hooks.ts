/**
 * Data hooks: Dexie `liveQuery` for what is durable, merged with the live channel for what is fresher.
 * Each hook runs one indexed query from `storage/repo.ts`; none loads a table whole.
 */
import { useLiveQuery } from 'dexie-react-hooks';
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import type { BlobRecord, JobRecord, NodeRunRecord } from '../db';
import {
  activeJobs,
  classMedians,
  getBlob,
  getJob,
  type HistoryFilter,
  history,
  listConnections,
  listServers,
  nodeRuns,
  type PublicServer,
  previewBlobKey,
  recentFinished,
  timelapseBlobKey,
} from '../storage/repo';
import type { LiveConnection, LiveSnapshot } from './live';
import { trustedConnections } from './liveness';
import { type JobBoard, mergeBoard, mergeConnections, newer } from './merge';
import { useServices } from './services';

/** One slice of the live snapshot; a component re-renders only when its slice changed. */
function useLiveSlice<K extends keyof LiveSnapshot>(key: K): LiveSnapshot[K] {
  const { live } = useServices();
  const get = () => live.getSnapshot()[key];
  return useSyncExternalStore(live.subscribe, get, get);
}

export const useLiveJobs = () => useLiveSlice('jobs');
export const useLivePreviews = () => useLiveSlice('previews');
export const useLiveConnections = () => useLiveSlice('connections');

/** The injected clock, re-read every `intervalMs` so elapsed times tick. */
export function useNow(intervalMs = 1000): number {
  const { now } = useServices();
  const [t, setT] = useState(now);
  useEffect(() => {
    const id = setInterval(() => setT(now()), intervalMs);
    return () => clearInterval(id);
  }, [now, intervalMs]);
  return t;
}

/** Active jobs and the newest finished ones; undefined until the first query answers. */
export function useJobBoard(recentLimit: number): JobBoard | undefined {
  const { db } = useServices();
  const liveJobs = useLiveJobs();
  const stored = useLiveQuery(
    () => Promise.all([activeJobs(db), recentLimit > 0 ? recentFinished(db, recentLimit) : []]),
    [db, recentLimit],
  );
  return useMemo(
    () => (stored ? mergeBoard(stored[0], stored[1], liveJobs, recentLimit) : undefined),
    [stored, liveJobs, recentLimit],
  );
}

export function useServers(): PublicServer[] | undefined {
  const { db } = useServices();
  return useLiveQuery(() => listServers(db), [db]);
}

export function useServerMap(): Map<string, PublicServer> {
  const servers = useServers();
  return useMemo(() => new Map((servers ?? []).map((s) => [s.id, s])), [servers]);
}

/** Connection states a live engine vouches for; a server without one shows `connecting` (`displayState`). */
export function useConnections(): Map<string, LiveConnection> {
  const { db, engine } = useServices();
  const liveConnections = useLiveConnections();
  const liveness = useSyncExternalStore(engine.subscribe, engine.getSnapshot, engine.getSnapshot);
  const stored = useLiveQuery(() => listConnections(db), [db]);
  return useMemo(
    () => trustedConnections(mergeConnections(stored ?? [], liveConnections), liveness),
    [stored, liveConnections, liveness],
  );
}

/** One job, Dexie merged with the live channel; null when it does not exist, undefined while loading. */
export function useJob(key: string): JobRecord | null | undefined {
  const { db } = useServices();
  const liveJob = useLiveJobs().get(key);
  const stored = useLiveQuery(async () => (await getJob(db, key)) ?? null, [db, key]);
  if (stored === undefined) return liveJob;
  return newer(stored ?? undefined, liveJob) ?? null;
}

export function useNodeRuns(jobKey: string): NodeRunRecord[] | undefined {
  const { db } = useServices();
  return useLiveQuery(() => nodeRuns(db, jobKey), [db, jobKey]);
}

/** A stored blob record; null when there is none (or no key), undefined while loading. */
export function useBlobRecord(key: string | undefined): BlobRecord | null | undefined {
  const { db } = useServices();
  return useLiveQuery(async () => (key ? ((await getBlob(db, key)) ?? null) : null), [db, key]);
}

/** An object URL for a Blob, revoked when the Blob changes or the component unmounts. */
export function useObjectUrl(blob: Blob | null | undefined): string | undefined {
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    if (!blob) {
      setUrl(undefined);
      return;
    }
    const u = URL.createObjectURL(blob);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [blob]);
  return url;
}

/** An object URL for a stored blob, revoked when the blob changes or the component unmounts. */
export function useBlobUrl(key: string | undefined): string | undefined {
  return useObjectUrl(useBlobRecord(key)?.data);
}

/** A job's timelapse (record and object URL), once stored; undefined when there is none yet. */
export function useTimelapse(jobKey: string): { rec: BlobRecord; url: string } | undefined {
  const rec = useBlobRecord(timelapseBlobKey(jobKey));
  const url = useObjectUrl(rec?.data);
  return rec && url ? { rec, url } : undefined;
}

/** Per class type, the median of the user's latest runs, the given job's own runs left out. */
export function useClassMedians(
  classTypes: readonly string[],
  jobKey: string,
): Map<string, { medianMs: number; runs: number }> | undefined {
  const { db } = useServices();
  const key = [...new Set(classTypes)].sort().join('\n');
  return useLiveQuery(() => classMedians(db, classTypes, jobKey), [db, key, jobKey]);
}

/** The newest preview of a job: the live frame when there is one, else the one Dexie kept. */
export function useJobPreview(job: JobRecord): string | undefined {
  const liveUrl = useLivePreviews().get(job.key)?.url;
  // Only active jobs (or jobs with a stored preview) need the Dexie fallback.
  const stored = useBlobUrl(
    liveUrl === undefined && job.previewCount > 0 ? previewBlobKey(job.key) : undefined,
  );
  return liveUrl ?? stored;
}

/**
 * A page of history that grows as the list scrolls: `limit` rows, newest first. `hasMore` is true while the
 * last query filled its limit, so a virtualised list can show a loader row and ask for more. History is
 * Dexie's alone (the engine writes a state change at once): live ticks would only re-render the whole list.
 */
export function useHistory(
  filter: Omit<HistoryFilter, 'limit' | 'offset'>,
  limit: number,
): { rows: JobRecord[]; hasMore: boolean } | undefined {
  const { db } = useServices();
  const key = JSON.stringify(filter);
  const rows = useLiveQuery(() => history(db, { ...filter, limit }), [db, key, limit]);
  return useMemo(() => (rows ? { rows, hasMore: rows.length >= limit } : undefined), [rows, limit]);
}
