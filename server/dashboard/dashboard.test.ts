// The dashboard in real Chromium (Debian's /usr/bin/chromium) against a real server, PostgreSQL and the
// ComfyUI simulator: sign-in with a read key; an extension job's live progress and its row once finished;
// an n8n job's live preview, thumbnail and workflow name; the node-class chart; the filters; hostile text
// as text; and the layout at 375 px (no horizontal scroll) and 1280 px (light and dark), with screenshots
// in .tmp/dashboard/.
import { mkdirSync, readFileSync } from 'node:fs';
import { type Browser, chromium, type Page } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../lib/sync/schema';
import { type Simulator, startSimulator } from '../../sim';
import { openTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../testing/databases';
import { makeRecord } from '../testing/records';

const SHOTS = new URL('../../.tmp/dashboard/', import.meta.url).pathname;
const EVIL = '<img src=x onerror="document.title=\'pwned\'">';
// One unbroken word longer than a phone is wide: it must wrap or be cut, never widen the page.
const LONG_SERVER = `render-node-${'x'.repeat(90)}`;

describe('team dashboard in Chromium', () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let browser: Browser;
  let page: Page;
  let ingestKey: string;
  let promptKey: string;
  let sim: Simulator;
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    sim = await startSimulator({ port: 0, originCheck: true });
    tdb = await openTestDatabase('postgres');
    srv = await startTestServer(tdb.db, { ingestBurst: 1000, comfyServers: { sim: { url: sim.url } } });
    ingestKey = await srv.token(['ingest'], 'alice-laptop');
    promptKey = await srv.token(['prompts'], 'n8n-prod');
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
    page = await browser.newPage({ viewport: { width: 420, height: 900 }, locale: 'en-US' });
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
    await tdb?.dispose();
    await sim?.close();
  });

  const ingest = async (records: JobRecord[]) => {
    const res = await srv.request('/v1/ingest', {
      method: 'POST',
      token: ingestKey,
      body: JSON.stringify({ records }),
    });
    expect((await res.json()).applied).toBe(records.length);
  };

  /** Starts a job on the simulator as the n8n example does; `steps` × 300 ms of sampling. */
  const startApiJob = async (steps: number, workflowName = 'Product shots') => {
    const prompt = JSON.parse(
      readFileSync(new URL('../../fixtures/workflows/ok.json', import.meta.url), 'utf8'),
    );
    prompt['1'].inputs = { ...prompt['1'].inputs, width: 256, height: 256 };
    prompt['2'].inputs = { ...prompt['2'].inputs, steps, delay_ms: 300, width: 256, height: 256 };
    prompt['2'].inputs.seed = Math.floor(Math.random() * 1e9);
    const res = await srv.request('/v1/prompts', {
      method: 'POST',
      token: promptKey,
      body: JSON.stringify({ server: 'sim', prompt, workflowName, client: 'n8n' }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { prompt_id: string }).prompt_id;
  };

  const card = (promptId: string) => page.locator(`[data-testid="active-job"][data-prompt-id="${promptId}"]`);
  const row = (promptId: string) => page.locator(`[data-testid="history-row"][data-prompt-id="${promptId}"]`);
  const naturalWidth = (img: ReturnType<Page['locator']>) =>
    img.evaluate((i) => (i as HTMLImageElement).naturalWidth).catch(() => 0);

  it('serves the page with a strict CSP', async () => {
    const res = await fetch(`${srv.url}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
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

  it('shows an extension job’s progress live by its output and its user, then its row once finished', async () => {
    const now = Date.now();
    const done = makeRecord({
      user: 'alice',
      queuedAt: now,
      startedAt: now + 10,
      endedAt: now + 1510,
      updatedAt: now + 1510,
      outputs: { '9': { images: [{ filename: 'portrait_00042_.png', subfolder: '', type: 'output' }] } },
      nodes: [
        {
          nodeId: '4',
          classType: 'CheckpointLoaderSimple',
          state: 'finished',
          cached: false,
          durationMs: 100,
        },
        { nodeId: '3', classType: 'KSampler', state: 'finished', cached: false, durationMs: 1400 },
        { nodeId: '9', classType: 'SaveImage', state: 'finished', cached: false, durationMs: 10 },
      ],
    });
    const running = {
      ...done,
      status: 'running' as const,
      endedAt: undefined,
      outputs: {},
      currentNode: '3',
      progress: 0.3,
      updatedAt: done.updatedAt - 2,
      nodes: [done.nodes[0]!, { ...done.nodes[1]!, state: 'running' as const, durationMs: undefined }],
    };
    await ingest([running]);
    const active = card(done.promptId);
    await expect
      .poll(() => active.getByRole('progressbar').getAttribute('aria-valuenow'), { timeout: 10_000 })
      .toBe('30');
    expect(await active.textContent()).toContain('KSampler');
    expect(await active.getByTestId('started-by').textContent()).toBe('Extension');
    expect(await active.textContent()).toContain('alice');
    // Extension jobs have no preview on this server: none is requested, none is faked.
    expect(await active.locator('img').count()).toBe(0);
    await ingest([{ ...running, progress: 0.75, updatedAt: done.updatedAt - 1 }]);
    await expect
      .poll(() => active.getByRole('progressbar').getAttribute('aria-valuenow'), { timeout: 10_000 })
      .toBe('75');

    await ingest([done]);
    const finished = row(done.promptId);
    await expect.poll(() => finished.getAttribute('data-status'), { timeout: 10_000 }).toBe('success');
    expect(await active.count()).toBe(0);
    expect(await finished.getByTestId('job-title').textContent()).toBe('portrait_00042_.png');
    const text = await finished.textContent();
    expect(text).toContain('1.5 s');
    expect(text).toContain('SaveImage');
    expect(text).toMatch(/now|sec/);
    // The server may not fetch an extension user's files: a tile naming the kind, not a picture.
    expect(await finished.locator('.tile').textContent()).toBe('PNG');
    expect(await finished.getByRole('img').count()).toBe(0);
  });

  it('shows an n8n job: live preview, then its thumbnail, workflow name and who started it', async () => {
    const promptId = await startApiJob(12);
    const active = card(promptId);
    await expect
      .poll(async () => Number((await active.getByRole('progressbar').getAttribute('aria-valuenow')) ?? -1), {
        timeout: 15_000,
      })
      .toBeGreaterThan(0);
    expect(await active.getByTestId('job-title').textContent()).toBe('Product shots');
    expect(await active.getByTestId('started-by').textContent()).toBe('n8n');
    expect(await active.textContent()).toContain('n8n-prod');
    await expect
      .poll(() => naturalWidth(active.getByRole('img', { name: 'latest preview' })), { timeout: 15_000 })
      .toBeGreaterThan(0);
    const finished = row(promptId);
    await expect.poll(() => finished.getAttribute('data-status'), { timeout: 20_000 }).toBe('success');
    expect(await finished.getByTestId('job-title').textContent()).toBe('Product shots');
    await expect
      .poll(() => naturalWidth(finished.getByRole('img', { name: 'output' })), { timeout: 10_000 })
      .toBeGreaterThan(0);
  }, 60_000);

  it('renders hostile text as text and says why a job failed', async () => {
    const failed = makeRecord({
      server: EVIL,
      user: EVIL,
      status: 'error',
      queuedAt: Date.now() - 60_000,
      updatedAt: Date.now(),
      outputs: {},
      error: { message: `CUDA out of memory ${EVIL}`, nodeType: 'VAEDecode', traceback: [] },
      nodes: [{ nodeId: '8', classType: EVIL, state: 'error', cached: false, durationMs: 50 }],
    });
    await ingest([failed]);
    const r = row(failed.promptId);
    await expect.poll(() => r.getAttribute('data-status'), { timeout: 10_000 }).toBe('error');
    const text = await r.textContent();
    expect(text).toContain(`VAEDecode: CUDA out of memory ${EVIL}`);
    expect(await r.getByTestId('server').textContent()).toBe(EVIL);
    expect(await page.locator('#board img[src="x"]').count()).toBe(0);
    expect(await page.title()).not.toBe('pwned');
  });

  it('charts the time per node class with each class’s median and slowest runs', async () => {
    await page.reload();
    await page.locator('#live[data-state="live"]').waitFor();
    const stats = page.getByTestId('node-stat');
    // Most time first: the 12 x 300 ms PeerSteps of the n8n job, then the 1.4 s KSampler.
    await expect.poll(() => stats.first().getAttribute('data-class'), { timeout: 10_000 }).toBe('PeerSteps');
    const ks = page.locator('[data-testid="node-stat"][data-class="KSampler"]');
    expect(await ks.getByTestId('median').textContent()).toBe('median 1.4 s');
    expect(await ks.getByTestId('slowest').textContent()).toBe('slowest 1.4 s');
    expect(await ks.getByTestId('slow-runs').textContent()).toContain('1.4 s (local');
    const peer = page.locator('[data-testid="node-stat"][data-class="PeerSteps"]');
    expect(await peer.getByTestId('slow-runs').textContent()).toContain('Product shots, sim');
  });

  it('filters by server and by status, and keeps the filters in the address', async () => {
    await page.getByLabel('Server').selectOption('sim');
    await expect.poll(() => page.url()).toContain('server=sim');
    await expect.poll(() => page.getByTestId('history-row').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.getByTestId('history-row').first().getAttribute('data-status')).toBe('success');
    // The chart follows the server: only classes that ran on it.
    await expect
      .poll(() => page.getByTestId('node-stat').evaluateAll((els) => els.map((e) => e.dataset.class).sort()))
      .toEqual(['EmptyImage', 'PeerSteps', 'SaveImage']);

    await page.getByLabel('Server').selectOption('');
    await page.getByLabel('Status').selectOption('failed');
    await expect.poll(() => page.url()).toContain('status=failed');
    await expect
      .poll(() => page.getByTestId('history-row').evaluateAll((els) => els.map((e) => e.dataset.status)), {
        timeout: 10_000,
      })
      .toEqual(['error']);
    expect(await page.locator('#active-section').isVisible()).toBe(false);

    // A job that starts while the filter shows only failures does not appear; the filter survives a reload.
    await page.reload();
    await page.locator('#live[data-state="live"]').waitFor();
    expect(await page.getByLabel('Status').inputValue()).toBe('failed');
    expect(await page.getByTestId('history-row').count()).toBe(1);
    await page.getByLabel('Status').selectOption('all');
    await expect.poll(() => page.getByTestId('history-row').count(), { timeout: 10_000 }).toBe(3);
  });

  it('fits a 375 px phone without horizontal scrolling and fills a 1280 px wall screen (screenshots)', async () => {
    await ingest([
      makeRecord({
        server: LONG_SERVER,
        user: 'bob',
        queuedAt: Date.now() - 5 * 60_000,
        updatedAt: Date.now(),
        outputs: {
          '12': {
            gifs: [{ filename: `${'very-long-file-name-'.repeat(6)}.mp4`, subfolder: '', type: 'output' }],
          },
        },
      }),
    ]);
    const promptId = await startApiJob(40, 'Catalogue hero images, autumn collection');
    await expect
      .poll(() => naturalWidth(card(promptId).getByRole('img', { name: 'latest preview' })), {
        timeout: 20_000,
      })
      .toBeGreaterThan(0);
    for (const width of [375, 1280]) {
      await page.setViewportSize({ width, height: width === 375 ? 812 : 800 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `horizontal overflow at ${width} px`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: `${SHOTS}dashboard-${width}.png`, fullPage: true });
    }
    // A wall screen is often dark.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: `${SHOTS}dashboard-1280-dark.png`, fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 420, height: 900 });
    await expect.poll(() => row(promptId).getAttribute('data-status'), { timeout: 30_000 }).toBe('success');
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
