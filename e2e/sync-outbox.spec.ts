/**
 * The extension's sync outbox against the real sync server (PGlite), with the real extension in Chromium.
 * - Issue 4: every job arrives exactly once across an endpoint outage, including a batch whose answer was
 *   lost after the server stored it (so the uploader retries it).
 * - Issue 7 §2: the sync URL points at a wrong server for a while (an nginx answering 400 in HTML, then an
 *   app answering 404 in JSON) and is then corrected: nothing was dropped, every job arrives exactly once.
 */

import { type Endpoint, nginxPage, startEndpoint } from '../lib/sync/testing';
import { defaultConfig } from '../server/config';
import { openDatabase } from '../server/db/database';
import { createKey } from '../server/repo/keys';
import { startServer } from '../server/server';
import { expect, test } from './fixtures';

/** A real sync server on PGlite in memory, with an ingest+read key and reads authorised with it. */
async function startSync() {
  const db = await openDatabase({ pgliteDir: 'memory://' });
  const server = await startServer({ config: defaultConfig({ port: 0, host: '127.0.0.1' }), db });
  const { token } = await createKey(db.pool, 'e2e-extension', ['ingest', 'read']);
  return {
    url: server.url,
    token,
    api: (path: string) => fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } }),
    async close() {
      await server.close();
      await db.close();
    },
  };
}

import { FlakyProxy } from './support/flaky-proxy';

test('the sync outbox delivers every job exactly once across an endpoint outage', async ({
  comfy,
  openSidePanel,
  openOptions,
}) => {
  const sync = await startSync();
  const { token, api } = sync;
  const proxy = new FlakyProxy(sync.url);
  try {
    const stored = async (promptId: string) => {
      const res = await api(`/v1/jobs/${promptId}`);
      return res.ok ? ((await res.json()) as { status: string }).status : `http ${res.status}`;
    };
    await proxy.start();

    const options = await openOptions();
    await options.enableSync(proxy.url, token);
    const panel = await openSidePanel();
    await panel.expectConnection('connected');

    const before = await comfy.post('ok', { steps: 4, delayMs: 100 });
    await panel.expectStatus(before, 'success');
    await expect.poll(() => stored(before), { timeout: 30_000 }).toBe('success');

    // The endpoint goes away while jobs keep finishing.
    await proxy.stop();
    const during = [await comfy.post('ok', { steps: 4, delayMs: 100 }), await comfy.post('fail', {})];
    await panel.expectStatus(during[0] as string, 'success');
    await panel.expectStatus(during[1] as string, 'error');
    await expect.poll(() => options.syncPending(), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await stored(during[0] as string)).toBe('http 404');

    // Back, but the first batch's answer is lost after the server stored it.
    proxy.dropNextResponses(1);
    await proxy.start();
    await expect.poll(() => stored(during[0] as string), { timeout: 60_000 }).toBe('success');
    await expect.poll(() => stored(during[1] as string), { timeout: 30_000 }).toBe('error');
    await expect.poll(() => options.syncPending(), { timeout: 30_000 }).toBe(0);
    expect(
      proxy.forwarded.some((f) => f.responseDropped),
      'a response was lost and retried',
    ).toBe(true);

    // Exactly once: each job is one row, and node runs were not counted twice by the retried batch.
    const list = await api('/v1/jobs?limit=100');
    const { jobs } = (await list.json()) as { jobs: { promptId: string }[] };
    expect(jobs.map((j) => j.promptId).sort()).toEqual([before, ...during].sort());
    const stats = await api('/v1/stats/nodes?since=0');
    const { classes } = (await stats.json()) as { classes: { classType: string; runs: number }[] };
    const peerSteps = classes.find((c) => c.classType === 'PeerSteps')?.runs ?? 0;
    expect(peerSteps, 'PeerSteps ran once in each of the three jobs').toBeLessThanOrEqual(3);
  } finally {
    await proxy.stop();
    await sync.close();
  }
});

test('a wrong sync URL for a while, then the right one: every job arrives exactly once, none is missing', async ({
  comfy,
  openSidePanel,
  openOptions,
}) => {
  const sync = await startSync();
  const { token, api } = sync;
  const wrong: Endpoint[] = [];
  try {
    const nginx = await startEndpoint((_req, res) => nginxPage(res, 400, 'Bad Request'));
    const otherApp = await startEndpoint((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'x-powered-by': 'Express' });
      res.end('{"error":"Not Found"}');
    });
    wrong.push(nginx, otherApp);

    const options = await openOptions();
    const panel = await openSidePanel();
    await panel.expectConnection('connected');
    const posted: string[] = [];
    const run = async (name: 'ok' | 'fail', status: 'success' | 'error') => {
      const id = await comfy.post(name, { steps: 3, delayMs: 80 });
      posted.push(id);
      await panel.expectStatus(id, status);
    };

    // A mistyped URL that an nginx answers with its 400 page: records stay queued, the page says why.
    await options.enableSync(nginx.url, token);
    await run('ok', 'success');
    await run('fail', 'error');
    await expect
      .poll(async () => (await options.syncProblem()).text, { timeout: 30_000 })
      .toContain('does not answer like a ComfyPulse server: 400 text/html from nginx/1.24.0');
    await expect.poll(() => options.syncPending(), { timeout: 10_000 }).toBe(2);
    expect(nginx.hits.filter((h) => h === 'POST /v1/ingest').length).toBeGreaterThan(0);

    // Another wrong address: an app that answers 404 in JSON.
    await options.setSyncUrl(otherApp.url);
    await run('ok', 'success');
    await expect
      .poll(async () => (await options.syncProblem()).text, { timeout: 30_000 })
      .toContain('404 application/json from Express');
    await expect.poll(() => options.syncPending(), { timeout: 10_000 }).toBe(3);
    expect(otherApp.hits.filter((h) => h === 'POST /v1/ingest').length).toBeGreaterThan(0);
    const none = (await (await api('/v1/jobs?limit=100')).json()) as { jobs: unknown[] };
    expect(none.jobs, 'nothing reached the real server yet').toEqual([]);

    // Corrected: the outbox drains at once (not after the wrong URL's backoff), each job exactly once.
    await options.setSyncUrl(sync.url);
    await run('ok', 'success');
    await expect.poll(() => options.syncPending(), { timeout: 30_000 }).toBe(0);
    await expect.poll(async () => (await options.syncProblem()).kind, { timeout: 10_000 }).toBe('');
    expect(await options.syncRejected()).toBe(0);

    const { jobs } = (await (await api('/v1/jobs?limit=100')).json()) as {
      jobs: { promptId: string; status: string }[];
    };
    expect(jobs.map((j) => j.promptId).sort()).toEqual([...posted].sort());
    expect(jobs.filter((j) => j.status === 'error')).toHaveLength(1);
    const stats = await api('/v1/stats/nodes?since=0');
    const { classes } = (await stats.json()) as { classes: { classType: string; runs: number }[] };
    const peerSteps = classes.find((c) => c.classType === 'PeerSteps')?.runs ?? 0;
    expect(peerSteps).toBeGreaterThan(0);
    expect(peerSteps, 'no node run was stored twice').toBeLessThanOrEqual(posted.length);
  } finally {
    await Promise.all(wrong.map((e) => e.close()));
    await sync.close();
  }
});
