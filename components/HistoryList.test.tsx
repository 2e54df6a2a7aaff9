// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobStatus } from '@/lib/comfy/types';
import { makeJob, makeServer } from '@/lib/ext/testing/records';
import { installI18n, makeServices, renderWith, type TestServices } from '@/lib/ext/ui/testing';
import { PAGE, ROW_HEIGHT } from './HistoryList';
import { HistorySection } from './HistorySection';

const STATUSES: JobStatus[] = ['success', 'error', 'interrupted', 'success', 'cancelled', 'lost'];
const BASE = new Date(2026, 0, 1).getTime();
let services: TestServices;

beforeAll(async () => {
  await installI18n();
  services = makeServices();
  await services.db.servers.bulkPut([
    makeServer('a', 'http://127.0.0.1:8188'),
    makeServer('b', 'http://10.0.0.2:8188'),
  ]);
  const jobs = [];
  // 10,000 finished jobs, one every 10 minutes from BASE: about 69 days, 144 per day.
  for (let i = 0; i < 10_000; i++) {
    jobs.push(makeJob(i % 2 ? 'b' : 'a', `p${i}`, STATUSES[i % STATUSES.length]!, BASE + i * 600_000));
  }
  await services.db.jobs.bulkPut(jobs);
});
afterEach(cleanup);

const rows = () => screen.queryAllByTestId('history-row');

describe('history list', () => {
  it('renders only a window of 10,000 jobs, newest first', async () => {
    renderWith(services, <HistorySection onOpen={() => {}} initialHeight={520} />);
    await waitFor(() => expect(rows().length).toBeGreaterThan(0));
    expect(rows().length).toBeLessThan(40);
    expect(rows()[0]!.getAttribute('data-prompt-id')).toBe('p9999');
    // the first query asked Dexie for one page, not the table
    expect(Number(screen.getByTestId('history-list').getAttribute('data-count'))).toBeLessThanOrEqual(40);
  });

  it('loads the next page from Dexie as the list is scrolled towards its end', async () => {
    renderWith(services, <HistorySection onOpen={() => {}} initialHeight={520} />);
    await waitFor(() => expect(rows().length).toBeGreaterThan(0));
    const list = screen.getByTestId('history-list');
    const loaded = () => Number(list.getAttribute('data-count'));
    const first = loaded();
    await act(async () => {
      list.scrollTop = (first - 5) * ROW_HEIGHT;
      list.dispatchEvent(new Event('scroll'));
    });
    await waitFor(() => expect(loaded()).toBeGreaterThan(first));
    expect(loaded()).toBeLessThanOrEqual(first + PAGE);
    // still only a window of rows in the DOM, now from further down the history
    expect(rows().length).toBeLessThan(40);
    expect(Number(rows().at(-1)!.getAttribute('data-prompt-id')!.slice(1))).toBeLessThan(9999 - 30);
  });

  it('filters by status', async () => {
    renderWith(services, <HistorySection onOpen={() => {}} />);
    await waitFor(() => expect(rows().length).toBeGreaterThan(0));
    fireEvent.change(screen.getByTestId('history-filter-status'), { target: { value: 'error' } });
    await waitFor(() => expect(rows().every((r) => r.getAttribute('data-status') === 'error')).toBe(true));
    expect(rows()[0]!.getAttribute('data-prompt-id')).toBe('p9997');
  });

  it('filters by server', async () => {
    renderWith(services, <HistorySection onOpen={() => {}} />);
    await waitFor(() => expect(rows().length).toBeGreaterThan(0));
    fireEvent.change(screen.getByTestId('history-filter-server'), { target: { value: 'a' } });
    await waitFor(() => expect(rows()[0]!.getAttribute('data-prompt-id')).toBe('p9998'));
    expect(rows().every((r) => Number(r.getAttribute('data-prompt-id')!.slice(1)) % 2 === 0)).toBe(true);
  });

  it('filters by a day range, inclusive of the last day', async () => {
    renderWith(services, <HistorySection onOpen={() => {}} />);
    await waitFor(() => expect(rows().length).toBeGreaterThan(0));
    // 2026-01-02 is day 1: jobs 144..287
    fireEvent.change(screen.getByTestId('history-filter-from'), { target: { value: '2026-01-02' } });
    fireEvent.change(screen.getByTestId('history-filter-to'), { target: { value: '2026-01-02' } });
    await waitFor(() => expect(rows()[0]!.getAttribute('data-prompt-id')).toBe('p287'));
    const ids = rows().map((r) => Number(r.getAttribute('data-prompt-id')!.slice(1)));
    expect(Math.min(...ids)).toBeGreaterThanOrEqual(144);
  });

  it('says so when nothing matches', async () => {
    // a search that matches nothing reads the whole range (no text index): a smaller history keeps
    // fake-indexeddb's cursor fast enough for a unit test
    const local = makeServices();
    await local.db.jobs.bulkPut(
      Array.from({ length: 300 }, (_, i) => makeJob('a', `q${i}`, 'success', BASE + i)),
    );
    renderWith(local, <HistorySection onOpen={() => {}} />);
    await waitFor(() => expect(rows().length).toBeGreaterThan(0));
    fireEvent.change(screen.getByTestId('history-filter-text'), {
      target: { value: 'no job is called this' },
    });
    await waitFor(() => expect(screen.getByTestId('history-empty')).toBeTruthy(), { timeout: 5_000 });
  });

  it('searches node names and errors as the user types, after a pause', async () => {
    const local = makeServices();
    await local.db.servers.put(makeServer('a', 'http://127.0.0.1:8188', { name: 'Studio' }));
    await local.db.jobs.bulkPut([
      makeJob('a', 'oom', 'error', BASE + 3, {
        classTypes: { '8': 'VAEDecode' },
        error: { nodeType: 'VAEDecode', message: 'CUDA out of memory', traceback: [] },
      }),
      makeJob('a', 'up', 'success', BASE + 2, { classTypes: { '4': 'UpscaleModelLoader' } }),
      makeJob('a', 'live', 'running', BASE + 4, { classTypes: { '4': 'UpscaleModelLoader' } }),
    ]);
    renderWith(local, <HistorySection onOpen={() => {}} />);
    await waitFor(() => expect(rows()).toHaveLength(2), { timeout: 5_000 });
    for (const [text, expected] of [
      ['memory', ['oom']],
      ['upscale', ['up']],
      ['vaedecode', ['oom']],
      ['', ['oom', 'up']],
    ] as const) {
      fireEvent.change(screen.getByTestId('history-filter-text'), { target: { value: text } });
      await waitFor(() => expect(rows().map((r) => r.getAttribute('data-prompt-id'))).toEqual(expected), {
        timeout: 5_000,
      });
    }
  });

  it('shows a job by its workflow, output and server, with a relative date and the absolute one on hover', async () => {
    const local = makeServices({ now: BASE + 3 * 60_000 + 1_000 });
    await local.db.servers.put(makeServer('a', 'http://127.0.0.1:8188', { name: 'Studio' }));
    await local.db.jobs.put(
      makeJob('a', '5fc0e82f-1111', 'success', BASE, {
        endedAt: BASE + 1_000,
        workflowName: 'Portraits v2',
        classTypes: { '9': 'SaveImage' },
        outputs: { '9': { images: [{ filename: 'portrait_00001_.png', subfolder: '', type: 'output' }] } },
      }),
    );
    renderWith(local, <HistorySection onOpen={() => {}} />);
    await waitFor(() => expect(rows()).toHaveLength(1), { timeout: 5_000 });
    const row = rows()[0]!;
    expect(row.querySelector('[data-testid="history-title"]')!.textContent).toBe('Portraits v2');
    expect(row.textContent).toContain('portrait_00001_.png · Studio · 3 min. ago');
    expect(row.textContent).not.toContain('5fc0e82f');
    const time = row.querySelector('time')!;
    expect(time.getAttribute('title')).toMatch(/2026/);
    expect(time.getAttribute('dateTime')).toBe(new Date(BASE + 1_000).toISOString());
  });

  it('opens a job from its row', async () => {
    const opened: string[] = [];
    renderWith(services, <HistorySection onOpen={(k) => opened.push(k)} />);
    await waitFor(() => expect(rows().length).toBeGreaterThan(0));
    fireEvent.click(rows()[0]!);
    expect(opened).toEqual(['b:p9999']);
  });
});
