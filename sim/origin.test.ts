/**
 * The request guards, table-driven from comfyui-protocol.md §12 (verified on ComfyUI 0.3.64 + Chromium 156),
 * plus the --enable-cors-header and v0.19 Sec-Fetch-Site switches, over HTTP and the WS handshake.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, type SimulatorOptions, startSimulator } from './index';
import { guardVerdict, originNetloc, splitNetloc } from './origin';
import { handshakeStatus } from './testing/client';
import { loadWorkflow } from './testing/fixtures';
import { httpJson } from './testing/recorder';

type Probe = { ws: number; prompt: number; interrupt: number; options: number };

async function probe(sim: Simulator, headers: Record<string, string>): Promise<Probe> {
  const ws = (await handshakeStatus(sim.url, headers)).status;
  const prompt = (await httpJson(sim.url, 'POST', '/prompt', { prompt: loadWorkflow('ok') }, headers)).status;
  const interrupt = (await httpJson(sim.url, 'POST', '/interrupt', undefined, headers)).status;
  const options = (await httpJson(sim.url, 'OPTIONS', '/prompt', undefined, headers)).status;
  return { ws, prompt, interrupt, options };
}

const refused: Probe = { ws: 403, prompt: 403, interrupt: 403, options: 403 };
const allowed: Probe = { ws: 101, prompt: 200, interrupt: 200, options: 200 };

describe('origin middleware (comfyui-protocol.md §12 table)', () => {
  const servers: Record<string, Simulator> = {};
  const configs: Record<string, SimulatorOptions> = {
    default: {},
    'cors (no value)': { corsHeader: '' },
    'cors (extension origin)': { corsHeader: 'chrome-extension://abcdefghijklmnop' },
  };
  beforeAll(async () => {
    for (const [name, cfg] of Object.entries(configs)) {
      servers[name] = await startSimulator({ port: 0, timeScale: 0.001, ...cfg });
    }
  });
  afterAll(async () => {
    await Promise.all(Object.values(servers).map((s) => s.close()));
  });

  const rows: [string, (port: number) => string | null, Probe][] = [
    ['chrome-extension origin', () => 'chrome-extension://abcdefghijklmnop', refused],
    ['moz-extension origin', () => 'moz-extension://0b1c2d3e-aaaa-bbbb-cccc-123456789abc', refused],
    ['localhost origin while reached as 127.0.0.1', (p) => `http://localhost:${p}`, refused],
    ['no Origin header', () => null, allowed],
    ['same origin', (p) => `http://127.0.0.1:${p}`, allowed],
    ['origin without port', () => 'http://127.0.0.1', allowed],
    ['null origin', () => 'null', allowed],
  ];

  it.each(rows)('default server, %s', async (_name, origin, expected) => {
    const sim = servers.default!;
    const o = origin(sim.port);
    expect(await probe(sim, o === null ? {} : { Origin: o })).toEqual(expected);
  });

  it.each([
    ['cors (no value)', 'chrome-extension://abcdefghijklmnop'],
    ['cors (extension origin)', 'chrome-extension://abcdefghijklmnop'],
    ['cors (extension origin)', 'http://evil.example'],
  ])('%s lets %s through everywhere', async (server, origin) => {
    expect(await probe(servers[server]!, { Origin: origin })).toEqual(allowed);
  });

  it('adds the CORS headers to responses, but not to 404s or to the 101', async () => {
    const sim = servers['cors (extension origin)']!;
    const q = await httpJson(sim.url, 'GET', '/queue');
    expect(q.headers['access-control-allow-origin']).toBe('chrome-extension://abcdefghijklmnop');
    expect(q.headers['access-control-allow-methods']).toBe('POST, GET, DELETE, PUT, OPTIONS');
    expect(q.headers['access-control-allow-headers']).toBe('Content-Type, Authorization');
    expect(q.headers['access-control-allow-credentials']).toBe('true');
    const opt = await httpJson(sim.url, 'OPTIONS', '/anything');
    expect(opt.status).toBe(200);
    expect(opt.headers['access-control-allow-origin']).toBe('chrome-extension://abcdefghijklmnop');
    const missing = await httpJson(sim.url, 'GET', '/nope');
    expect(missing.status).toBe(404);
    expect(missing.headers['access-control-allow-origin']).toBeUndefined();
    const ws = await handshakeStatus(sim.url, { Origin: 'chrome-extension://abcdefghijklmnop' });
    expect(ws.status).toBe(101);
    expect(ws.headers['access-control-allow-origin']).toBeUndefined();
    const star = await httpJson(servers['cors (no value)']!.url, 'GET', '/prompt');
    expect(star.headers['access-control-allow-origin']).toBe('*');
  });

  it('answers the refused request with an empty 403 and no CORS headers', async () => {
    const sim = servers.default!;
    const r = await httpJson(sim.url, 'POST', '/prompt', { prompt: {} }, { Origin: 'chrome-extension://x' });
    expect(r).toMatchObject({ status: 403, text: '' });
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('checks only loopback hosts', async () => {
    const sim = servers.default!;
    const r = await httpJson(sim.url, 'GET', '/queue', undefined, {
      Host: '192.168.1.20:8188',
      Origin: 'chrome-extension://abcdefghijklmnop',
    });
    expect(r.status).toBe(200);
    const local = await httpJson(sim.url, 'GET', '/queue', undefined, {
      Host: `localhost:${sim.port}`,
      Origin: 'chrome-extension://abcdefghijklmnop',
    });
    expect(local.status).toBe(403);
  });
});

describe('Sec-Fetch-Site guard (v0.19+)', () => {
  let guarded: Simulator;
  let old: Simulator;
  beforeAll(async () => {
    guarded = await startSimulator({ port: 0, secFetchGuard: true });
    old = await startSimulator({ port: 0 });
  });
  afterAll(async () => {
    await guarded.close();
    await old.close();
  });

  it.each([
    ['GET', '/queue'],
    ['GET', '/api/system_stats'],
    ['POST', '/interrupt'],
    ['OPTIONS', '/prompt'],
    ['GET', '/no-such-path'],
  ])('refuses %s %s marked cross-site, on any host', async (method, path) => {
    const r = await httpJson(guarded.url, method, path, undefined, {
      'Sec-Fetch-Site': 'cross-site',
      Host: 'comfy.example.org',
    });
    expect(r.status).toBe(403);
  });

  it('refuses a cross-site WS handshake and lets same-site / none through', async () => {
    expect((await handshakeStatus(guarded.url, { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await handshakeStatus(guarded.url, { 'Sec-Fetch-Site': 'none' })).status).toBe(101);
    expect(
      (await httpJson(guarded.url, 'GET', '/queue', undefined, { 'Sec-Fetch-Site': 'same-site' })).status,
    ).toBe(200);
  });

  it('is absent from the 0.3.64 default', async () => {
    expect(
      (await httpJson(old.url, 'GET', '/queue', undefined, { 'Sec-Fetch-Site': 'cross-site' })).status,
    ).toBe(200);
  });

  it('still applies the origin check after the fetch-metadata check', async () => {
    const r = await httpJson(guarded.url, 'POST', '/interrupt', undefined, {
      'Sec-Fetch-Site': 'none',
      Origin: 'chrome-extension://abcdefghijklmnop',
    });
    expect(r.status).toBe(403);
  });
});

describe('origin helpers', () => {
  it.each([
    ['127.0.0.1:8188', { hostname: '127.0.0.1', port: 8188 }],
    ['LOCALHOST', { hostname: 'localhost', port: null }],
    ['[::1]:8188', { hostname: '::1', port: 8188 }],
  ])('splits %s', (netloc, expected) => {
    expect(splitNetloc(netloc)).toEqual(expected);
  });

  it.each([
    ['chrome-extension://abc/', 'abc'],
    ['http://127.0.0.1:8188', '127.0.0.1:8188'],
    ['null', ''],
  ])('takes the netloc of %s', (origin, netloc) => {
    expect(originNetloc(origin)).toBe(netloc);
  });

  it('treats --no-origin-check as no guard at all', async () => {
    const v = await guardVerdict(
      { originCheck: false, corsHeader: null, secFetchGuard: false },
      { host: '127.0.0.1:8188', origin: 'chrome-extension://x' },
    );
    expect(v.allow).toBe(true);
  });
});
