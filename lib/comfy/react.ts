/**
 * React bindings for ComfyClient, built on `useSyncExternalStore`. The only module of `lib/comfy` that
 * imports React (an optional peer dependency).
 */
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { ComfyClient, type ComfyClientOptions } from './client';
import type { ConnectionState, JobState } from './types';

/**
 * Creates a client for `options` and closes it on unmount or when the server identity (url, token,
 * token mode, clientId) changes. Other options are read once per client. Returns null until created
 * and when `options` is null (no server configured).
 */
export function useComfyClient(options: ComfyClientOptions | null): ComfyClient | null {
  const [client, setClient] = useState<ComfyClient | null>(null);
  const key = options
    ? JSON.stringify([options.url, options.token ?? '', options.tokenMode ?? '', options.clientId ?? ''])
    : null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: the client is recreated only when the server identity (key) changes
  useEffect(() => {
    if (!options) return;
    const c = new ComfyClient(options);
    setClient(c);
    return () => {
      c.close();
      setClient((cur) => (cur === c ? null : cur));
    };
  }, [key]);
  return client;
}

const noClient = () => () => {};
const NO_JOBS: Readonly<Record<string, JobState>> = Object.freeze({});

/** The job table of `client`, re-rendering on every change. */
export function useComfyJobTable(client: ComfyClient | null): Readonly<Record<string, JobState>> {
  return useSyncExternalStore(
    client ? (cb) => client.on('change', cb) : noClient,
    () => client?.getJobs() ?? NO_JOBS,
    () => client?.getJobs() ?? NO_JOBS,
  );
}

/** Jobs newest first (by queue time, then last update). */
export function useComfyJobs(client: ComfyClient | null): JobState[] {
  const table = useComfyJobTable(client);
  return useMemo(
    () =>
      Object.values(table).sort(
        (a, b) => (b.queuedAt ?? b.updatedAt) - (a.queuedAt ?? a.updatedAt) || b.updatedAt - a.updatedAt,
      ),
    [table],
  );
}

export function useComfyJob(
  client: ComfyClient | null,
  promptId: string | null | undefined,
): JobState | undefined {
  const table = useComfyJobTable(client);
  return promptId ? table[promptId] : undefined;
}

export function useConnectionState(client: ComfyClient | null): ConnectionState {
  return useSyncExternalStore(
    client ? (cb) => client.on('status', cb) : noClient,
    () => client?.connectionState ?? 'offline',
    () => client?.connectionState ?? 'offline',
  );
}
