// The offscreen document: hosts the engine that owns the ComfyUI sockets (see lib/ext/engine/host.ts).
import { browser } from 'wxt/browser';
import type { WebSocketCtor } from '@/lib/comfy/types';
import { openDb } from '@/lib/ext/db';
import { startEngineHost } from '@/lib/ext/engine/host';
import { loadRuntimeTranslator } from '@/lib/ext/i18n-runtime';
import { LIVE_CHANNEL } from '@/lib/ext/protocol';

async function main() {
  const t = await loadRuntimeTranslator((p) => browser.runtime.getURL(p as '/'), navigator.languages);
  startEngineHost({
    db: openDb(),
    runtime: browser.runtime,
    channel: new BroadcastChannel(LIVE_CHANNEL),
    WebSocket: WebSocket as unknown as WebSocketCtor,
    fetch: (input, init) => fetch(input, init),
    t,
    extensionOrigin: new URL(browser.runtime.getURL('/')).origin,
    log: (msg, e) => console.warn(`[comfypulse engine] ${msg}`, e),
  });
}

void main();
