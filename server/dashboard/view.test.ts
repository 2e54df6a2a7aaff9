// @vitest-environment happy-dom
// The dashboard's DOM pieces: an active job's card, a finished job's row, the node-class chart; text
// only, updated in place.
import { describe, expect, it } from 'vitest';
import type { NodeClassStat } from '../repo/jobs';
import { makeJobDto } from '../testing/job-dto';
import { activeCard, chartScale, historyRow, KeyedList, statRow } from './view';

const NOW = 1_767_225_600_000 + 3_600_000;
const HOSTILE = '<img src=x onerror="document.title=1">';

const running = (overrides = {}) =>
  makeJobDto({
    status: 'running',
    endedAt: null,
    durationMs: null,
    startedAt: NOW - 80_000,
    progress: 0.62,
    currentNode: '3',
    currentClass: 'KSampler',
    outputs: {},
    outputClasses: {},
    ...overrides,
  });

describe('active job card', () => {
  it('shows the title, who started it, the progress and the running node', () => {
    const card = activeCard();
    card.update(
      running({ workflowName: 'Portraits v2', source: 'api', client: 'n8n', queuedBy: 'n8n-prod' }),
      NOW,
    );
    const root = card.root;
    expect(root.querySelector('[data-testid="job-title"]')!.textContent).toBe('Portraits v2');
    expect(root.querySelector('[data-testid="started-by"]')!.textContent).toBe('n8n');
    expect(root.querySelector('.who')!.textContent).toBe('n8nn8n-prodlocal');
    const bar = root.querySelector('[role="progressbar"]')!;
    expect(bar.getAttribute('aria-valuenow')).toBe('62');
    expect((bar.firstElementChild as HTMLElement).style.width).toBe('62%');
    expect(root.querySelector('.line')!.textContent).toBe('62% · KSampler · running for 1 min 20 s');
  });

  it('says how long a queued job has waited, and names a node without a known class by its id', () => {
    const card = activeCard();
    card.update(
      running({
        status: 'pending',
        startedAt: null,
        progress: 0,
        queuedAt: NOW - 120_000,
        currentClass: null,
      }),
      NOW,
    );
    expect(card.root.querySelector('.line')!.textContent).toMatch(/^0% · node 3 · queued 2 min\.? ago$/);
  });

  it('shows no picture for a job without a preview, and swaps in a new frame only once it has loaded', () => {
    const card = activeCard();
    const media = card.root.querySelector('.media') as HTMLElement;
    card.update(running({ hasPreview: false }), NOW);
    expect(media.hidden).toBe(true);
    expect(card.root.querySelectorAll('img')).toHaveLength(0);

    const j = running({ hasPreview: true, rev: 5 });
    card.update(j, NOW);
    expect(media.hidden).toBe(false);
    const first = media.querySelector('img')!;
    expect(first.getAttribute('src')).toContain('/preview?server=local&rev=5');
    expect(first.hidden).toBe(true);
    first.dispatchEvent(new Event('load'));
    expect(first.hidden).toBe(false);

    card.update({ ...j, rev: 6 }, NOW);
    card.update({ ...j, rev: 7 }, NOW);
    const imgs = [...media.querySelectorAll('img')];
    // The shown frame stays until the next one has loaded; a newer revision replaces the one loading.
    expect(imgs).toHaveLength(2);
    expect(imgs[0]).toBe(first);
    expect(imgs[1]!.getAttribute('src')).toContain('rev=7');
    imgs[1]!.dispatchEvent(new Event('load'));
    expect([...media.querySelectorAll('img')]).toEqual([imgs[1]]);
  });
});

describe('finished job row', () => {
  it('shows thumbnail, title, who, server, when, status and duration', () => {
    const row = historyRow();
    const j = makeJobDto({
      source: 'api',
      client: 'n8n',
      queuedBy: 'n8n-prod',
      workflowName: 'Product shots',
      endedAt: NOW - 3 * 60_000,
    });
    row.update(j, NOW);
    const root = row.root;
    expect(root.dataset).toMatchObject({ promptId: j.promptId, status: 'success' });
    expect(root.querySelector('img')!.getAttribute('src')).toContain('/outputs/9/0?thumb=1');
    expect(root.querySelector('[data-testid="job-title"]')!.textContent).toBe('Product shots');
    expect(root.querySelector('.detail')!.textContent).toBe('ComfyUI_00001_.png');
    expect(root.querySelector('time')!.textContent).toMatch(/^3 min\.? ago$/);
    expect(root.querySelector('time')!.getAttribute('datetime')).toBe(new Date(NOW - 180_000).toISOString());
    expect(root.querySelector('.side')!.textContent).toBe('success1.5 s');
  });

  it('shows the output’s kind instead of a thumbnail the server may not fetch, or one that failed', () => {
    const row = historyRow();
    row.update(makeJobDto(), NOW);
    expect(row.root.querySelector('img')).toBeNull();
    expect(row.root.querySelector('.tile')!.textContent).toBe('PNG');

    const api = historyRow();
    api.update(makeJobDto({ source: 'api' }), NOW);
    api.root.querySelector('img')!.dispatchEvent(new Event('error'));
    expect(api.root.querySelector('img')).toBeNull();
    expect(api.root.querySelector('.tile')!.textContent).toBe('PNG');
  });

  it('says why a job failed', () => {
    const row = historyRow();
    row.update(
      makeJobDto({ status: 'error', error: { message: 'CUDA out of memory', nodeType: 'VAEDecode' } }),
      NOW,
    );
    const detail = row.root.querySelector('.detail')!;
    expect(detail.textContent).toBe('VAEDecode: CUDA out of memory');
    expect(detail.className).toBe('detail failure');
  });

  it('puts hostile text in as text: no element, no attribute comes from it', () => {
    const row = historyRow();
    row.update(
      makeJobDto({
        server: HOSTILE,
        user: HOSTILE,
        workflowName: HOSTILE,
        status: 'error',
        error: { message: HOSTILE },
      }),
      NOW,
    );
    expect(row.root.querySelectorAll('img, script, [onerror]')).toHaveLength(0);
    expect(row.root.querySelector('[data-testid="job-title"]')!.textContent).toBe(HOSTILE);
    expect(row.root.querySelector('[data-testid="server"]')!.textContent).toBe(HOSTILE);
    expect(row.root.querySelector('.detail')!.textContent).toBe(HOSTILE);
  });
});

describe('KeyedList', () => {
  it('keeps each job’s element across updates and follows the new order', () => {
    const container = document.createElement('ol');
    const list = new KeyedList(container, historyRow, (j) => j.promptId);
    const a = makeJobDto();
    const b = makeJobDto();
    list.render([a, b], NOW);
    const [ea, eb] = [...container.children];
    list.render([{ ...b, durationMs: 2500 }, a], NOW);
    expect([...container.children]).toEqual([eb, ea]);
    expect(eb!.querySelector('.side')!.textContent).toBe('success2.5 s');
    list.render([a], NOW);
    expect([...container.children]).toEqual([ea]);
  });
});

describe('node-class chart', () => {
  const stat = (over: Partial<NodeClassStat>): NodeClassStat => ({
    classType: 'KSampler',
    runs: 4,
    cachedRuns: 1,
    totalMs: 6000,
    avgMs: 1500,
    medianMs: 1200,
    maxMs: 3000,
    slowest: [],
    ...over,
  });

  it('draws the total against the largest class, and median and slowest run on one scale', () => {
    const classes = [
      stat({}),
      stat({ classType: 'VAEDecode', totalMs: 1500, medianMs: 300, maxMs: 600, cachedRuns: 0, runs: 1 }),
    ];
    const scale = chartScale(classes);
    expect(scale).toEqual({ maxTotalMs: 6000, maxRunMs: 3000 });
    const vae = statRow(classes[1]!, scale, NOW);
    expect((vae.querySelector('.total-bar > div') as HTMLElement).style.width).toBe('25%');
    expect((vae.querySelector('.median-fill') as HTMLElement).style.width).toBe('10%');
    expect((vae.querySelector('.slowest-fill') as HTMLElement).style.width).toBe('20%');
    expect(vae.querySelector('.meta')!.textContent).toBe('1 run · median 300 ms · slowest 600 ms');
    const ks = statRow(classes[0]!, scale, NOW);
    expect(ks.querySelector('.meta')!.textContent).toBe('4 runs (+1 cached) · median 1.2 s · slowest 3.0 s');
    expect(ks.querySelector('.run-bar')!.getAttribute('aria-label')).toBe(
      'KSampler: median 1.2 s, slowest 3.0 s',
    );
  });

  it('names the slowest runs by workflow, server and time', () => {
    const li = statRow(
      stat({
        slowest: [
          {
            server: 'gpu',
            promptId: 'p',
            nodeId: '3',
            durationMs: 3000,
            startedAt: NOW - 2 * 3_600_000,
            workflowName: 'Portraits',
          },
          {
            server: 'local',
            promptId: 'q',
            nodeId: '3',
            durationMs: 2000,
            startedAt: null,
            workflowName: null,
          },
        ],
      }),
      chartScale([stat({})]),
      NOW,
    );
    expect(li.querySelector('[data-testid="slow-runs"]')!.textContent).toMatch(
      /^Slowest runs: 3\.0 s \(Portraits, gpu, 2 hr?\.? ago\) · 2\.0 s \(local\)$/,
    );
  });

  it('says a class only ever came from the cache instead of drawing empty bars', () => {
    const li = statRow(
      stat({ runs: 0, cachedRuns: 6, totalMs: 0, medianMs: 0, maxMs: 0 }),
      { maxTotalMs: 0, maxRunMs: 0 },
      NOW,
    );
    expect(li.querySelector('.run-bar')).toBeNull();
    expect(li.querySelector('.meta')!.textContent).toBe('Only from the cache (6 runs)');
    expect((li.querySelector('.total-bar > div') as HTMLElement).style.width).toBe('0%');
  });

  it('keeps a hostile class name as text', () => {
    const li = statRow(stat({ classType: HOSTILE }), chartScale([stat({})]), NOW);
    expect(li.querySelectorAll('img, [onerror]')).toHaveLength(0);
    expect(li.querySelector('.cls')!.textContent).toBe(HOSTILE);
    expect(li.dataset.class).toBe(HOSTILE);
  });
});
