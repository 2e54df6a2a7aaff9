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
 * WebSocket handshake and on `/view` images of the extension's pages through the same mechanism (neither
 * can set a header), which is why these rules are never persisted as dynamic rules.
 *
 * The connection doctor probes a server the user has not saved yet with the rules saving it would give
 * (`withDoctorRules`): temporary, in an id range of their own, removed when the probe ends.
 */
import type { ServerRecord } from '../db';
import { parseServerUrl } from '../permissions';

/** Rule ids this module owns; other session rules (if any appear later) are left alone. */
export const DNR_RULE_ID_BASE = 1000;
export const DNR_RULE_ID_MAX = 1999;

/** The doctor's temporary rules: above the servers' range, and of higher priority, so they win for the probe. */
export const DOCTOR_RULE_ID_BASE = 2000;
export const DOCTOR_RULE_ID_MAX = 2009;

type ResourceType = 'websocket' | 'xmlhttprequest' | 'image';

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

/** What a server's rules depend on; an absent token mode is the default, `header`. */
export type RuleServer = Pick<ServerRecord, 'url' | 'enabled' | 'token'> &
  Partial<Pick<ServerRecord, 'tokenMode'>>;

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

export function buildHeaderRules(servers: readonly RuleServer[], initiator: string): HeaderRule[] {
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
    // Fetches carry the header themselves (ComfyHttp). A WebSocket handshake and an <img> of /view on an
    // extension page cannot set one, and the UI never holds the token: this rule adds it to those.
    if (s.token && s.tokenMode !== 'query' && id + 1 <= DNR_RULE_ID_MAX) {
      rules.push({
        id: id + 1,
        priority: 1,
        action: {
          type: 'modifyHeaders',
          requestHeaders: [{ header: 'authorization', operation: 'set', value: `Bearer ${s.token}` }],
        },
        condition: { ...condition, resourceTypes: ['websocket', 'image'] },
      });
    }
  }
  return rules;
}

/** Replaces this module's session rules with the ones the servers need now (one atomic update). */
export async function syncHeaderRules(
  dnr: DnrApi,
  servers: readonly RuleServer[],
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

type RuleTarget = Omit<RuleServer, 'enabled'>;

/** The rules the doctor probes `target` with: exactly those saving it would give it, in the doctor's range. */
export function doctorRules(target: RuleTarget, initiator: string): HeaderRule[] {
  return buildHeaderRules([{ ...target, enabled: true }], initiator).map((r, i) => ({
    ...r,
    id: DOCTOR_RULE_ID_BASE + i,
    priority: 2,
  }));
}

const doctorRange = (id: number) => id >= DOCTOR_RULE_ID_BASE && id <= DOCTOR_RULE_ID_MAX;

/** Removes doctor rules a probe left behind (the worker was stopped mid-probe). */
export async function clearDoctorRules(dnr: DnrApi): Promise<void> {
  const stale = (await dnr.getSessionRules()).map((r) => r.id).filter(doctorRange);
  if (stale.length > 0) await dnr.updateSessionRules({ removeRuleIds: stale });
}

/**
 * Runs `probe` with `target`'s temporary rules in place, and removes them however it ends. Probes run one
 * at a time (they share the id range). A browser that refuses the rules still gets its probe: the
 * doctor then reports the refusal it meets, and `onRefused` hears why.
 */
export function doctorRuleRunner(dnr: DnrApi | undefined, initiator: string) {
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(target: RuleTarget, probe: () => Promise<T>, onRefused?: (e: unknown) => void): Promise<T> => {
    const run = queue.then(async () => {
      if (!dnr) return probe();
      const rules = doctorRules(target, initiator);
      try {
        await clearDoctorRules(dnr);
        await dnr.updateSessionRules({ addRules: rules });
      } catch (e) {
        onRefused?.(e);
      }
      try {
        return await probe();
      } finally {
        await clearDoctorRules(dnr).catch((e) => onRefused?.(e));
      }
    });
    queue = run.catch(() => undefined);
    return run;
  };
}
