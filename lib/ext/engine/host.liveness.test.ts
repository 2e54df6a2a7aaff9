import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../comfy/testing/fake-clock';
import type { WebSocketCtor } from '../../comfy/types';
import { ENGINE_HEARTBEAT_MS, type LiveMessage } from '../protocol';
import { loadTranslator } from '../testing/i18n';
import { freshDb } from '../testing/records';
import { startEngineHost } from './host';

describe('engine host liveness', () => {
  it('stamps its start, says it is alive at once and every heartbeat period, and answers engine:status', async () => {
    const clock = new FakeClock(50_000);
    const live: LiveMessage[] = [];
    let listener: ((m: unknown, s: object, r: (x: unknown) => void) => true | undefined) | undefined;
    const host = startEngineHost({
      db: freshDb('host-liveness'),
      runtime: {
        sendMessage: async () => ({ ok: true }),
        onMessage: { addListener: (cb) => (listener = cb) },
      },
      channel: { postMessage: (m) => live.push(m) },
      WebSocket: class {} as unknown as WebSocketCtor,
      fetch: async () => new Response('{}'),
      t: await loadTranslator('en'),
      extensionOrigin: 'chrome-extension://x',
      clock,
    });
    try {
      expect(host.startedAt).toBe(50_000);
      const beats = () => live.filter((m) => m.kind === 'engine');
      expect(beats()).toEqual([{ kind: 'engine', startedAt: 50_000, at: 50_000 }]);
      clock.advance(ENGINE_HEARTBEAT_MS * 3);
      expect(beats().map((b) => b.kind === 'engine' && b.at - 50_000)).toEqual([
        0,
        ENGINE_HEARTBEAT_MS,
        ENGINE_HEARTBEAT_MS * 2,
        ENGINE_HEARTBEAT_MS * 3,
      ]);
      const status = await new Promise((resolve) => {
        expect(
          listener?.(
            { type: 'engine:status', payload: {} },
            { url: 'chrome-extension://x/background.js' },
            resolve,
          ),
        ).toBe(true);
      });
      expect(status).toEqual({ startedAt: 50_000 });
    } finally {
      host.stop();
    }
    const before = live.length;
    clock.advance(ENGINE_HEARTBEAT_MS * 2);
    expect(live).toHaveLength(before);
  });
});
