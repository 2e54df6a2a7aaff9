/**
 * The sync uploader's status (last sync, pending records, last error) for the options page, asked of the
 * background with `bg:syncStatus` on mount and then every few seconds while the page is open: the outbox
 * lives in the engine's context, and a poll of one small message is cheaper than watching its database.
 */
import { useEffect, useState } from 'react';
import { errorText } from '../error-text';
import type { SyncStatusReport } from '../protocol';
import { useServices } from './services';

export type SyncStatusView = SyncStatusReport;

export function useSyncStatus(intervalMs = 3000): { status?: SyncStatusView; error?: string } {
  const { send } = useServices();
  const [state, setState] = useState<{ status?: SyncStatusView; error?: string }>({});
  useEffect(() => {
    let alive = true;
    const poll = async () => {
      try {
        const status = await send('bg:syncStatus', {});
        if (alive) setState({ status });
      } catch (e) {
        if (alive) setState((s) => ({ ...s, error: errorText(e) }));
      }
    };
    void poll();
    const id = setInterval(poll, intervalMs);
    return () => {
      alive = false;
      clearInterval(id);
    };
  }, [send, intervalMs]);
  return state;
}
