// Thin wiring only: the service worker's logic lives in lib/ext/background/setup.ts.

import { browser } from 'wxt/browser';
import { i18n } from '#i18n';
import { systemClock, type WebSocketCtor } from '@/lib/comfy/types';
import {
  type BackgroundApis,
  directNotices,
  inProcessEngineLink,
  offscreenEngineLink,
  setupBackground,
} from '@/lib/ext/background/setup';
import { openDb } from '@/lib/ext/db';
import { startEngineHost } from '@/lib/ext/engine/host';
import { fromWxtI18n } from '@/lib/ext/i18n';
import { LIVE_CHANNEL } from '@/lib/ext/protocol';
import { startMediaPipeline } from '@/lib/ext/timelapse/browser';

export default defineBackground(() => {
  const db = openDb();
  const t = fromWxtI18n(i18n.t);
  // MV2 (Firefox) names the toolbar button `browserAction`
  const b = browser as unknown as BackgroundApis & { browserAction?: BackgroundApis['action'] };
  const apis: BackgroundApis = Object.assign(Object.create(b) as BackgroundApis, {
    action: b.action ?? b.browserAction,
  });
  const log = (msg: string, e?: unknown) => console.warn(`[comfypulse] ${msg}`, e);

  let bg: ReturnType<typeof setupBackground> | undefined;
  // The timelapse recorder (its encoder in a Worker) and the thumbnail scaler run in Firefox's background
  // page as in Chrome's offscreen document: Workers, OffscreenCanvas, createImageBitmap and WebCodecs exist
  // there (e2e-firefox/timelapse.spec.ts).
  const firefoxMedia = () => {
    const { timelapse, thumbnail } = startMediaPipeline({ db, clock: systemClock, log });
    return { timelapse, thumbnail };
  };
  const engine = import.meta.env.FIREFOX
    ? // Firefox has no offscreen documents, and its background page may hold sockets itself.
      inProcessEngineLink(
        startEngineHost({
          db,
          // content scripts (the tab bridge) reach the engine with engine: messages here
          runtime: browser.runtime,
          channel: new BroadcastChannel(LIVE_CHANNEL),
          WebSocket: WebSocket as unknown as WebSocketCtor,
          fetch: (input, init) => fetch(input, init),
          t,
          extensionOrigin: new URL(browser.runtime.getURL('/')).origin,
          notifyDirect: directNotices(() => bg?.handlers),
          ...firefoxMedia(),
          log,
        }).handlers,
      )
    : offscreenEngineLink(apis);
  bg = setupBackground({ db, apis, engine, t, now: Date.now, log });
});
