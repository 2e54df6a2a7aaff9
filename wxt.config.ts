import { defineConfig } from 'wxt';

/**
 * Public half of the extension's signing key: it pins the extension id
 * (pjkjafjciljoajlgpeaaopnjbmdhjion) so `--enable-cors-header chrome-extension://<id>` and the DNR
 * rules' `initiatorDomains` stay valid across installs. The private key is not in the repository.
 */
const EXTENSION_KEY =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvD4rw7xsziQmk6BQ4AJxAtR2NMSMlbAlNJtXn7Cgxek/gYnbVDPTSMAob1zSIlos3Dla4ZKsN4gUprZXehgT0kTuqh6xJZXCP6J3O2HmpzgC5829lsvbUGxYiXYz+t3ZkHP5x8Hii34cMjLewbImsuR6RFSHFsMOwVK3wQHpOT9PIffKX1JkPupfZtVhTnPW+CsAbafDEM3EMnRGTfXGebHxy3d1arGJK1BsjyJzbtzS9JWKzCNtqNPVDVPFXX4ms4Z2kcUDkiQm5EIC/agW2HG+tozUMx2VVu/9+MQDQ1QQnvmBHV0zo6Re/Op0LjlYyOsZMfRSqaJMOzki2tWcIwIDAQAB';

// Loopback only at install; any other server is asked for at runtime (options page). The ws patterns
// are needed for declarativeNetRequest to rewrite the WebSocket handshake's Origin (protocol §12).
const HOST_PERMISSIONS = ['http://127.0.0.1/*', 'http://localhost/*', 'ws://127.0.0.1/*', 'ws://localhost/*'];
const OPTIONAL_HOST_PERMISSIONS = ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'];

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

// Manifest permissions are the least that work; see README "Permissions" for why each exists.
export default defineConfig({
  modules: ['@wxt-dev/module-react', '@wxt-dev/i18n/module'],
  srcDir: '.',
  manifest: ({ browser }) => ({
    name: '__MSG_extName__',
    description: '__MSG_extDescription__',
    default_locale: 'en',
    minimum_chrome_version: '116',
    ...(browser === 'firefox'
      ? {
          permissions: ['alarms', 'notifications', 'declarativeNetRequestWithHostAccess'],
          // nothing goes to the extension's authors; sync, when the user turns it on, goes to their own server
          browser_specific_settings: {
            gecko: { id: 'comfypulse@comfypulse.dev', data_collection_permissions: { required: ['none'] } },
          },
        }
      : {
          key: EXTENSION_KEY,
          permissions: [
            'offscreen',
            'alarms',
            'notifications',
            'declarativeNetRequestWithHostAccess',
            'sidePanel',
          ],
        }),
    host_permissions: HOST_PERMISSIONS,
    optional_host_permissions: OPTIONAL_HOST_PERMISSIONS,
    content_security_policy: { extension_pages: EXTENSION_PAGES_CSP },
    action: { default_title: '__MSG_extName__' },
  }),
});
