/**
 * Merging Dexie's durable records with the live channel's newer ones. The rule is one line: per job key,
 * the record with the larger `updatedAt` wins (Dexie on a tie, as it is the durable copy). Active and
 * finished lists are derived from one merged set, so a job is never shown in both at once.
 */
import type { ConnectionState } from '../../comfy/types';
import type { ConnectionRecord, JobRecord } from '../db';
import { byQueueOrder } from '../storage/repo';
import type { LiveConnection, LiveSnapshot } from './live';

export function newer(db: JobRecord | undefined, live: JobRecord | undefined): JobRecord | undefined {
  if (!db) return live;
  if (!live) return db;
  return live.updatedAt > db.updatedAt ? live : db;
}

export interface JobBoard {
  active: JobRecord[];
  recent: JobRecord[];
}

/**
 * The popup's and side panel's board: active jobs in queue order and the `recentLimit` newest finished
 * ones. Live records of jobs Dexie has not written yet are included, so a new job appears at once.
 */
export function mergeBoard(
  dbActive: readonly JobRecord[],
  dbRecent: readonly JobRecord[],
  live: ReadonlyMap<string, JobRecord>,
  recentLimit: number,
): JobBoard {
  const all = new Map<string, JobRecord>();
  for (const j of dbRecent) all.set(j.key, j);
  for (const j of dbActive) all.set(j.key, newer(all.get(j.key), j)!);
  for (const j of live.values()) all.set(j.key, newer(all.get(j.key), j)!);
  const active: JobRecord[] = [];
  const recent: JobRecord[] = [];
  for (const j of all.values()) (j.active === 1 ? active : recent).push(j);
  active.sort(byQueueOrder);
  recent.sort((a, b) => b.createdAt - a.createdAt || (a.key < b.key ? 1 : -1));
  return { active, recent: recent.slice(0, recentLimit) };
}

/** Per server, the newer of the stored and the broadcast connection state. */
export function mergeConnections(
  db: readonly ConnectionRecord[],
  live: LiveSnapshot['connections'],
): Map<string, LiveConnection> {
  const out = new Map<string, LiveConnection>();
  for (const c of db) {
    out.set(c.serverId, {
      serverId: c.serverId,
      state: c.state,
      since: c.since,
      ...(c.detail !== undefined && { detail: c.detail }),
    });
  }
  for (const c of live.values()) {
    const stored = out.get(c.serverId);
    if (!stored || c.since >= stored.since) out.set(c.serverId, c);
  }
  return out;
}

/** What a server's badge shows: its known state, else connecting (enabled) or offline (disabled). */
export function displayState(
  server: { enabled: boolean },
  connection: { state: ConnectionState } | undefined,
): ConnectionState {
  return connection?.state ?? (server.enabled ? 'connecting' : 'offline');
}
