/** Test builders for extension records: complete rows with overridable fields. */
import type { JobStatus } from '../../comfy/types';
import { activeFlag, type ComfyPulseDB, type JobRecord, openDb, type ServerRecord } from '../db';

let dbSeq = 0;

/** A fresh, uniquely named database (callers import 'fake-indexeddb/auto' first). */
export function freshDb(prefix = 'test'): ComfyPulseDB {
  return openDb(`${prefix}-${dbSeq++}-${Math.random().toString(36).slice(2)}`);
}

export function makeJob(
  serverId: string,
  promptId: string,
  status: JobStatus,
  createdAt: number,
  extra: Partial<JobRecord> = {},
): JobRecord {
  return {
    key: `${serverId}:${promptId}`,
    serverId,
    promptId,
    status,
    active: activeFlag(status),
    own: false,
    createdAt,
    updatedAt: createdAt,
    currentNode: null,
    progress: status === 'success' ? 1 : 0,
    nodes: {},
    classTypes: {},
    outputs: {},
    previewCount: 0,
    ...(activeFlag(status) ? {} : { endedAt: createdAt + 1000 }),
    ...extra,
  };
}

export function makeServer(id: string, url: string, extra: Partial<ServerRecord> = {}): ServerRecord {
  return {
    id,
    name: id,
    url,
    tokenMode: 'header',
    enabled: true,
    clientId: `comfypulse-test-${id}`,
    createdAt: 0,
    ...extra,
  };
}
