/**
 * The sync uploader's status as the options page shows it. lib/sync has no status API yet, so this reads
 * nothing and the page says the status is unknown; `useSyncStatus` is the one place to wire it.
 */
export interface SyncStatusView {
  lastSyncAt?: number;
  pending: number;
  lastError?: string;
}

export function useSyncStatus(): SyncStatusView | undefined {
  return undefined;
}
