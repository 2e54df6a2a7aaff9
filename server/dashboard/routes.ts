import { readFile } from 'node:fs/promises';
import { Hono } from 'hono';
import type { AppEnv } from '../http';
import { buildDashboardScript } from './build-client';
import { DASHBOARD_CSP, DASHBOARD_CSS, DASHBOARD_HTML } from './page';

/** Set by `npm run build:server` (esbuild `define`): the dashboard script was built next to the bundle. */
declare const __COMFYPULSE_BUILT__: boolean | undefined;

let clientJs: Promise<string> | undefined;

/**
 * The browser code. The built server reads what `npm run build:server` wrote beside it, so a deployment
 * needs no build tool; run from source (tsx) it is bundled from client.ts with esbuild (a development
 * dependency) on first request.
 */
function loadClient(): Promise<string> {
  clientJs ??=
    typeof __COMFYPULSE_BUILT__ !== 'undefined' && __COMFYPULSE_BUILT__
      ? readFile(new URL('./public/dashboard.js', import.meta.url), 'utf8')
      : buildDashboardScript();
  return clientJs;
}

const SECURITY_HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export function dashboardRoutes(): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get('/', (c) => c.html(DASHBOARD_HTML, 200, SECURITY_HEADERS));
  r.get('/dashboard.css', (c) =>
    c.body(DASHBOARD_CSS, 200, { ...SECURITY_HEADERS, 'content-type': 'text/css' }),
  );
  r.get('/dashboard.js', async (c) =>
    c.body(await loadClient(), 200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/javascript; charset=utf-8',
    }),
  );
  return r;
}
