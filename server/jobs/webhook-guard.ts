// Where a webhook may go. The caller of POST /v1/prompts chooses the URL and the server makes the request,
// so without a check the server could be made to call what only it can reach: a cloud metadata service
// (credentials), a link-local device. Those are always refused. Loopback and private addresses are allowed
// by default, because the main use is n8n on the same machine or the LAN; an operator setting turns them
// off, and another restricts webhooks to named hosts.
//
// The host is resolved before the call and the connection goes to the very address that was checked
// (the lookup below is the one the socket uses), so a name that resolves to an allowed address for the
// check and to a forbidden one for the connection (DNS rebinding) gains nothing.

import type { LookupAddress, LookupOptions } from 'node:dns';
import dns from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface WebhookPolicy {
  /** Loopback, private (RFC 1918), carrier-grade NAT (e.g. Tailscale) and IPv6 unique-local addresses. */
  allowPrivate: boolean;
  /** When not empty, only these host names (lowercase, exact). */
  allowedHosts: string[];
}

/** Names of cloud metadata services, refused whatever they resolve to. */
export const METADATA_HOSTNAMES = [
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.internal',
  'metadata.tencentyun.com',
];

/**
 * Metadata services outside the link-local range (which is refused as a whole): AWS's IPv6 endpoint,
 * Alibaba Cloud's, and Azure's platform endpoint (WireServer).
 */
const METADATA_ADDRESSES = new Set(['fd00:ec2::254', '100.100.100.200', '168.63.129.16']);

const PRIVATE_RANGES = new Set(['loopback', 'private', 'carrierGradeNat', 'uniqueLocal']);

export class WebhookRefused extends Error {
  override readonly name = 'WebhookRefused';
}

/** Why this address may not receive a webhook under the policy, or null when it may. */
export function refusedAddress(address: string, policy: WebhookPolicy): string | null {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  let ip = ipaddr.parse(address);
  // An IPv4 address written as IPv6 is judged as the IPv4 address it reaches.
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) {
    ip = (ip as ipaddr.IPv6).toIPv4Address();
  }
  const normal = ip.toString();
  if (METADATA_ADDRESSES.has(normal)) return `${normal} is a cloud metadata address`;
  const range = ip.range();
  if (ip.kind() === 'ipv6' && (range === 'rfc6052' || range === '6to4')) {
    // NAT64 and 6to4 carry an IPv4 address that the packet finally reaches.
    const parts = (ip as ipaddr.IPv6).parts;
    const [hi, lo] = range === 'rfc6052' ? [parts[6]!, parts[7]!] : [parts[1]!, parts[2]!];
    const v4 = `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
    const inner = refusedAddress(v4, policy);
    return inner && `${normal} reaches ${v4}: ${inner}`;
  }
  if (range === 'unicast') return null;
  if (PRIVATE_RANGES.has(range)) {
    return policy.allowPrivate ? null : `${normal} is a ${range} address (WEBHOOK_ALLOW_PRIVATE is off)`;
  }
  return `${normal} is a ${range} address`;
}

const bareHost = (hostname: string) =>
  hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();

/**
 * What can be judged without resolving: the scheme, metadata names, the allow-list, and a host that is an
 * IP literal. Used at submission (a clear 400) and again before each delivery.
 */
export function refusedUrl(url: string, policy: WebhookPolicy): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `${u.protocol} is not http or https`;
  const host = bareHost(u.hostname);
  if (METADATA_HOSTNAMES.includes(host)) return `${host} is a cloud metadata host`;
  if (policy.allowedHosts.length > 0 && !policy.allowedHosts.includes(host)) {
    return `${host} is not in WEBHOOK_ALLOWED_HOSTS`;
  }
  return isIP(host) ? refusedAddress(host, policy) : null;
}

export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) => dns.promises.lookup(hostname, { all: true });

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for node:http that resolves the host once, refuses it when any of its addresses is refused
 * (a name that also points at a metadata address is not trusted for its other ones), and hands the
 * socket exactly the addresses it checked.
 */
export function guardedLookup(policy: WebhookPolicy, resolve: Resolver = systemResolver) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname).then(
      (found) => {
        const usable = found.filter((a) => !options.family || a.family === options.family);
        const refused = found.map((a) => refusedAddress(a.address, policy)).find((r) => r !== null);
        if (refused) {
          callback(new WebhookRefused(`${hostname} resolves to a refused address: ${refused}`), '');
        } else if (usable.length === 0) {
          const err: NodeJS.ErrnoException = new Error(`${hostname} has no usable address`);
          err.code = 'ENOTFOUND';
          callback(err, '');
        } else if (options.all) {
          callback(null, usable);
        } else {
          callback(null, usable[0]!.address, usable[0]!.family);
        }
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}
