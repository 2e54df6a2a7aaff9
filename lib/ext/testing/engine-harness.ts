/**
 * Runs the real engine in Node against the real simulator: fake-indexeddb for Dexie, `ws` for the
 * WebSocket (with the Origin the DNR rule would set in Chrome, or a chosen one), Node's fetch.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import WebSocket from 'ws';
import type { ApiPrompt, FetchLike, WebSocketCtor, WebSocketLike } from '../../comfy/types';
import { systemClock } from '../../comfy/types';
import type { ComfyPulseDB, JobRecord } from '../db';
import { Engine, type EngineDeps, type EngineNotice } from '../engine/engine';
import type { LiveMessage } from '../protocol';
import { loadTranslator } from './i18n';
import { freshDb, makeServer } from './records';

export function workflow(name: string): ApiPrompt {
  return JSON.parse(readFileSync(resolve(__dirname, `../../../fixtures/workflows/${name}.json`), 'utf8'));
}

/** A WebSocket constructor whose handshakes carry `origin` (undefined: no Origin header, like Node). */
export function wsWithOrigin(origin: string | undefined): WebSocketCtor {
  return class extends WebSocket {
    constructor(url: string) {
      super(url, origin ? { origin } : {});
    }
  } as unknown as WebSocketCtor;
}

/** A fetch that adds `Origin` to every non-GET request, as Chrome does for an extension. */
export function fetchWithOrigin(origin: string | undefined): FetchLike {
  return (input, init = {}) => {
    const method = (init.method ?? 'GET').toUpperCase();
    if (!origin || method === 'GET') return fetch(input, init);
    const headers = new Headers(init.headers);
    headers.set('origin', origin);
    return fetch(input, { ...init, headers });
  };
}

export interface Harness {
  db: ComfyPulseDB;
  engine: Engine;
  live: LiveMessage[];
  notices: EngineNotice[];
  serverId: string;
  clientId: string;
  /** Resolves with the stored job once `pred` holds (polling the database). */
  waitForJob(pred: (j: JobRecord) => boolean, timeoutMs?: number, what?: string): Promise<JobRecord>;
  close(): Promise<void>;
}

export async function startHarness(
  simUrl: string,
  opts: { origin?: string; db?: ComfyPulseDB; overrides?: Partial<EngineDeps> } = {},
): Promise<Harness> {
  const db = opts.db ?? freshDb('engine');
  const serverId = 'local';
  const clientId = `comfypulse-test-${Math.random().toString(36).slice(2)}`;
  await db.servers.put(makeServer(serverId, simUrl, { clientId, name: 'Sim' }));
  const live: LiveMessage[] = [];
  const notices: EngineNotice[] = [];
  // By default behave like Chrome with the DNR rule: Origin equals the server's own origin.
  const origin = 'origin' in opts ? opts.origin : new URL(simUrl).origin;
  const engine = new Engine({
    db,
    WebSocket: wsWithOrigin(origin),
    fetch: fetchWithOrigin(origin),
    clock: systemClock,
    t: await loadTranslator('en'),
    extensionOrigin: 'chrome-extension://testextensionid',
    broadcast: (m) => live.push(m),
    notify: (n) => notices.push(n),
    ...opts.overrides,
  });
  await engine.start();
  const waitForJob = async (pred: (j: JobRecord) => boolean, timeoutMs = 15_000, what = 'job') => {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const found = (await db.jobs.toArray()).find(pred);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    const all = (await db.jobs.toArray()).map((j) => `${j.promptId.slice(0, 8)}=${j.status}`);
    throw new Error(`timed out waiting for ${what}; jobs: ${all.join(', ')}`);
  };
  return {
    db,
    engine,
    live,
    notices,
    serverId,
    clientId,
    waitForJob,
    close: async () => {
      await engine.stop();
      db.close();
    },
  };
}

export type { WebSocketLike };
