import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../../sim/server';
import { systemClock } from '../../comfy/types';
import type { Translate } from '../i18n';
import { fetchWithOrigin, wsWithOrigin } from '../testing/engine-harness';
import { loadTranslator } from '../testing/i18n';
import { type DoctorDeps, runDoctor } from './doctor';

const EXT = 'chrome-extension://abcdefghijklmnop';
let t: Translate;
let strict: Simulator;
let cors: Simulator;

beforeAll(async () => {
  t = await loadTranslator('en');
  strict = await startSimulator({ port: 0, originCheck: true, secFetchGuard: true });
  cors = await startSimulator({ port: 0, originCheck: true, corsHeader: '*' });
});
afterAll(async () => {
  await Promise.all([strict.close(), cors.close()]);
});

function deps(origin: string | undefined, extra: Partial<DoctorDeps> = {}): DoctorDeps {
  return {
    fetch: fetchWithOrigin(origin),
    WebSocket: wsWithOrigin(origin),
    clock: systemClock,
    t,
    extensionOrigin: EXT,
    timeoutMs: 2000,
    ...extra,
  };
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

describe('connection doctor', () => {
  it('passes every check when the Origin is rewritten to the server (what the DNR rule does)', async () => {
    const r = await runDoctor(deps(new URL(strict.url).origin), { url: strict.url });
    expect(r.finding).toBe('ok');
    expect(r.checks.every((c) => c.ok)).toBe(true);
    expect(r.checks.map((c) => c.name)).toEqual([
      'Permission to reach the server',
      'Server answers',
      "Server accepts the extension's requests",
      'ComfyUI version',
      'Live connection',
    ]);
    expect(r.serverVersion).toMatch(/^\d+\.\d+/);
  });

  it('explains an origin rejection, the --enable-cors-header fix and its cost', async () => {
    const r = await runDoctor(deps(EXT), { url: strict.url });
    expect(r.finding).toBe('origin-rejected');
    expect(r.message).toContain(`--enable-cors-header ${EXT}`);
    expect(r.message).toContain('any web page you visit could queue prompts');
    expect(r.checks.map((c) => c.ok)).toEqual([true, true, false, false, false]);
  });

  it('passes against a server started with --enable-cors-header, whatever the Origin', async () => {
    expect((await runDoctor(deps(EXT), { url: cors.url })).finding).toBe('ok');
  });

  it('says the server is unreachable when nothing listens', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const r = await runDoctor(deps(undefined), { url });
    expect(r.finding).toBe('unreachable');
    expect(r.message).toContain('Is ComfyUI running?');
  });

  it('suspects the certificate when an https server cannot be reached', async () => {
    const r = await runDoctor(deps(undefined), { url: `https://127.0.0.1:${await freePort()}` });
    expect(r.finding).toBe('tls');
    expect(r.message).toContain('mkcert');
  });

  it.each([
    ['401', () => new Response('', { status: 401 })],
    ['login redirect', () => Response.redirect('http://127.0.0.1:1/login', 302)],
  ])('asks for a token on %s', async (_, answer) => {
    const fetch401 = (async (input: RequestInfo | URL) => {
      const res = answer();
      if (res.status === 302) {
        const page = new Response('<html>login</html>', { headers: { 'content-type': 'text/html' } });
        Object.defineProperty(page, 'redirected', { value: true });
        Object.defineProperty(page, 'url', { value: 'http://127.0.0.1:1/login' });
        return page;
      }
      void input;
      return res;
    }) as typeof fetch;
    const r = await runDoctor(deps(undefined, { fetch: fetch401 }), { url: 'http://127.0.0.1:1' });
    expect(r.finding).toBe('auth-required');
    expect(r.message).toContain('access token');
  });

  it('reports a missing host permission before any request', async () => {
    let asked: string[] = [];
    const r = await runDoctor(
      deps(undefined, {
        hasPermissions: async (o) => {
          asked = o;
          return false;
        },
      }),
      { url: 'http://192.168.7.7:8188' },
    );
    expect(r.finding).toBe('permission-missing');
    expect(asked).toEqual(['http://192.168.7.7/*', 'ws://192.168.7.7/*']);
  });

  it('flags a refused live connection when HTTP passes (the ws permission or the handshake Origin)', async () => {
    const r = await runDoctor(
      { ...deps(new URL(strict.url).origin), WebSocket: wsWithOrigin(EXT) },
      { url: strict.url },
    );
    expect(r.finding).toBe('origin-rejected');
    expect(r.message).toContain('live connection (WebSocket)');
    expect(r.checks.at(-1)).toMatchObject({ name: 'Live connection', ok: false });
  });

  it.each([
    [undefined, false, true],
    ['header', false, true],
    ['query', true, false],
  ] as const)(
    'with token mode %s, puts the token in URLs: %s, in headers: %s',
    async (mode, inUrl, inHeader) => {
      const urls: string[] = [];
      const auth: (string | undefined)[] = [];
      const fetch = fetchWithOrigin(new URL(strict.url).origin);
      const ws = wsWithOrigin(new URL(strict.url).origin);
      const r = await runDoctor(
        {
          ...deps(undefined),
          fetch: (input, init) => {
            urls.push(String(input));
            auth.push((init?.headers as Record<string, string> | undefined)?.Authorization);
            return fetch(input, init);
          },
          WebSocket: class extends ws {
            constructor(url: string) {
              urls.push(url);
              super(url);
            }
          } as typeof ws,
        },
        { url: strict.url, token: 'T0K-42', ...(mode ? { tokenMode: mode } : {}) },
      );
      expect(r.finding).toBe('ok');
      expect(urls.some((u) => u.includes('T0K-42'))).toBe(inUrl);
      expect(auth.every((a) => a === 'Bearer T0K-42')).toBe(inHeader);
      // the handshake's URL never carries a header-mode token: the DNR rule adds the header there
      expect(urls.find((u) => u.startsWith('ws'))?.includes('T0K-42')).toBe(inUrl);
    },
  );

  it('rejects an address that is not http(s)', async () => {
    const r = await runDoctor(deps(undefined), { url: 'file:///etc/passwd' });
    expect(r.message).toContain('not a valid server address');
  });
});
