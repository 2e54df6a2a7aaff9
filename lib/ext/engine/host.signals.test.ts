/**
 * Signals that a server may be back make waiting connections dial at once, without adding periodic
 * handshakes: the browser's `online` event, a page opening (`engine:status`, sent by `bg:ensureEngine`),
 * and the ComfyUI tab's own socket reopening (`engine:tabReconnected`, only for that tab's server).
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../comfy/testing/fake-clock';
import { fakeWebSocketServer } from '../../comfy/testing/fake-websocket';
import type { MessageSender } from '../messaging';
import { loadTranslator } from '../testing/i18n';
import { freshDb, makeServer } from '../testing/records';
import { type OnlineEvents, startEngineHost } from './host';

const A = 'http://127.0.0.1:8188';
const B = 'http://127.0.0.1:8189';

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

async function hostWithTwoServersDown() {
  const db = freshDb('host-signals');
  await db.servers.bulkPut([
    makeServer('a', A, { clientId: 'comfypulse-a' }),
    makeServer('b', B, { clientId: 'comfypulse-b', createdAt: 2 }),
  ]);
  const clock = new FakeClock();
  const ws = fakeWebSocketServer();
  const online = new EventTarget() as EventTarget & OnlineEvents;
  let listener: ((m: unknown, s: MessageSender, r: (x: unknown) => void) => true | undefined) | undefined;
  const pagesOpened: number[] = [];
  const host = startEngineHost({
    db,
    runtime: { sendMessage: async () => ({ ok: true }), onMessage: { addListener: (cb) => (listener = cb) } },
    channel: { postMessage: () => undefined },
    WebSocket: ws.WebSocket,
    fetch: async () => {
      throw new TypeError('fetch failed'); // both servers are down: HTTP unreachable too
    },
    t: await loadTranslator('en'),
    extensionOrigin: 'chrome-extension://x',
    clock,
    onlineEvents: online,
    timelapse: { addFrame: () => undefined, finish: () => undefined, pageOpened: () => pagesOpened.push(1) },
  });
  const dialsTo = (base: string) =>
    ws.sockets.filter((s) => s.url.startsWith(base.replace('http', 'ws'))).length;
  await until(() => dialsTo(A) === 1 && dialsTo(B) === 1, 'both servers dialled');
  // both handshakes are refused: each connection now waits out its backoff (the fake clock never moves)
  for (const s of [...ws.sockets]) s.failHandshake();
  const ask = (type: string, sender: MessageSender = { url: 'chrome-extension://x/background.js' }) =>
    new Promise((resolve) => {
      if (listener?.({ type, payload: {} }, sender, resolve) !== true) resolve('no answer');
    });
  return {
    host,
    ws,
    online,
    pagesOpened,
    listener: () => listener!,
    dialsTo,
    ask,
    failAll: () => {
      for (const s of ws.sockets) s.failHandshake();
    },
  };
}

describe('engine host: signals that the server may be back', () => {
  it('the browser coming online dials every waiting connection at once', async () => {
    const h = await hostWithTwoServersDown();
    try {
      h.online.dispatchEvent(new Event('online'));
      expect([h.dialsTo(A), h.dialsTo(B)]).toEqual([2, 2]);
    } finally {
      h.host.stop();
    }
  });

  it('a page opening (engine:status from bg:ensureEngine) dials every waiting connection, holds an encode off, and still answers', async () => {
    const h = await hostWithTwoServersDown();
    try {
      expect(await h.ask('engine:status')).toEqual({ startedAt: h.host.startedAt });
      expect([h.dialsTo(A), h.dialsTo(B)]).toEqual([2, 2]);
      expect(h.pagesOpened).toHaveLength(1);
    } finally {
      h.host.stop();
    }
  });

  it("the ComfyUI tab's socket reopening dials that tab's server only, and only from a tab on it", async () => {
    const h = await hostWithTwoServersDown();
    try {
      expect(await h.ask('engine:tabReconnected', { tab: { id: 1 }, url: `${B}/` })).toEqual({ ok: true });
      expect([h.dialsTo(A), h.dialsTo(B)]).toEqual([1, 2]);
      h.failAll();
      // a page on another origin, or a sender that is no tab, is not a ComfyUI tab of ours: no answer
      expect(await h.ask('engine:tabReconnected', { tab: { id: 2 }, url: 'http://127.0.0.1:9999/' })).toBe(
        'no answer',
      );
      expect(await h.ask('engine:tabReconnected', { url: `${A}/` })).toBe('no answer');
      expect([h.dialsTo(A), h.dialsTo(B)]).toEqual([1, 2]);
    } finally {
      h.host.stop();
    }
  });

  it("takes tab frames from a server's tab only when they are well-formed and within the size cap", async () => {
    const h = await hostWithTwoServersDown();
    try {
      const seen: number[] = [];
      const ingest = h.host.engine.ingestTabFrames.bind(h.host.engine);
      h.host.engine.ingestTabFrames = (url, frames) => {
        seen.push(frames.length);
        return ingest(url, frames);
      };
      const fromTab = { tab: { id: 1 }, url: `${A}/` };
      const send = (payload: unknown) =>
        new Promise((resolve) => {
          if (h.listener()({ type: 'engine:tabFrames', payload }, fromTab, resolve) !== true)
            resolve('no answer');
        });
      const frame = { type: 'progress', data: { value: 1, max: 2, prompt_id: 'p', node: '3' } };
      await send({ frames: [frame, frame] });
      expect(seen).toEqual([2]);
      expect(await send({ frames: [{ type: 'bg:saveServer', data: {} }] })).toEqual({
        ok: false,
        applied: 0,
      });
      expect(await send({ frames: [{ ...frame, data: { pad: 'x'.repeat(5 * 1024 * 1024) } }] })).toEqual({
        ok: false,
        applied: 0,
      });
      expect(seen).toEqual([2]);
    } finally {
      h.host.stop();
    }
  });

  it('a signal while connected changes nothing: no extra handshake', async () => {
    const h = await hostWithTwoServersDown();
    try {
      h.online.dispatchEvent(new Event('online'));
      for (const s of h.ws.sockets.slice(-2)) s.open();
      h.online.dispatchEvent(new Event('online'));
      await h.ask('engine:status');
      await h.ask('engine:tabReconnected', { tab: { id: 1 }, url: `${A}/` });
      expect([h.dialsTo(A), h.dialsTo(B)]).toEqual([2, 2]);
    } finally {
      h.host.stop();
    }
  });

  it('stops listening for online events when stopped', async () => {
    const h = await hostWithTwoServersDown();
    h.host.stop();
    await until(() => h.host.engine.connection('a') === undefined, 'connections closed');
    h.online.dispatchEvent(new Event('online'));
    expect([h.dialsTo(A), h.dialsTo(B)]).toEqual([1, 1]);
  });
});
