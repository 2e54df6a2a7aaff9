import { readFile } from 'node:fs/promises';
import { Hono } from 'hono';
import ts from 'typescript';
import type { AppEnv } from '../http';
import { DASHBOARD_CSP, DASHBOARD_CSS, DASHBOARD_HTML } from './page';

let clientJs: Promise<string> | undefined;

/** The browser code is TypeScript checked with the repo; it is transpiled once, on first request. */
function loadClient(): Promise<string> {
  clientJs ??= readFile(new URL('./client.ts', import.meta.url), 'utf8').then(
    (src) =>
      ts.transpileModule(src, {
        compilerOptions: {
          target: ts.ScriptTarget.ES2022,
          module: ts.ModuleKind.ESNext,
          verbatimModuleSyntax: true,
        },
      }).outputText,
  );
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
