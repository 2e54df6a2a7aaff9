// The offscreen document: hosts the engine that owns the ComfyUI sockets (see lib/ext/engine/host.ts).
import { browser } from 'wxt/browser';
import { systemClock, type WebSocketCtor } from '@/lib/comfy/types';
import { openDb } from '@/lib/ext/db';
import { startEngineHost } from '@/lib/ext/engine/host';
import { loadRuntimeTranslator } from '@/lib/ext/i18n-runtime';
import { LIVE_CHANNEL } from '@/lib/ext/protocol';
import { startMediaPipeline } from '@/lib/ext/timelapse/browser';

async function main() {
  const t = await loadRuntimeTranslator((p) => browser.runtime.getURL(p as '/'), navigator.languages);
  const db = openDb();
  const log = (msg: string, e?: unknown) => console.warn(`[comfypulse engine] ${msg}`, e);
  // Timelapses are encoded in a Worker, so the sockets on this document's thread never wait for them.
  const media = startMediaPipeline({ db, clock: systemClock, log });
  startEngineHost({
    db,
    runtime: browser.runtime,
    channel: new BroadcastChannel(LIVE_CHANNEL),
    WebSocket: WebSocket as unknown as WebSocketCtor,
    fetch: (input, init) => fetch(input, init),
    t,
    extensionOrigin: new URL(browser.runtime.getURL('/')).origin,
    timelapse: media.timelapse,
    thumbnail: media.thumbnail,
    log,
  });
}

void main();
