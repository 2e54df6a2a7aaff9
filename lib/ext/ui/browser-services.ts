/** The real `UiServices` of an extension page. Entry points call this once and pass it to the provider. */
import { browser } from 'wxt/browser';
import { systemClock } from '../../comfy/types';
import { openDb } from '../db';
import { workerGifMaker } from '../timelapse/gif-maker';
import { createPageLiveStore } from './live';
import { createPageLiveness } from './liveness';
import { sendRuntimeMessage } from './messaging';
import { sidePanelPath } from './route';
import type { UiServices } from './services';

interface SidePanelApi {
  open(options: { windowId: number }): Promise<void>;
  setOptions?(options: { path?: string; enabled?: boolean }): Promise<void>;
}

/** Firefox's sidebar (`sidebar_action`), where Chrome has the side panel. */
interface SidebarActionApi {
  open(): Promise<void>;
  setPanel(details: { panel: string }): Promise<void>;
}

function sidePanelApi(): SidePanelApi | undefined {
  return (globalThis as { chrome?: { sidePanel?: SidePanelApi } }).chrome?.sidePanel;
}

function sidebarActionApi(): SidebarActionApi | undefined {
  return (browser as unknown as { sidebarAction?: SidebarActionApi }).sidebarAction;
}

/** True in the toolbar popup (not when popup.html is opened as a tab, as end-to-end tests do). */
function isActionPopup(): boolean {
  try {
    return browser.extension.getViews({ type: 'popup' }).includes(window);
  } catch {
    return false;
  }
}

export function createBrowserServices(): UiServices {
  const db = openDb();
  // Start opening IndexedDB now, in parallel with React's first render, rather than on the first query.
  void db.open().catch(() => undefined);
  return {
    db,
    live: createPageLiveStore(),
    // wakes the worker as the page opens, so a dead engine is restored now rather than at the next alarm
    engine: createPageLiveness(() => sendRuntimeMessage('bg:ensureEngine', {}), systemClock),
    send: sendRuntimeMessage,
    now: () => Date.now(),
    requestOrigins: (origins) =>
      origins.length === 0 ? Promise.resolve(true) : browser.permissions.request({ origins }),
    async openSidePanel(windowId, jobKey) {
      // Opened here, synchronously in the click (sidePanel.open needs the user gesture, which a message to
      // the service worker does not carry); the background only takes over where this is refused or
      // unavailable, e.g. it falls back to a tab. The path is set first so the panel shows what was asked
      // for, not a job a notification opened earlier.
      const api = sidePanelApi();
      const sidebar = sidebarActionApi();
      let opened = false;
      if (sidebar) {
        // Firefox: `open()` too must run in the click, so nothing before it is awaited
        const panel = new URL(sidePanelPath(jobKey), location.href).href;
        void sidebar.setPanel({ panel }).catch(() => undefined);
        opened = await sidebar.open().then(
          () => true,
          () => false,
        );
      } else if (api && windowId !== undefined) {
        void api.setOptions?.({ path: sidePanelPath(jobKey), enabled: true }).catch(() => undefined);
        opened = await api.open({ windowId }).then(
          () => true,
          () => false,
        );
      }
      if (!opened) {
        await sendRuntimeMessage('bg:openSidePanel', {
          ...(windowId !== undefined && { windowId }),
          ...(jobKey !== undefined && { jobKey }),
        }).catch(() => undefined);
      }
      if (isActionPopup()) window.close();
    },
    async currentWindowId() {
      try {
        return (await browser.windows.getCurrent()).id;
      } catch {
        return undefined;
      }
    },
    openOptions: () => void browser.runtime.openOptionsPage(),
    timelapseGif: workerGifMaker(systemClock),
    saveFile(data, name) {
      const url = URL.createObjectURL(data);
      const a = Object.assign(document.createElement('a'), { href: url, download: name });
      a.click();
      // the download has its own copy once it started
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    },
  };
}
