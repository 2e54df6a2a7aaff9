// The dashboard in real Chromium (Debian's /usr/bin/chromium): login with a read key, a running job's
// live progress, its completion moving it to the history, node-class timings, and hostile text as text.
import { type Browser, chromium, type Page } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../testing/databases';
import { makeRecord } from '../testing/records';

describe('team dashboard in Chromium', () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let browser: Browser;
  let page: Page;
  let ingestKey: string;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    tdb = await openTestDatabase('postgres');
    srv = await startTestServer(tdb.db, { ingestBurst: 1000 });
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
    await expect.poll(() => page.locator('#login-error').textContent()).toContain('read');
    await page.getByLabel('Dashboard key (read scope)').fill(await srv.token(['read'], 'dashboard'));
    await page.getByRole('button', { name: 'Open dashboard' }).click();
    await page.locator('#live[data-state="live"]').waitFor();
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
    await expect.poll(() => card.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('30');
    await ingest([{ ...running, progress: 0.75, updatedAt: done.updatedAt - 1 }]);
    await expect.poll(() => card.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('75');
    expect(await card.textContent()).toContain(evil);

    await ingest([done]);
    const row = page.locator(`[data-testid="history-row"][data-prompt-id="${done.promptId}"]`);
    await expect.poll(() => row.getAttribute('data-status')).toBe('success');
    expect(await card.count()).toBe(0);
    expect(await row.textContent()).toContain('1.5 s');
    expect(await page.title()).not.toBe('pwned');
    expect(await page.locator('#board img[src="x"]').count()).toBe(0);
  });

  it('shows which node classes cost the most time', async () => {
    await page.reload();
    await page.locator('#live[data-state="live"]').waitFor();
    const first = page.locator('[data-testid="node-stat"]').first();
    await expect.poll(() => first.textContent()).toContain('KSampler');
    expect(cspViolations).toEqual([]);
  });
});
