/**
 * The tab bridge's content scripts, registered at runtime for the pages of configured servers only
 * (issue 8): no script of ours runs on any other page, loopback or not. The worker calls `sync` with the
 * servers table whenever it starts and whenever servers change, before the engine starts.
 *
 * - Chrome (`chrome.scripting`, permission `scripting`): one registration per half of the bridge, with a
 *   match pattern per server that pins its port (`http://127.0.0.1:8188/*`). Registrations persist across
 *   browser sessions (`persistAcrossSessions`, the default): a ComfyUI tab restored at browser start gets
 *   its bridge before the worker has even started. They hold no secret (only server addresses), and every
 *   worker start reconciles them with the servers table, so a stale one cannot outlive a change.
 * - Firefox MV2 (`browser.contentScripts.register`, no extra permission: host permissions suffice; its
 *   `world` option exists since Firefox 128, the add-on's minimum): Firefox's match patterns cannot name a
 *   port, so each registration matches the host and narrows it to the server with `includeGlobs`
 *   (`http://127.0.0.1:8188/*`). Firefox refuses a registration for a host the add-on may not reach, so
 *   each server gets its own, and one refused server costs only its own bridge. A registration lives as
 *   long as the background page that made it, which in MV2 is the browser session; every start registers
 *   again.
 *
 * Without host permission for a server the browser injects nothing there, which is right: the extension
 * cannot talk to that server either.
 */
import type { ServerRecord } from '../db';
import { parseServerUrl } from '../permissions';

/** Built by WXT from `entrypoints/comfyui-{tap,bridge}.content.ts` (`registration: 'runtime'`). */
export const TAP_SCRIPT = 'content-scripts/comfyui-tap.js';
export const RELAY_SCRIPT = 'content-scripts/comfyui-bridge.js';

export const TAP_SCRIPT_ID = 'comfypulse-tap';
export const RELAY_SCRIPT_ID = 'comfypulse-bridge';
const OUR_IDS = [TAP_SCRIPT_ID, RELAY_SCRIPT_ID];

export interface RegisteredScript {
  id: string;
  js: string[];
  matches: string[];
  world?: 'MAIN' | 'ISOLATED';
  runAt?: 'document_idle';
  allFrames?: boolean;
  persistAcrossSessions?: boolean;
}

/** The subset of `chrome.scripting` used here (injected for tests). */
export interface ScriptingApi {
  getRegisteredContentScripts(filter?: { ids?: string[] }): Promise<{ id: string; matches?: string[] }[]>;
  registerContentScripts(scripts: RegisteredScript[]): Promise<unknown>;
  unregisterContentScripts(filter?: { ids?: string[] }): Promise<unknown>;
}

export interface FirefoxScriptOptions {
  js: { file: string }[];
  matches: string[];
  includeGlobs: string[];
  world?: 'MAIN' | 'ISOLATED';
  runAt: 'document_idle';
  allFrames: false;
}

/** The subset of Firefox's MV2 `browser.contentScripts` used here. */
export interface ContentScriptsApi {
  register(options: FirefoxScriptOptions): Promise<{ unregister(): unknown }>;
}

/** Where a server's ComfyUI page lives: its origin and path prefix, `http://127.0.0.1:8188/`. */
export function serverPagePrefix(url: string): string | null {
  const parsed = parseServerUrl(url);
  if (!parsed) return null;
  const path = new URL(url).pathname.replace(/\/*$/, '/');
  return `${parsed.origin}${path}`;
}

/** One `…/*` pattern per enabled server, port included, deduplicated and sorted (stable for comparison). */
export function bridgeMatches(servers: readonly Pick<ServerRecord, 'url' | 'enabled'>[]): string[] {
  const set = new Set<string>();
  for (const s of servers) {
    const prefix = s.enabled ? serverPagePrefix(s.url) : null;
    if (prefix) set.add(`${prefix}*`);
  }
  return [...set].sort();
}

/** The two halves of the bridge for these match patterns (the tap in the page's world, the relay isolated). */
export function bridgeScripts(matches: string[]): RegisteredScript[] {
  const common = { matches, runAt: 'document_idle' as const, allFrames: false, persistAcrossSessions: true };
  return [
    { id: TAP_SCRIPT_ID, js: [TAP_SCRIPT], world: 'MAIN', ...common },
    { id: RELAY_SCRIPT_ID, js: [RELAY_SCRIPT], world: 'ISOLATED', ...common },
  ];
}

export interface BridgeRegistrar {
  /** Registers the bridge for exactly these servers' pages (none: nothing registered). */
  sync(servers: readonly Pick<ServerRecord, 'url' | 'enabled'>[]): Promise<string[]>;
}

const sameList = (a: readonly string[] = [], b: readonly string[] = []) =>
  a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

/**
 * A registrar from its `apply`, run one change at a time: two overlapping syncs (a save, then a removal)
 * must neither register the same id twice nor leave the older server list in place.
 */
function serialRegistrar(apply: (matches: string[]) => Promise<void>): BridgeRegistrar {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    sync(servers) {
      const matches = bridgeMatches(servers);
      const run = queue.then(() => apply(matches));
      queue = run.catch(() => undefined);
      return run.then(() => matches);
    },
  };
}

/** Chrome: `chrome.scripting`, touching only this module's registrations, and only when they differ. */
export function scriptingRegistrar(api: ScriptingApi): BridgeRegistrar {
  return serialRegistrar(async (matches) => {
    const existing = await api.getRegisteredContentScripts({ ids: OUR_IDS });
    const ids = existing.map((s) => s.id);
    const upToDate =
      matches.length > 0 &&
      OUR_IDS.every((id) => ids.includes(id)) &&
      existing.every((s) => sameList(s.matches, matches));
    if (upToDate) return;
    // unregister and register rather than update: a half left over from an older version is replaced too
    if (ids.length > 0) await api.unregisterContentScripts({ ids });
    if (matches.length > 0) await api.registerContentScripts(bridgeScripts(matches));
  });
}

/** The host-only match pattern Firefox accepts for a `…/*` pattern with a port. */
function firefoxHostPattern(pattern: string): string {
  const u = new URL(pattern.replace(/\*$/, ''));
  return `${u.protocol}//${u.hostname}/*`;
}

/** Firefox MV2: `contentScripts.register`, one pair per server, narrowed to its port by `includeGlobs`. */
export function contentScriptsRegistrar(api: ContentScriptsApi): BridgeRegistrar {
  let registered: { unregister(): unknown }[] = [];
  let current: string[] = [];
  return serialRegistrar(async (matches) => {
    if (registered.length > 0 && sameList(matches, current)) return;
    const old = registered;
    registered = [];
    current = [];
    await Promise.all(old.map((r) => r.unregister()));
    const refused: unknown[] = [];
    for (const pattern of matches) {
      for (const s of bridgeScripts([pattern])) {
        try {
          registered.push(
            await api.register({
              js: s.js.map((file) => ({ file })),
              matches: [firefoxHostPattern(pattern)],
              includeGlobs: [pattern],
              ...(s.world ? { world: s.world } : {}),
              runAt: 'document_idle',
              allFrames: false,
            }),
          );
        } catch (e) {
          refused.push(e);
        }
      }
    }
    if (refused.length > 0)
      throw new AggregateError(refused, `${refused.length} bridge registrations refused`);
    current = matches;
  });
}
