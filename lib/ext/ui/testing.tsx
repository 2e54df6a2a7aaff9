/**
 * Test support for UI components: the real `i18n.t` over `locales/<locale>.yml` (strict: an unknown key
 * throws, so a missing message fails the test), and `UiServices` over a fake-indexeddb database, a live
 * store fed by hand, and recorded messages.
 */
import { resolve } from 'node:path';
import { act, render } from '@testing-library/react';
import { generateChromeMessages, parseMessagesFile } from '@wxt-dev/i18n/build';
import type { ReactElement } from 'react';
import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { IDBKeyRange, indexedDB } from 'fake-indexeddb';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { openDb } from '../db';
import type { ProtocolKey, ProtocolRequest, ProtocolResponse } from '../protocol';
import { createLiveStore } from './live';
import type { EngineLiveness, LivenessSnapshot } from './liveness';
import type { Send } from './messaging';
import { ServicesProvider, type UiServices } from './services';

export async function loadMessages(locale = 'en'): Promise<Record<string, { message: string }>> {
  const parsed = await parseMessagesFile(resolve(__dirname, `../../../locales/${locale}.yml`));
  return generateChromeMessages(parsed) as Record<string, { message: string }>;
}

/** Makes `browser.i18n.getMessage` answer from the locale file, as Chrome would from `_locales`. */
export async function installI18n(locale = 'en'): Promise<Record<string, { message: string }>> {
  const messages = await loadMessages(locale);
  const i18nApi = fakeBrowser.i18n as unknown as {
    getMessage: (key: string, subs?: string | string[]) => string;
    getUILanguage: () => string;
  };
  i18nApi.getMessage = (key, subs) => {
    const m = messages[key];
    if (!m) throw new Error(`missing i18n message "${key}" in ${locale}.yml`);
    const list = subs === undefined ? [] : Array.isArray(subs) ? subs : [subs];
    return m.message.replace(/\$(\d)/g, (_, n: string) => list[Number(n) - 1] ?? '');
  };
  i18nApi.getUILanguage = () => locale;
  return messages;
}

// Dexie reads these at import time; a test file may have imported Dexie before the shim above ran, and
// liveQuery's range tracking uses the global dependencies rather than the per-database options.
Dexie.dependencies.indexedDB = indexedDB;
Dexie.dependencies.IDBKeyRange = IDBKeyRange;

let dbSeq = 0;

export interface SentMessage {
  type: ProtocolKey;
  payload: unknown;
}

export type Responder = {
  [K in ProtocolKey]?: (payload: ProtocolRequest<K>) => ProtocolResponse<K> | Promise<ProtocolResponse<K>>;
};

export interface TestServices extends UiServices {
  sent: SentMessage[];
  requestedOrigins: string[][];
  openedSidePanel: { windowId: number | undefined; jobKey?: string | undefined }[];
  /** Posts a live-channel message and flushes it into the snapshot. */
  post(message: unknown): Promise<void>;
  /** Sets which engine vouches for connection states (null: none does). */
  setEngine(startedAt: number | null): Promise<void>;
  /** The videos `timelapseGif` was asked to convert, and the files `saveFile` was given. */
  gifRequests: Blob[];
  savedFiles: { data: Blob; name: string }[];
}

/** A liveness the test drives; by default an engine that started at 0 vouches for every state. */
function drivenLiveness(initial: number | null) {
  let snapshot: LivenessSnapshot = { startedAt: initial };
  const listeners = new Set<() => void>();
  const liveness: EngineLiveness = {
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    getSnapshot: () => snapshot,
    close: () => listeners.clear(),
  };
  const set = (startedAt: number | null) => {
    snapshot = { startedAt };
    for (const l of listeners) l();
  };
  return { liveness, set };
}

export function makeServices(
  opts: {
    now?: number;
    respond?: Responder;
    grant?: boolean;
    windowId?: number;
    engineStartedAt?: number | null;
    /** What `timelapseGif` answers (default: a GIF header). */
    gif?: (video: Blob) => Promise<Blob>;
  } = {},
): TestServices {
  const sent: SentMessage[] = [];
  const requestedOrigins: string[][] = [];
  const openedSidePanel: TestServices['openedSidePanel'] = [];
  const gifRequests: Blob[] = [];
  const savedFiles: TestServices['savedFiles'] = [];
  let urlSeq = 0;
  const live = createLiveStore({
    createObjectURL: () => `blob:live/${urlSeq++}`,
    revokeObjectURL: () => {},
    schedule: (fn) => queueMicrotask(fn),
  });
  const engine = drivenLiveness(opts.engineStartedAt === undefined ? 0 : opts.engineStartedAt);
  const send: Send = async (type, payload) => {
    sent.push({ type, payload });
    const handler = opts.respond?.[type] as ((p: typeof payload) => unknown) | undefined;
    if (!handler) throw new Error(`no test responder for ${type}`);
    return (await handler(payload)) as never;
  };
  return {
    // Explicit factory: Dexie may have been imported before any global IndexedDB shim was installed.
    db: openDb(`ui-${dbSeq++}-${Math.random().toString(36).slice(2)}`, { indexedDB, IDBKeyRange }),
    live,
    engine: engine.liveness,
    send,
    now: () => opts.now ?? 1_000_000,
    requestOrigins: async (origins) => {
      requestedOrigins.push(origins);
      return opts.grant ?? true;
    },
    openSidePanel: async (windowId, jobKey) => {
      openedSidePanel.push({ windowId, jobKey });
    },
    currentWindowId: async () => opts.windowId,
    openOptions: () => {},
    timelapseGif: async (video) => {
      gifRequests.push(video);
      return opts.gif
        ? opts.gif(video)
        : new Blob([new TextEncoder().encode('GIF89a')], { type: 'image/gif' });
    },
    saveFile: (data, name) => {
      savedFiles.push({ data, name });
    },
    gifRequests,
    savedFiles,
    sent,
    requestedOrigins,
    openedSidePanel,
    async setEngine(startedAt) {
      await act(async () => {
        engine.set(startedAt);
        await Promise.resolve();
      });
    },
    async post(message) {
      await act(async () => {
        live.apply(message);
        await Promise.resolve();
      });
    },
  };
}

export function renderWith(services: UiServices, ui: ReactElement) {
  return render(<ServicesProvider services={services}>{ui}</ServicesProvider>);
}
