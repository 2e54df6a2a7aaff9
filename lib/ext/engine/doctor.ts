/**
 * The connection doctor: runs the checks a user would otherwise do by hand, in order, and explains the
 * first failure in plain words with its fix. It runs where the sockets run (the offscreen engine), so it
 * meets exactly what the engine meets: the DNR Origin rule, the host permissions, the token.
 *
 * Running it again after the user changed something is "testing the fix": every run starts from scratch
 * (fresh HTTP client, fresh socket with a throwaway clientId, so no real client is ever evicted).
 */
import { type ComfyError, isComfyError } from '../../comfy/errors';
import { createComfyHttp, type TokenMode } from '../../comfy/http';
import { buildWsUrl } from '../../comfy/socket';
import type { Clock, FetchLike, WebSocketCtor } from '../../comfy/types';
import type { Translate } from '../i18n';
import { parseServerUrl, permissionOriginsFor } from '../permissions';
import type { DoctorFinding, DoctorReport } from '../protocol';

export interface DoctorTarget {
  url: string;
  token?: string;
  tokenMode?: TokenMode;
}

export interface DoctorDeps {
  fetch: FetchLike;
  WebSocket: WebSocketCtor;
  clock: Clock;
  t: Translate;
  /** The value to name in `--enable-cors-header` (`chrome-extension://<id>`). */
  extensionOrigin: string;
  /** Whether the extension holds these host permissions; absent where permissions do not apply (Node). */
  hasPermissions?: (origins: string[]) => Promise<boolean>;
  /** Per check; default 5 s. */
  timeoutMs?: number;
  newId?: () => string;
}

type Check = DoctorReport['checks'][number];

/** The finding an HTTP failure stands for; an https URL that cannot be reached is most often TLS. */
export function findingOf(e: ComfyError, url: string): DoctorFinding {
  switch (e.kind) {
    case 'origin-rejected':
      return 'origin-rejected';
    case 'auth-required':
      return 'auth-required';
    case 'unreachable':
      return url.startsWith('https:') ? 'tls' : 'unreachable';
    default:
      return 'server-error';
  }
}

function explain(
  t: Translate,
  finding: DoctorFinding,
  origin: string,
  deps: DoctorDeps,
  e?: ComfyError,
): string {
  switch (finding) {
    case 'ok':
      return t('doctor_ok', [origin]);
    case 'unreachable':
      return t('doctor_unreachable', [origin]);
    case 'tls':
      return t('doctor_tls', [origin]);
    case 'origin-rejected':
      return t('doctor_origin_rejected', [origin, deps.extensionOrigin]);
    case 'auth-required':
      return t('doctor_auth_required', [origin]);
    case 'permission-missing':
      return t('doctor_permission_missing', [origin]);
    default:
      return t('doctor_server_error', [origin, e?.message ?? '?']);
  }
}

/** Opens a socket and resolves true once it is open, false on error, close or timeout. */
function trySocket(deps: DoctorDeps, url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let ws: ReturnType<typeof construct>;
    const construct = () => new deps.WebSocket(url);
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      deps.clock.clearTimeout(timer);
      try {
        ws.close(1000);
      } catch {
        // a socket that is already closed may throw; the verdict stands regardless
      }
      resolve(ok);
    };
    const timer = deps.clock.setTimeout(() => finish(false), timeoutMs);
    try {
      ws = construct();
    } catch {
      finish(false);
      return;
    }
    ws.onopen = () => finish(true);
    ws.onerror = () => finish(false);
    ws.onclose = () => finish(false);
  });
}

const CHECKS = ['permission', 'reachable', 'origin', 'version', 'socket'] as const;

/**
 * The report for a server whose host permission the extension lacks. The service worker builds it
 * itself: only it can ask `chrome.permissions` (the offscreen engine has just `chrome.runtime`).
 */
export function missingPermissionReport(t: Translate, url: string): DoctorReport {
  const origin = parseServerUrl(url)?.origin ?? url;
  const [first, ...rest] = CHECKS.map((k) => t(`doctor_check_${k}`));
  return {
    finding: 'permission-missing',
    message: t('doctor_permission_missing', [origin]),
    checks: [
      { name: first!, ok: false, detail: permissionOriginsFor(url).join(', ') },
      ...rest.map((name) => ({ name, ok: false, detail: t('doctor_detail_skipped') })),
    ],
  };
}

export async function runDoctor(deps: DoctorDeps, target: DoctorTarget): Promise<DoctorReport> {
  const { t } = deps;
  const checks: Check[] = [];
  const parsed = parseServerUrl(target.url);
  if (!parsed) {
    return { finding: 'server-error', message: t('doctor_invalid_url', [target.url]), checks };
  }
  const origin = parsed.origin;
  const timeoutMs = deps.timeoutMs ?? 5000;
  const skipRest = (names: string[]) => {
    for (const name of names) checks.push({ name, ok: false, detail: t('doctor_detail_skipped') });
  };
  const fail = (finding: DoctorFinding, e?: ComfyError): DoctorReport => ({
    finding,
    message: explain(t, finding, origin, deps, e),
    checks,
  });
  const order = CHECKS.map((k) => t(`doctor_check_${k}`));
  const [permName, reachName, originName, versionName, socketName] = order as [
    string,
    string,
    string,
    string,
    string,
  ];

  const needed = permissionOriginsFor(target.url);
  if (deps.hasPermissions && needed.length > 0 && !(await deps.hasPermissions(needed))) {
    return missingPermissionReport(t, target.url);
  }
  checks.push({ name: permName, ok: true, detail: t('doctor_detail_ok') });

  // header mode (the default): the socket's token comes from the header rule, never from its URL
  const tokenMode = target.tokenMode ?? 'header';
  const http = createComfyHttp({
    baseUrl: target.url,
    token: target.token,
    tokenMode,
    fetch: deps.fetch,
    clock: deps.clock,
    timeoutMs,
  });
  const step = async (
    name: string,
    rest: string[],
    fn: () => Promise<unknown>,
  ): Promise<DoctorReport | null> => {
    try {
      await fn();
      checks.push({ name, ok: true, detail: t('doctor_detail_ok') });
      return null;
    } catch (e) {
      if (!isComfyError(e)) throw e;
      checks.push({ name, ok: false, detail: e.message });
      skipRest(rest);
      return fail(findingOf(e, target.url), e);
    }
  };
  const afterReach = await step(reachName, order.slice(2), () => http.promptStatus());
  if (afterReach) return afterReach;
  const afterOrigin = await step(originName, order.slice(3), () => http.probeOrigin());
  if (afterOrigin) return afterOrigin;

  let serverVersion: string | undefined;
  try {
    const stats = await http.systemStats();
    const v = (stats.system as { comfyui_version?: unknown } | undefined)?.comfyui_version;
    serverVersion = typeof v === 'string' ? v : undefined;
    checks.push({ name: versionName, ok: true, detail: serverVersion ?? '?' });
  } catch (e) {
    // an old or trimmed server without /system_stats still works
    checks.push({ name: versionName, ok: true, detail: isComfyError(e) ? e.message : '?' });
  }

  const clientId = `comfypulse-doctor-${(deps.newId ?? (() => crypto.randomUUID()))()}`;
  const wsToken = tokenMode === 'header' ? undefined : target.token;
  const opened = await trySocket(deps, buildWsUrl(target.url, clientId, wsToken), timeoutMs);
  if (!opened) {
    checks.push({ name: socketName, ok: false, detail: origin });
    return {
      finding: 'origin-rejected',
      message: t('doctor_ws_failed', [origin, deps.extensionOrigin]),
      checks,
      ...(serverVersion ? { serverVersion } : {}),
    };
  }
  checks.push({ name: socketName, ok: true, detail: t('doctor_detail_ok') });
  return {
    finding: 'ok',
    message: explain(t, 'ok', origin, deps),
    checks,
    ...(serverVersion ? { serverVersion } : {}),
  };
}
