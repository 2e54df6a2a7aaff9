import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../../sim/server';
import type { LiveMessage } from '../protocol';
import { saveSettings } from '../settings';
import { fetchWithOrigin, workflow, wsWithOrigin } from '../testing/engine-harness';
import { loadTranslator } from '../testing/i18n';
import { freshDb, makeServer } from '../testing/records';
import type { EngineNotice } from './engine';
import { startEngineHost } from './host';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ port: 0, originCheck: true, timeScale: 0.2 });
});
afterAll(async () => {
  await sim.close();
});

describe('engine host', () => {
  it('starts from the database, answers engine: messages, reports finished jobs and feeds the sync outbox', async () => {
    const db = freshDb('host');
    // a header-mode token (the default): it must reach neither the outbox nor the live channel
    const token = 'tok-never-synced-5150';
    await db.servers.put(makeServer('local', sim.url, { clientId: 'comfypulse-host-test', token }));
    // an address nothing listens on: uploads fail, so what was queued stays visible in the outbox
    await saveSettings(db, { sync: { enabled: true, url: 'http://127.0.0.1:9', apiKey: 'k' } });
    const live: LiveMessage[] = [];
    const notices: EngineNotice[] = [];
    let listener: ((m: unknown, s: object, r: (x: unknown) => void) => true | undefined) | undefined;
    const origin = new URL(sim.url).origin;
    const host = startEngineHost({
      db,
      runtime: {
        sendMessage: async (m) => {
          notices.push(m as EngineNotice);
          return { ok: true };
        },
        onMessage: { addListener: (cb) => (listener = cb) },
      },
      channel: { postMessage: (m) => live.push(m) },
      WebSocket: wsWithOrigin(origin),
      fetch: fetchWithOrigin(origin),
      t: await loadTranslator('en'),
      extensionOrigin: 'chrome-extension://x',
    });
    try {
      await expect
        .poll(async () => (await db.connections.get('local'))?.state, { timeout: 10_000 })
        .toBe('connected');
      const id = await host.engine.submit('local', workflow('ok'));
      await expect
        .poll(() => notices.filter((n) => n.type === 'bg:jobFinished').length, { timeout: 15_000 })
        .toBe(1);
      // the worker reaches the engine through runtime messages
      const answer = await new Promise((resolve) => {
        const handled = listener?.(
          { type: 'engine:cancelJob', payload: { serverId: 'local', promptId: id } },
          { url: 'chrome-extension://x/background.js' },
          resolve,
        );
        expect(handled).toBe(true);
      });
      expect(answer).toMatchObject({ ok: false, reason: 'finished' });
      expect(listener?.({ type: 'bg:activity', payload: {} }, {}, () => undefined)).toBeUndefined();
      // every job change went to the outbox under the server's address, the last one being the outcome
      await expect
        .poll(
          async () =>
            (await host.sync.outbox.outbox.toArray()).map((e) => [e.record.server, e.record.status]),
          {
            timeout: 5000,
          },
        )
        .toEqual([[sim.url, 'success']]);
      expect(notices.some((n) => n.type === 'bg:activity')).toBe(true);
      expect(live.some((m) => m.kind === 'connection' && m.state === 'connected')).toBe(true);
      // pages trust a state only if the running engine wrote it: every one is stamped at or after its start
      const sinces = live.flatMap((m) => (m.kind === 'connection' ? [m.since] : []));
      expect(Math.min(...sinces)).toBeGreaterThanOrEqual(host.startedAt);
      expect((await db.connections.get('local'))?.since).toBeGreaterThanOrEqual(host.startedAt);
      expect(JSON.stringify(await host.sync.outbox.outbox.toArray())).not.toContain(token);
      expect(JSON.stringify(live.filter((m) => m.kind !== 'preview'))).not.toContain(token);
    } finally {
      host.stop();
    }
  });
});
