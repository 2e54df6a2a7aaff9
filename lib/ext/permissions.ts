/**
 * Host permissions per server. The manifest grants only loopback (`127.0.0.1`, `localhost`, http and ws);
 * any other server is an optional host permission the options page requests before saving it.
 * Both the http(s) and the ws(s) pattern are needed: declarativeNetRequest rewrites a WebSocket handshake
 * only when the extension holds the ws pattern of that host (comfyui-protocol.md §12).
 */

/** Hosts the manifest grants at install time (all ports). */
export const BUILTIN_HOSTS: readonly string[] = ['127.0.0.1', 'localhost'];

export const BUILTIN_HOST_PERMISSIONS: readonly string[] = [
  'http://127.0.0.1/*',
  'http://localhost/*',
  'ws://127.0.0.1/*',
  'ws://localhost/*',
];

export const OPTIONAL_HOST_PERMISSIONS: readonly string[] = [
  'http://*/*',
  'https://*/*',
  'ws://*/*',
  'wss://*/*',
];

export interface ParsedServerUrl {
  /** `http://host:port` (the Origin the server expects), no trailing slash. */
  origin: string;
  hostname: string;
  secure: boolean;
}

/** Parses and normalises a server URL; only http and https are accepted. Returns null when invalid. */
export function parseServerUrl(url: string): ParsedServerUrl | null {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  if (!u.hostname || u.username || u.password) return null;
  return { origin: u.origin, hostname: u.hostname, secure: u.protocol === 'https:' };
}

/** `http://host:port/base` with the path kept (reverse proxies) and no trailing slash or query. */
export function normaliseServerUrl(url: string): string | null {
  const parsed = parseServerUrl(url);
  if (!parsed) return null;
  const u = new URL(url.trim());
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

/**
 * The match patterns to request for a server: its http(s) and ws(s) origins, all ports (Chrome match
 * patterns ignore ports unless given). Empty for loopback http servers, which the manifest already grants.
 */
export function permissionOriginsFor(url: string): string[] {
  const parsed = parseServerUrl(url);
  if (!parsed) return [];
  const host =
    parsed.hostname.includes(':') && !parsed.hostname.startsWith('[')
      ? `[${parsed.hostname}]`
      : parsed.hostname;
  if (!parsed.secure && BUILTIN_HOSTS.includes(host)) return [];
  return parsed.secure ? [`https://${host}/*`, `wss://${host}/*`] : [`http://${host}/*`, `ws://${host}/*`];
}

/**
 * Whether `hostname` (as `URL.hostname` gives it) is this machine: `localhost` and its subdomains,
 * 127.0.0.0/8 and `[::1]`. A plain-http request to it never crosses a network.
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return (
    h === 'localhost' ||
    h.endsWith('.localhost') ||
    h === '[::1]' ||
    /^127(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(h)
  );
}

/** Whether what is sent to `url` crosses the network unencrypted: plain http to another machine. */
export function isPlainHttpRemote(url: string): boolean {
  try {
    const u = new URL(url.trim());
    return u.protocol === 'http:' && !isLoopbackHost(u.hostname);
  } catch {
    return false;
  }
}
