/**
 * The `connections` rows: what the UI shows about each server (state, the doctor's detail, version).
 * They outlive the engine that wrote them; pages trust them only once a live engine vouched (ui/liveness).
 */
import type { ComfyHttp } from '../../comfy/http';
import type { ConnectionState } from '../../comfy/types';
import type { ComfyPulseDB, ConnectionRecord } from '../db';

/** Records a server's connection state, keeping what else the row holds (version, jobs-API flag). */
export async function writeConnectionState(
  db: ComfyPulseDB,
  serverId: string,
  state: ConnectionState,
  since: number,
  detail: string | undefined,
): Promise<void> {
  await db.transaction('rw', db.connections, async () => {
    const prev = await db.connections.get(serverId);
    const rec: ConnectionRecord = { ...prev, serverId, state, since };
    if (detail) rec.detail = detail;
    else delete rec.detail;
    await db.connections.put(rec);
  });
}

/** The server's version and whether it has the jobs API, for the options page; best effort. */
export async function recordServerInfo(db: ComfyPulseDB, serverId: string, http: ComfyHttp): Promise<void> {
  try {
    const [stats, jobsApi] = await Promise.all([
      http.systemStats().catch(() => undefined),
      http.supportsJobs().catch(() => undefined),
    ]);
    const version = (stats?.system as { comfyui_version?: string } | undefined)?.comfyui_version;
    await db.connections.update(serverId, {
      ...(version ? { serverVersion: version } : {}),
      ...(jobsApi !== undefined ? { jobsApi } : {}),
    });
  } catch {
    // version and jobs-API flag are only shown to the user; failing to store them changes nothing else
  }
}
