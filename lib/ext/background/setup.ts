/**
 * The service worker's logic: message handlers, the offscreen engine's lifetime, DNR rules,
 * notifications, badge, retention and the watchdog. `entrypoints/background.ts` only passes the browser
 * APIs in. Everything here must tolerate the worker being stopped and started at any time: state lives
 * in Dexie and in the offscreen engine, and `boot()` is idempotent.
 */

import { scrub } from '../../comfy/errors';
import { type ComfyPulseDB, DEFAULT_TOKEN_MODE } from '../db';
import { missingPermissionReport } from '../engine/doctor';
import type { EngineNotice } from '../engine/engine';
import { unwrapAnswer } from '../error-answer';
import { errorText } from '../error-text';
import type { Translate } from '../i18n';
import { createDispatcher, type Handlers, type MessageSender } from '../messaging';
import { permissionOriginsFor } from '../permissions';
import type { ProtocolKey, ProtocolRequest, ProtocolResponse } from '../protocol';
import { senderOrigin, senderPolicy } from '../sender-policy';
import { getSettings } from '../settings';
import { applyRetention } from '../storage/retention';
import { badgeFor } from './badge';
import {
  type BridgeRegistrar,
  type ContentScriptsApi,
  contentScriptsRegistrar,
  type ScriptingApi,
  scriptingRegistrar,
} from './bridge-scripts';
import { clearDoctorRules, type DnrApi, doctorRuleRunner, extensionInitiator, syncHeaderRules } from './dnr';
import {
  type AnnounceDeps,
  announceJob,
  announcePending,
  jobKeyFromNotificationId,
  type NotificationsApi,
} from './notifications';
import { ensureOffscreen, OFFSCREEN_PATH, type OffscreenApi, type RuntimeContextsApi } from './offscreen';
import { ensureDefaultServer, migrateTokenModeDefault, removeServer, saveServer } from './servers';

export const WATCHDOG_ALARM = 'comfypulse-watchdog';
export const RETENTION_ALARM = 'comfypulse-retention';

type EngineKey = Extract<ProtocolKey, `engine:${string}`>;

/** How the worker reaches the engine: messages to the offscreen document, or a direct call (Firefox). */
export interface EngineLink {
  call<K extends EngineKey>(type: K, payload: ProtocolRequest<K>): Promise<ProtocolResponse<K>>;
  /**
   * Makes sure the engine runs (creates the offscreen document); resolves true when it already ran.
   * Always true where the engine is in-process.
   */
  ensure(): Promise<boolean>;
}

export interface BackgroundApis {
  runtime: RuntimeContextsApi & {
    id: string;
    getURL(path: string): string;
    sendMessage(message: unknown): Promise<unknown>;
    onMessage: {
      addListener(cb: (m: unknown, s: MessageSender, r: (x: unknown) => void) => true | undefined): void;
    };
    onInstalled: { addListener(cb: (d: { reason: string }) => void): void };
    onStartup: { addListener(cb: () => void): void };
  };
  offscreen?: OffscreenApi;
  alarms: {
    create(name: string, info: { periodInMinutes: number; delayInMinutes?: number }): unknown;
    onAlarm: { addListener(cb: (a: { name: string }) => void): void };
  };
  notifications: NotificationsApi & {
    onClicked: { addListener(cb: (id: string) => void): void };
    clear?(id: string): unknown;
  };
  action: {
    setBadgeText(d: { text: string }): unknown;
    setBadgeBackgroundColor(d: { color: string }): unknown;
    setTitle(d: { title: string }): unknown;
  };
  declarativeNetRequest?: DnrApi;
  /** Chrome: registers the tab bridge for configured servers' pages (`bridge-scripts.ts`). */
  scripting?: ScriptingApi;
  /** Firefox MV2: the same through `contentScripts.register`. */
  contentScripts?: ContentScriptsApi;
  sidePanel?: {
    open(o: { windowId?: number; tabId?: number }): Promise<void>;
    setOptions?(o: { path?: string; enabled?: boolean }): Promise<void>;
    setPanelBehavior?(o: { openPanelOnActionClick: boolean }): Promise<void>;
  };
  /** Firefox's sidebar (`sidebar_action`), in place of `sidePanel`. */
  sidebarAction?: {
    open(): Promise<void>;
    setPanel(d: { panel: string }): Promise<void>;
  };
  tabs: { create(o: { url: string }): Promise<unknown> };
  permissions?: { contains(p: { origins: string[] }): Promise<boolean> };
  windows?: { getLastFocused(): Promise<{ id?: number }> };
}

export interface BackgroundDeps {
  db: ComfyPulseDB;
  apis: BackgroundApis;
  engine: EngineLink;
  t: Translate;
  now(): number;
  log?(msg: string, e?: unknown): void;
}

/**
 * The engine in the worker's own context (Firefox has no offscreen documents): calls are direct and it
 * always runs. A type without a handler fails, as a message nobody answers would.
 */
export function inProcessEngineLink(handlers: Handlers<'engine:'>): EngineLink {
  return {
    ensure: async () => true,
    async call(type, payload) {
      const handler = handlers[type] as ((req: unknown, s: MessageSender) => unknown) | undefined;
      if (!handler) throw new Error(`no engine handler for ${type}`);
      return (await handler(payload, {})) as never;
    },
  };
}

/**
 * The in-process engine's `bg:` notices, handed straight to the worker's handlers. Looked up at delivery,
 * because the worker's handlers exist only after the engine they talk to was created.
 */
export function directNotices(
  handlers: () => Handlers<'bg:'> | undefined,
): (notice: EngineNotice) => Promise<unknown> {
  return async (notice) => {
    const handler = handlers()?.[notice.type] as ((req: unknown, s: MessageSender) => unknown) | undefined;
    return handler?.(notice.payload, {});
  };
}

/** The messaging link to an offscreen engine; retries while a just-created document starts listening. */
export function offscreenEngineLink(
  apis: Pick<BackgroundApis, 'runtime' | 'offscreen'>,
  sleep = (ms: number) => new Promise((r) => setTimeout(r, ms)),
): EngineLink {
  const ensure = async () => {
    if (!apis.offscreen) return true;
    return !(await ensureOffscreen(apis.offscreen, apis.runtime, apis.runtime.getURL(OFFSCREEN_PATH)));
  };
  return {
    ensure,
    async call(type, payload) {
      let lastError: unknown;
      for (let attempt = 0; attempt < 20; attempt++) {
        await ensure();
        try {
          const res = await apis.runtime.sendMessage({ type, payload });
          if (res === undefined) throw new Error('no engine answered');
          return unwrapAnswer(res);
        } catch (e) {
          lastError = e;
          // "Receiving end does not exist": the document is still loading its script
          if (!/receiving end|no engine answered|message port closed/i.test(String(e))) throw e;
          await sleep(150);
        }
      }
      throw lastError;
    },
  };
}

/** `text` with every server token in it replaced (for log lines that may quote a rule). */
function withoutTokens(text: string, servers: readonly { token?: string | undefined }[]): string {
  return servers.reduce((out, s) => scrub(out, s.token), text);
}

export function setupBackground(deps: BackgroundDeps) {
  const { db, apis, engine, t } = deps;
  const log = deps.log ?? (() => undefined);
  const announceDeps: AnnounceDeps = {
    db,
    notifications: apis.notifications,
    t,
    iconUrl: apis.runtime.getURL('icon/128.png'),
    now: deps.now,
    settings: () => getSettings(db),
  };

  const syncRules = async () => {
    if (!apis.declarativeNetRequest) return;
    const servers = await db.servers.toArray();
    try {
      await syncHeaderRules(apis.declarativeNetRequest, servers, extensionInitiator(apis.runtime));
    } catch (e) {
      // the rules carry header-mode tokens, and a browser's refusal may quote a rule back
      throw new Error(withoutTokens(errorText(e), servers));
    }
  };

  const withDoctorRules = doctorRuleRunner(apis.declarativeNetRequest, extensionInitiator(apis.runtime));

  const bridge: BridgeRegistrar | undefined = apis.contentScripts
    ? contentScriptsRegistrar(apis.contentScripts)
    : apis.scripting
      ? scriptingRegistrar(apis.scripting)
      : undefined;
  /** The tab bridge follows the servers; a refusal costs the bridge only, never the engine. */
  const syncBridge = async () => {
    if (!bridge) return;
    await bridge.sync(await db.servers.toArray()).catch((e) => log('content scripts refused', e));
  };

  let booting: Promise<boolean> | null = null;
  /**
   * Idempotent: rules before the engine (its first handshake needs them), then missed notifications.
   * Concurrent callers (the worker's own start, a page's `bg:ensureEngine`, the alarm) share one run, so
   * the engine is created once and never before its rules. Resolves whether the engine already ran.
   */
  const boot = (): Promise<boolean> => {
    booting ??= (async () => {
      let wasRunning = false;
      try {
        await ensureDefaultServer(db, t('bg_default_server_name'), deps.now());
        await migrateTokenModeDefault(db, deps.now());
        await syncRules();
        // a probe cut short by a stopped worker must not leave its rule behind
        if (apis.declarativeNetRequest) await clearDoctorRules(apis.declarativeNetRequest);
        await syncBridge();
        wasRunning = await engine.ensure();
        await announcePending(announceDeps);
      } catch (e) {
        log('boot failed', e);
      } finally {
        booting = null;
      }
      return wasRunning;
    })();
    return booting;
  };

  const reloadEngine = async () => {
    await syncRules();
    await syncBridge();
    await engine.call('engine:reload', {}).catch((e) => log('engine reload failed', e));
  };

  const openSidePanel = async (
    jobKey: string | undefined,
    windowId: number | undefined,
  ): Promise<boolean> => {
    const path = `sidepanel.html${jobKey ? `#job=${encodeURIComponent(jobKey)}` : ''}`;
    try {
      if (apis.sidebarAction) {
        // Firefox allows it only in a user action, which a notification click is not: then the tab below
        void apis.sidebarAction.setPanel({ panel: apis.runtime.getURL(path) })?.catch(() => undefined);
        await apis.sidebarAction.open();
        return true;
      }
      if (!apis.sidePanel) throw new Error('no side panel');
      const win = windowId ?? (await apis.windows?.getLastFocused())?.id;
      // Not awaited: an await before open() can cost the user gesture open() requires. The browser
      // applies the two calls in order, so the panel still opens at `path`.
      void apis.sidePanel.setOptions?.({ path, enabled: true })?.catch(() => undefined);
      await apis.sidePanel.open(win !== undefined ? { windowId: win } : {});
      return true;
    } catch (e) {
      // sidePanel.open needs a user gesture; where it is refused, show the same page in a tab
      log('side panel refused, opening a tab', e);
      await apis.tabs.create({ url: apis.runtime.getURL(path) });
      return false;
    }
  };

  const handlers: Handlers<'bg:'> = {
    'bg:cancelJob': (req) => engine.call('engine:cancelJob', req),
    'bg:saveServer': async (req) => {
      const r = await saveServer(db, req, deps.now());
      if (r.ok) await reloadEngine();
      return r;
    },
    'bg:removeServer': async (req) => {
      const ok = await removeServer(db, req.id);
      await reloadEngine();
      return { ok };
    },
    'bg:runDoctor': async (req) => {
      const saved = req.serverId ? await db.servers.get(req.serverId) : undefined;
      const url = req.url ?? saved?.url;
      const needed = url ? permissionOriginsFor(url) : [];
      if (
        url &&
        needed.length > 0 &&
        apis.permissions &&
        !(await apis.permissions.contains({ origins: needed }))
      ) {
        return missingPermissionReport(t, url);
      }
      // The doctor's "test the fix" must meet the rules as they are now. A browser that refuses them
      // must not answer the user with its raw type error: the doctor's checks then name the 403 and its fix.
      await syncRules().catch((e) => log('header rules refused', e));
      if (!url) return engine.call('engine:runDoctor', req);
      // A server not saved yet (the add form) is probed with the rules saving it would give it, so a
      // default ComfyUI on another port passes as it will once saved, and --enable-cors-header is named
      // only where even those rules are refused.
      const target = {
        url,
        token: req.token ?? saved?.token,
        tokenMode: req.tokenMode ?? saved?.tokenMode ?? DEFAULT_TOKEN_MODE,
      };
      return withDoctorRules(
        target,
        () => engine.call('engine:runDoctor', req),
        (e) => log('doctor rules refused', withoutTokens(errorText(e), [target])),
      );
    },
    'bg:openSidePanel': async (req, sender) => ({
      ok: await openSidePanel(req.jobKey, req.windowId ?? sender.tab?.windowId),
    }),
    'bg:refresh': async (req) => {
      await syncRules();
      return engine.call('engine:refresh', req);
    },
    'bg:reloadEngine': async () => {
      await reloadEngine();
      return { ok: true };
    },
    'bg:jobFinished': async (req) => ({ ok: await announceJob(announceDeps, req.jobKey) }),
    'bg:activity': async (req) => {
      const b = badgeFor(req, t);
      await apis.action.setBadgeText({ text: b.text });
      await apis.action.setBadgeBackgroundColor({ color: b.color });
      await apis.action.setTitle({ title: b.title });
      return { ok: true };
    },
    'bg:syncStatus': () => engine.call('engine:syncStatus', {}),
    'bg:syncDeadLetters': () => engine.call('engine:syncDeadLetters', {}),
    'bg:syncRetryDeadLetters': () => engine.call('engine:syncRetryDeadLetters', {}),
    'bg:ensureEngine': async () => {
      const wasRunning = await boot();
      // the engine itself answers: a page trusts connection states only once a live engine vouched for them
      const { startedAt } = await engine.call('engine:status', {});
      return { wasRunning, startedAt };
    },
  };

  apis.runtime.onMessage.addListener(
    createDispatcher('bg:', handlers, {
      // bg: messages come from the extension's own pages only; no content script may send one
      accept: senderPolicy({ extensionBase: apis.runtime.getURL('/') }),
      onError: (type, e) => log(`${type} failed`, e),
      onRefused: (type, sender) => log(`refused ${type} from ${senderOrigin(sender)}`),
    }),
  );

  apis.runtime.onInstalled.addListener(() => {
    apis.sidePanel?.setPanelBehavior?.({ openPanelOnActionClick: false })?.catch(() => undefined);
    void boot();
  });
  apis.runtime.onStartup.addListener(() => void boot());
  // 30 s is the shortest period Chrome honours (120+): a stopped worker, and with it a closed engine,
  // comes back within half a minute even when no page or event wakes it.
  apis.alarms.create(WATCHDOG_ALARM, { periodInMinutes: 0.5 });
  apis.alarms.create(RETENTION_ALARM, { periodInMinutes: 60, delayInMinutes: 1 });
  apis.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name === WATCHDOG_ALARM) void boot();
    if (alarm.name === RETENTION_ALARM) {
      void getSettings(db)
        .then((s) => applyRetention(db, s, deps.now()))
        .catch((e) => log('retention failed', e));
    }
  });
  apis.notifications.onClicked.addListener((id) => {
    const jobKey = jobKeyFromNotificationId(id);
    void openSidePanel(jobKey, undefined);
    apis.notifications.clear?.(id);
  });

  // Every start of the worker (install, browser start, a page's message or any event waking a stopped
  // worker) restores the engine at once, not only onStartup/onInstalled or the next watchdog tick.
  void boot();
  return { boot, handlers };
}
