/**
 * Issue 4, extension side: the outbox delivers every job to the sync server exactly once across an endpoint
 * outage, including a batch whose answer was lost after the server stored it (so the uploader retries it).
 */

import { defaultConfig } from '../server/config';
import { openDatabase } from '../server/db/database';
import { createKey } from '../server/repo/keys';
import { startServer } from '../server/server';
import { expect, test } from './fixtures';
import { FlakyProxy } from './support/flaky-proxy';

test('the sync outbox delivers every job exactly once across an endpoint outage', async ({
  comfy,
  openSidePanel,
  openOptions,
}) => {
  const db = await openDatabase({ pgliteDir: 'memory://' });
  const sync = await startServer({ config: defaultConfig({ port: 0, host: '127.0.0.1' }), db });
  const proxy = new FlakyProxy(sync.url);
  try {
    const { token } = await createKey(db.pool, 'e2e-extension', ['ingest', 'read']);
    const stored = async (promptId: string) => {
      const res = await fetch(`${sync.url}/v1/jobs/${promptId}`, {
        headers: { authorization: `Bearer ${token}` },
      });
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
    const list = await fetch(`${sync.url}/v1/jobs?limit=100`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const { jobs } = (await list.json()) as { jobs: { promptId: string }[] };
    expect(jobs.map((j) => j.promptId).sort()).toEqual([before, ...during].sort());
    const stats = await fetch(`${sync.url}/v1/stats/nodes?since=0`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const { classes } = (await stats.json()) as { classes: { classType: string; runs: number }[] };
    const peerSteps = classes.find((c) => c.classType === 'PeerSteps')?.runs ?? 0;
    expect(peerSteps, 'PeerSteps ran once in each of the three jobs').toBeLessThanOrEqual(3);
  } finally {
    await proxy.stop();
    await sync.close();
    await db.close();
  }
});
