/**
 * declarativeNetRequest session rules that make a default ComfyUI accept the extension's own requests.
 *
 * ComfyUI's origin middleware answers 403 when a loopback server sees an `Origin` whose host differs from
 * `Host`; an extension sends `Origin: chrome-extension://<id>` on POSTs and WebSocket handshakes. One rule
 * per configured server sets `Origin` to that server's own origin, on requests that:
 * - the extension itself started (`initiatorDomains: [the host of the extension's own URLs]`, see
 *   `extensionInitiator`), so no web page's traffic, the ComfyUI tab included, is ever touched;
 * - go to that server's host and port only (`requestDomains` plus a URL regex that pins the port, since
 *   two servers can share a host);
 * - are fetches or WebSockets.
 * Session rules live in memory only: they vanish with the browser session and are rebuilt from the
 * servers table whenever the worker starts or the servers change. A header-mode token rides on the
 * WebSocket handshake through the same mechanism (a browser WebSocket cannot set headers), which is why
 * these rules are never persisted as dynamic rules.
 */
import type { ServerRecord } from '../db';
import { parseServerUrl } from '../permissions';

/** Rule ids this module owns; other session rules (if any appear later) are left alone. */
export const DNR_RULE_ID_BASE = 1000;
export const DNR_RULE_ID_MAX = 1999;

type ResourceType = 'websocket' | 'xmlhttprequest';

export interface HeaderRule {
  id: number;
  priority: number;
  action: {
    type: 'modifyHeaders';
    requestHeaders: { header: string; operation: 'set' | 'remove'; value?: string }[];
  };
  condition: {
    initiatorDomains: string[];
    requestDomains: string[];
    regexFilter: string;
    resourceTypes: ResourceType[];
  };
}

/** The subset of `chrome.declarativeNetRequest` used here (injected for tests). */
export interface DnrApi {
  getSessionRules(): Promise<{ id: number }[]>;
  updateSessionRules(options: { removeRuleIds?: number[]; addRules?: HeaderRule[] }): Promise<void>;
}

/**
 * The domain a browser reports as the initiator of the extension's own requests: the host of its pages'
 * URL. On Chrome that is the extension id. On Firefox it is the profile's internal UUID
 * (`moz-extension://<uuid>/`), never `runtime.id`: that is the gecko id (`name@domain`), which Firefox
 * rejects as a domain and which no request carries.
 */
export function extensionInitiator(runtime: { getURL(path: string): string }): string {
  return new URL(runtime.getURL('/')).host;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Regex matching `http(s)://host:port/...` and `ws(s)://host:port/...` for exactly this server. */
function urlRegexFor(origin: URL): string {
  const scheme = origin.protocol === 'https:' ? '(https|wss)' : '(http|ws)';
  const port = origin.port ? `:${origin.port}` : '(:(80|443))?';
  return `^${scheme}://${escapeRegex(origin.hostname)}${port}/`;
}

export function buildHeaderRules(
  servers: readonly Pick<ServerRecord, 'url' | 'enabled' | 'token' | 'tokenMode'>[],
  initiator: string,
): HeaderRule[] {
  const rules: HeaderRule[] = [];
  const seen = new Set<string>();
  for (const s of servers) {
    if (!s.enabled) continue;
    const parsed = parseServerUrl(s.url);
    if (!parsed || seen.has(parsed.origin)) continue;
    seen.add(parsed.origin);
    const origin = new URL(parsed.origin);
    const condition = {
      initiatorDomains: [initiator],
      requestDomains: [origin.hostname.replace(/^\[|\]$/g, '')],
      regexFilter: urlRegexFor(origin),
    };
    const id = DNR_RULE_ID_BASE + rules.length;
    if (id > DNR_RULE_ID_MAX) break;
    rules.push({
      id,
      priority: 1,
      action: {
        type: 'modifyHeaders',
        requestHeaders: [{ header: 'origin', operation: 'set', value: parsed.origin }],
      },
      condition: { ...condition, resourceTypes: ['websocket', 'xmlhttprequest'] },
    });
    // fetches carry the header themselves (ComfyHttp); only the handshake needs help
    if (s.token && s.tokenMode !== 'query' && id + 1 <= DNR_RULE_ID_MAX) {
      rules.push({
        id: id + 1,
        priority: 1,
        action: {
          type: 'modifyHeaders',
          requestHeaders: [{ header: 'authorization', operation: 'set', value: `Bearer ${s.token}` }],
        },
        condition: { ...condition, resourceTypes: ['websocket'] },
      });
    }
  }
  return rules;
}

/** Replaces this module's session rules with the ones the servers need now (one atomic update). */
export async function syncHeaderRules(
  dnr: DnrApi,
  servers: readonly Pick<ServerRecord, 'url' | 'enabled' | 'token' | 'tokenMode'>[],
  initiator: string,
): Promise<HeaderRule[]> {
  const rules = buildHeaderRules(servers, initiator);
  const existing = await dnr.getSessionRules();
  const removeRuleIds = existing
    .map((r) => r.id)
    .filter((id) => id >= DNR_RULE_ID_BASE && id <= DNR_RULE_ID_MAX);
  await dnr.updateSessionRules({ removeRuleIds, addRules: rules });
  return rules;
}
