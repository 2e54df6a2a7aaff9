/**
 * The extension's manifest per target, as `wxt.config.ts` hands it to WXT (which adds the entrypoints,
 * icons and version, and converts MV3 keys to MV2 for Firefox). Permissions are the least that work;
 * the README's "Permissions" table says why each exists.
 */
import type { UserManifest } from 'wxt';
import { BUILTIN_HOST_PERMISSIONS, OPTIONAL_HOST_PERMISSIONS } from './permissions';

/**
 * Public half of the development signing key: it pins the unpacked extension's id
 * (pjkjafjciljoajlgpeaaopnjbmdhjion) so `--enable-cors-header chrome-extension://<id>` and the e2e suite
 * see the same id on every install. The Chrome Web Store refuses a package that carries `key` (the store
 * assigns the id), so store builds leave it out. The private key is not in the repository.
 */
export const DEV_EXTENSION_KEY =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvD4rw7xsziQmk6BQ4AJxAtR2NMSMlbAlNJtXn7Cgxek/gYnbVDPTSMAob1zSIlos3Dla4ZKsN4gUprZXehgT0kTuqh6xJZXCP6J3O2HmpzgC5829lsvbUGxYiXYz+t3ZkHP5x8Hii34cMjLewbImsuR6RFSHFsMOwVK3wQHpOT9PIffKX1JkPupfZtVhTnPW+CsAbafDEM3EMnRGTfXGebHxy3d1arGJK1BsjyJzbtzS9JWKzCNtqNPVDVPFXX4ms4Z2kcUDkiQm5EIC/agW2HG+tozUMx2VVu/9+MQDQ1QQnvmBHV0zo6Re/Op0LjlYyOsZMfRSqaJMOzki2tWcIwIDAQAB';

/** The add-on id on Firefox (`runtime.id`). Requests carry the per-profile `moz-extension://<uuid>` instead. */
export const GECKO_ID = 'comfypulse@comfypulse.dev';

/**
 * 128: the first ESR with `content_scripts[].world` (the tab tap runs in the page's world) and
 * declarativeNetRequest session rules in MV2.
 */
export const GECKO_MIN_VERSION = '128.0';

// Scripts only from the package; images and media may come from the user's ComfyUI servers (/view).
const EXTENSION_PAGES_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "img-src 'self' blob: data: http: https:",
  "media-src 'self' blob: http: https:",
  // data:/blob: for chrome.notifications, which fetches its images (the thumbnail is a data: URL)
  "connect-src 'self' data: blob: http: https: ws: wss:",
  "style-src 'self'",
].join('; ');

export interface ManifestTarget {
  browser: string;
  /** A package for a store: no development key. */
  store: boolean;
}

export function manifestFor({ browser, store }: ManifestTarget): UserManifest {
  const common: UserManifest = {
    name: '__MSG_extName__',
    description: '__MSG_extDescription__',
    default_locale: 'en',
    // Loopback only at install; any other server is asked for at runtime (options page). The ws patterns
    // are needed for declarativeNetRequest to rewrite the WebSocket handshake's Origin
    // (comfyui-protocol.md §12).
    host_permissions: [...BUILTIN_HOST_PERMISSIONS],
    content_security_policy: { extension_pages: EXTENSION_PAGES_CSP },
    action: { default_title: '__MSG_extName__' },
  };
  if (browser === 'firefox') {
    // MV2: its background page persists, so the engine and its sockets live there. A Firefox MV3
    // background is an event page that Firefox unloads after ~30 s without extension events, which would
    // close every socket. declarativeNetRequest works in MV2 on Firefox, keyed on the moz-extension host.
    return {
      ...common,
      permissions: ['alarms', 'notifications', 'declarativeNetRequestWithHostAccess'],
      // MV2 has no optional_host_permissions: optional host patterns go here
      optional_permissions: [...OPTIONAL_HOST_PERMISSIONS] as NonNullable<
        UserManifest['optional_permissions']
      >,
      browser_specific_settings: {
        gecko: {
          id: GECKO_ID,
          strict_min_version: GECKO_MIN_VERSION,
          // nothing goes to the extension's authors; sync, when the user turns it on, goes to their own server
          data_collection_permissions: { required: ['none'] },
        } as NonNullable<UserManifest['browser_specific_settings']>['gecko'],
      },
    };
  }
  return {
    ...common,
    ...(store ? {} : { key: DEV_EXTENSION_KEY }),
    minimum_chrome_version: '116',
    // scripting: the tab bridge is registered at runtime for configured servers' pages only (Firefox MV2
    // does the same with contentScripts.register, which needs no permission beyond the host's)
    permissions: [
      'offscreen',
      'alarms',
      'notifications',
      'declarativeNetRequestWithHostAccess',
      'sidePanel',
      'scripting',
    ],
    optional_host_permissions: [...OPTIONAL_HOST_PERMISSIONS],
  };
}
