// The dashboard in real Chromium (Debian's /usr/bin/chromium): login with a read key, a running job's
// live progress, its completion moving it to the history, node-class timings, and hostile text as text.

import { readFileSync } from 'node:fs';
import { type Browser, chromium, type Page } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../sim';
import { openTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../testing/databases';
import { makeRecord } from '../testing/records';

describe('team dashboard in Chromium', () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let browser: Browser;
  let page: Page;
  let ingestKey: string;
  let sim: Simulator;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, originCheck: true });
    tdb = await openTestDatabase('postgres');
    srv = await startTestServer(tdb.db, { ingestBurst: 1000, comfyServers: { sim: { url: sim.url } } });
    ingestKey = await srv.token(['ingest']);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--headless=new',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    page = await browser.newPage({ viewport: { width: 420, height: 900 } });
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
    await tdb?.dispose();
    await sim?.close();
  });

  const ingest = async (records: unknown[]) => {
    const res = await srv.request('/v1/ingest', {
      method: 'POST',
      token: ingestKey,
      body: JSON.stringify({ records }),
    });
    expect(res.status).toBe(200);
  };

  it('serves the page with a strict CSP', async () => {
    const res = await fetch(`${srv.url}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
  });

  it('refuses a key without the read scope, then signs in with a read key', async () => {
    await page.goto(`${srv.url}/`);
    await page.getByLabel('Dashboard key (read scope)').fill(ingestKey);
    await page.getByRole('button', { name: 'Open dashboard' }).click();
    await expect
      .poll(() => page.locator('#login-error').textContent(), { timeout: 10_000 })
      .toContain('read');
    await page.getByLabel('Dashboard key (read scope)').fill(await srv.token(['read'], 'dashboard'));
    await page.getByRole('button', { name: 'Open dashboard' }).click();
    await page.locator('#live[data-state="live"]').waitFor();
    expect(await page.locator('#login').isVisible()).toBe(false);
    expect(await page.locator('#board').isVisible()).toBe(true);
  });

  it('shows a running job’s progress live, then its completion in the history', async () => {
    const evil = '<img src=x onerror="document.title=\'pwned\'">';
    const now = Date.now();
    const done = makeRecord({
      server: evil,
      queuedAt: now,
      startedAt: now + 10,
      endedAt: now + 1510,
      updatedAt: now + 1510,
      nodes: [
        {
          nodeId: '4',
          classType: 'CheckpointLoaderSimple',
          state: 'finished',
          cached: false,
          startedAt: now + 10,
          durationMs: 100,
        },
        {
          nodeId: '3',
          classType: 'KSampler',
          state: 'finished',
          cached: false,
          startedAt: now + 110,
          durationMs: 1400,
        },
      ],
    });
    const running = {
      ...done,
      status: 'running' as const,
      endedAt: undefined,
      currentNode: '3',
      progress: 0.3,
      updatedAt: done.updatedAt - 2,
    };
    await ingest([running]);
    const card = page.locator(`[data-testid="active-job"][data-prompt-id="${done.promptId}"]`);
    await expect
      .poll(() => card.getByRole('progressbar').getAttribute('aria-valuenow'), { timeout: 10_000 })
      .toBe('30');
    await ingest([{ ...running, progress: 0.75, updatedAt: done.updatedAt - 1 }]);
    await expect
      .poll(() => card.getByRole('progressbar').getAttribute('aria-valuenow'), { timeout: 10_000 })
      .toBe('75');
    expect(await card.textContent()).toContain(evil);

    await ingest([done]);
    const row = page.locator(`[data-testid="history-row"][data-prompt-id="${done.promptId}"]`);
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 10_000 }).toBe('success');
    expect(await card.count()).toBe(0);
    expect(await row.textContent()).toContain('1.5 s');
    expect(await page.title()).not.toBe('pwned');
    // Its ComfyUI server is not configured here, so there is no thumbnail: nothing broken is shown.
    await expect
      .poll(() =>
        row
          .getByRole('img')
          .isVisible()
          .catch(() => false),
      )
      .toBe(false);
    expect(await page.locator('#board img[src="x"]').count()).toBe(0);
  });

  it('shows a job started through the API: live progress and preview, then a thumbnail in the history', async () => {
    const prompt = JSON.parse(
      readFileSync(new URL('../../fixtures/workflows/ok.json', import.meta.url), 'utf8'),
    );
    prompt['2'].inputs = { ...prompt['2'].inputs, steps: 12, delay_ms: 400, seed: Date.now() % 100_000 };
    const res = await srv.request('/v1/prompts', {
      method: 'POST',
      token: await srv.token(['prompts']),
      body: JSON.stringify({ server: 'sim', prompt }),
    });
    expect(res.status).toBe(200);
    const { prompt_id: promptId } = await res.json();
    const card = page.locator(`[data-testid="active-job"][data-prompt-id="${promptId}"]`);
    await expect
      .poll(async () => Number((await card.getByRole('progressbar').getAttribute('aria-valuenow')) ?? -1), {
        timeout: 15_000,
      })
      .toBeGreaterThan(0);
    const preview = card.getByRole('img', { name: 'latest preview' });
    await expect
      .poll(() => preview.evaluate((img) => (img as HTMLImageElement).naturalWidth).catch(() => 0), {
        timeout: 15_000,
      })
      .toBeGreaterThan(0);
    const row = page.locator(`[data-testid="history-row"][data-prompt-id="${promptId}"]`);
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 20_000 }).toBe('success');
    const thumb = row.getByRole('img', { name: 'output' });
    await expect
      .poll(() => thumb.evaluate((img) => (img as HTMLImageElement).naturalWidth).catch(() => 0), {
        timeout: 10_000,
      })
      .toBeGreaterThan(0);
  }, 60_000);

  it('shows which node classes cost the most time', async () => {
    await page.reload();
    await page.locator('#live[data-state="live"]').waitFor();
    const rows = page.locator('[data-testid="node-stat"]');
    // Most expensive first: the 12 x 400 ms sampler of the API job, then the 1.4 s KSampler ingested above.
    await expect.poll(() => rows.first().textContent(), { timeout: 10_000 }).toContain('PeerSteps');
    expect(await rows.nth(1).textContent()).toContain('KSampler');
    expect(cspViolations).toEqual([]);
  });
});
