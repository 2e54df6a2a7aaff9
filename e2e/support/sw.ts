/**
 * Reading the extension's chrome.* state from the service worker or an extension page.
 * Callbacks passed to `evaluate` run inside the browser, where `chrome` is the extension API.
 */
import type { Page, Worker } from '@playwright/test';
import type { Browser } from '@wxt-dev/browser';

// Module-scoped on purpose: a global declaration would collide with any other chrome typings in the project.
declare const chrome: typeof Browser;

export interface RecordedNotification {
  id?: string;
  title?: string;
  message?: string;
  iconUrl?: string;
  imageUrl?: string;
  type?: string;
}

/** Ids of the notifications the extension is showing now. */
export async function notificationIds(sw: Worker): Promise<string[]> {
  return sw.evaluate(async () => Object.keys(await chrome.notifications.getAll()));
}

/**
 * `getAll` returns ids only, so to check what a notification says the worker's `notifications.create` is
 * wrapped to keep a copy of each call. The wrapper lives in the worker's global: install it again after a
 * worker restart.
 */
export async function recordNotifications(sw: Worker): Promise<void> {
  await sw.evaluate(() => {
    const g = globalThis as { __e2eNotifications?: unknown[] };
    if (g.__e2eNotifications) return;
    g.__e2eNotifications = [];
    const api = chrome.notifications;
    const original = api.create.bind(api) as (...args: unknown[]) => unknown;
    (api as { create: unknown }).create = (...args: unknown[]) => {
      const [first, second] = args;
      const opts = (typeof first === 'string' ? second : first) as Record<string, unknown>;
      g.__e2eNotifications?.push({ id: typeof first === 'string' ? first : undefined, ...opts });
      return original(...args);
    };
  });
}

export function recordedNotifications(sw: Worker): Promise<RecordedNotification[]> {
  return sw.evaluate(
    () =>
      ((globalThis as { __e2eNotifications?: unknown[] }).__e2eNotifications ?? []) as RecordedNotification[],
  );
}

export function manifest(sw: Worker): Promise<Browser.runtime.Manifest> {
  return sw.evaluate(() => chrome.runtime.getManifest());
}

export function sessionRules(sw: Worker): Promise<Browser.declarativeNetRequest.Rule[]> {
  return sw.evaluate(() => chrome.declarativeNetRequest.getSessionRules());
}

/** Sends a message from an extension page; used to wake a stopped service worker. */
export async function pingFromPage(page: Page): Promise<void> {
  await page.evaluate(() => chrome.runtime.sendMessage({ type: 'e2e:ping' }).catch(() => undefined));
}

/** Marks the current service-worker global so that a later read can tell whether the worker restarted. */
export async function markWorker(sw: Worker): Promise<void> {
  await sw.evaluate(() => {
    (globalThis as { __e2eMarker?: number }).__e2eMarker = 1;
  });
}

export function workerWasRestarted(sw: Worker): Promise<boolean> {
  return sw.evaluate(() => (globalThis as { __e2eMarker?: number }).__e2eMarker === undefined);
}
