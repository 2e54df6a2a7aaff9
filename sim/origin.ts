/**
 * ComfyUI's request guards (comfyui-protocol.md §8.1, §8.4, §12):
 * - `origin_only_middleware` (default): 403 when the Host is loopback and its host part differs from the
 *   Origin's; since v0.19 also 403 on `Sec-Fetch-Site: cross-site` (emulated behind a switch).
 * - `--enable-cors-header [VALUE]`: replaces the guard entirely and adds CORS headers to responses.
 * Pure functions over headers so they can be tested as a table.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export interface GuardOptions {
  originCheck: boolean;
  corsHeader: string | null;
  secFetchGuard: boolean;
}

export type GuardVerdict = { allow: true } | { allow: false; reason: string };

/** Python's `urllib.parse.urlsplit('//' + host)`-style split of a netloc into hostname and port. */
export function splitNetloc(netloc: string): { hostname: string | null; port: number | null } {
  let hostPart = netloc;
  const at = hostPart.lastIndexOf('@');
  if (at >= 0) hostPart = hostPart.slice(at + 1);
  let hostname: string;
  let portStr: string | undefined;
  if (hostPart.startsWith('[')) {
    const end = hostPart.indexOf(']');
    hostname = hostPart.slice(1, end < 0 ? undefined : end);
    const rest = end < 0 ? '' : hostPart.slice(end + 1);
    portStr = rest.startsWith(':') ? rest.slice(1) : undefined;
  } else {
    const colon = hostPart.lastIndexOf(':');
    hostname = colon >= 0 ? hostPart.slice(0, colon) : hostPart;
    portStr = colon >= 0 ? hostPart.slice(colon + 1) : undefined;
  }
  const port = portStr !== undefined && /^\d+$/.test(portStr) ? Number(portStr) : null;
  return { hostname: hostname === '' ? null : hostname.toLowerCase(), port };
}

/** `urllib.parse.urlparse(origin).netloc`: empty for `null` and other scheme-less values. */
export function originNetloc(origin: string): string {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(origin);
  return m ? m[1]! : '';
}

function ipIsLoopback(ip: string): boolean {
  const v = ip.toLowerCase();
  if (isIP(v) === 4) return v.startsWith('127.');
  if (isIP(v) === 6) return v === '::1' || /^::ffff:127\./.test(v) || v === '0:0:0:0:0:0:0:1';
  return false;
}

/** `is_loopback(host)`: an IP literal, or a name whose every resolved address is loopback. */
export async function isLoopback(host: string | null): Promise<boolean> {
  if (host === null) return false;
  if (isIP(host)) return ipIsLoopback(host);
  try {
    const addrs = await lookup(host, { all: true });
    return addrs.length > 0 && addrs.every((a) => ipIsLoopback(a.address));
  } catch {
    return false;
  }
}

type Headers = Record<string, string | string[] | undefined>;
const header = (h: Headers, name: string): string | undefined => {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

/** The v0.19+ fetch-metadata guard. */
export function secFetchVerdict(headers: Headers): GuardVerdict {
  return header(headers, 'sec-fetch-site') === 'cross-site'
    ? { allow: false, reason: 'Sec-Fetch-Site: cross-site' }
    : { allow: true };
}

/** The Host/Origin comparison of `create_origin_only_middleware`. */
export async function hostOriginVerdict(headers: Headers): Promise<GuardVerdict> {
  const host = header(headers, 'host');
  const origin = header(headers, 'origin');
  if (host === undefined || origin === undefined) return { allow: true };
  let hostDomain: string | null = host.toLowerCase();
  let originDomain: string | null = originNetloc(origin).toLowerCase();
  const hostParsed = splitNetloc(hostDomain);
  const originParsed = splitNetloc(originDomain);
  const loopback = await isLoopback(hostParsed.hostname);
  if (originParsed.port === null) hostDomain = hostParsed.hostname;
  if (hostParsed.port === null) originDomain = originParsed.hostname;
  if (loopback && hostDomain && originDomain && hostDomain !== originDomain) {
    return { allow: false, reason: `non matching host and origin ${hostDomain} != ${originDomain}` };
  }
  return { allow: true };
}

/** The whole guard for one request (HTTP or WS upgrade). */
export async function guardVerdict(opts: GuardOptions, headers: Headers): Promise<GuardVerdict> {
  if (opts.corsHeader !== null) return { allow: true };
  if (opts.secFetchGuard) {
    const v = secFetchVerdict(headers);
    if (!v.allow) return v;
  }
  if (!opts.originCheck) return { allow: true };
  return hostOriginVerdict(headers);
}

/** Headers `create_cors_middleware` adds to every (non-exception) response. */
export function corsHeaders(value: string): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': value,
    'Access-Control-Allow-Methods': 'POST, GET, DELETE, PUT, OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type, Authorization',
    'Access-Control-Allow-Credentials': 'true',
  };
}
