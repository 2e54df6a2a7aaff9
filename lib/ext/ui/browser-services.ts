/** The real `UiServices` of an extension page. Entry points call this once and pass it to the provider. */
import { browser } from 'wxt/browser';
import { openDb } from '../db';
import { createPageLiveStore } from './live';
import { sendRuntimeMessage } from './messaging';
import type { UiServices } from './services';

interface SidePanelApi {
  open(options: { windowId: number }): Promise<void>;
}

function sidePanelApi(): SidePanelApi | undefined {
  return (globalThis as { chrome?: { sidePanel?: SidePanelApi } }).chrome?.sidePanel;
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
  return {
    db,
    live: createPageLiveStore(),
    send: sendRuntimeMessage,
    now: () => Date.now(),
    requestOrigins: (origins) =>
      origins.length === 0 ? Promise.resolve(true) : browser.permissions.request({ origins }),
    async openSidePanel(windowId, jobKey) {
      // The direct call keeps the user gesture; the message lets the service worker record the job to show
      // (and open the panel itself where this page cannot, e.g. Firefox's sidebar).
      const direct = windowId !== undefined ? sidePanelApi()?.open({ windowId }) : undefined;
      const viaBg = sendRuntimeMessage('bg:openSidePanel', {
        ...(windowId !== undefined && { windowId }),
        ...(jobKey !== undefined && { jobKey }),
      });
      await Promise.allSettled([direct, viaBg]);
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
  };
}
