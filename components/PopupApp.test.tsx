// @vitest-environment happy-dom
import { Blob as NodeBlob } from 'node:buffer';
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeJob, makeServer } from '@/lib/ext/testing/records';
import { installI18n, makeServices, renderWith } from '@/lib/ext/ui/testing';
import { PopupApp } from './PopupApp';
import { SidePanelApp } from './SidePanelApp';

beforeAll(() => installI18n());
afterEach(cleanup);

async function seeded() {
  const services = makeServices({
    windowId: 7,
    respond: { 'bg:cancelJob': () => ({ ok: true, method: 'interrupt' as const }) },
  });
  await services.db.servers.bulkPut([
    makeServer('a', 'http://127.0.0.1:8188', { name: 'Local', createdAt: 1 }),
    makeServer('b', 'http://10.0.0.2:8188', { name: 'Remote', createdAt: 2 }),
  ]);
  await services.db.connections.put({ serverId: 'a', state: 'connected', since: 1 });
  await services.db.jobs.bulkPut([
    makeJob('a', 'run1', 'running', 100, { startedAt: 100, progress: 0.1, number: 1 }),
    makeJob('a', 'old1', 'success', 50),
  ]);
  return services;
}

const card = (promptId: string) =>
  document.querySelector(`[data-testid="job-card"][data-prompt-id="${promptId}"]`) as HTMLElement | null;
/** Every element that stands for a job: its card, its history row or its gallery tile. */
const entries = (promptId: string) =>
  [...document.querySelectorAll(`[data-prompt-id="${promptId}"]`)].filter((e) =>
    ['job-card', 'history-row', 'gallery-item'].includes(e.getAttribute('data-testid') ?? ''),
  ) as HTMLElement[];

describe('popup', () => {
  it('shows a badge per server, active and recent jobs', async () => {
    const services = await seeded();
    renderWith(services, <PopupApp />);
    await waitFor(() => expect(card('run1')).not.toBeNull());
    const badges = await screen.findAllByTestId('connection-status');
    expect(badges.map((b) => b.getAttribute('data-state'))).toEqual(['connected', 'connecting']);
    expect(card('old1')?.getAttribute('data-status')).toBe('success');
  });

  it('applies live job ticks, previews and connection states ahead of Dexie, one card per job', async () => {
    const services = await seeded();
    renderWith(services, <PopupApp />);
    await waitFor(() => expect(card('run1')).not.toBeNull());
    await services.post({
      kind: 'job',
      job: makeJob('a', 'run1', 'running', 100, {
        startedAt: 100,
        progress: 0.55,
        updatedAt: 500,
        currentNode: '3',
        currentClassType: 'KSampler',
      }),
    });
    expect(within(card('run1')!).getByRole('progressbar').getAttribute('aria-valuenow')).toBe('55');
    expect(within(card('run1')!).getByTestId('job-current-node').textContent).toBe('KSampler');
    await services.post({
      kind: 'preview',
      jobKey: 'a:run1',
      mime: 'image/jpeg',
      bytes: new ArrayBuffer(4),
      seq: 1,
      sentAt: 1,
    });
    expect(within(card('run1')!).getByTestId('job-preview').getAttribute('src')).toMatch(/^blob:live\//);
    await services.post({ kind: 'connection', serverId: 'b', state: 'reconnecting', since: 9 });
    expect(screen.getAllByTestId('connection-status')[1]!.getAttribute('data-state')).toBe('reconnecting');
    // the job finishes: nothing runs now, so it joins the latest results, and is never shown twice
    await services.post({ kind: 'job', job: makeJob('a', 'run1', 'success', 100, { updatedAt: 900 }) });
    expect(entries('run1')).toHaveLength(1);
    expect(entries('run1')[0]!.getAttribute('data-testid')).toBe('gallery-item');
    expect(entries('run1')[0]!.getAttribute('data-status')).toBe('success');
  });

  it('sends bg:cancelJob for the picked job and keeps the stored status until the store changes', async () => {
    const services = await seeded();
    renderWith(services, <PopupApp />);
    await waitFor(() => expect(card('run1')).not.toBeNull());
    await act(async () => fireEvent.click(within(card('run1')!).getByTestId('job-cancel')));
    expect(services.sent).toEqual([{ type: 'bg:cancelJob', payload: { serverId: 'a', promptId: 'run1' } }]);
    expect(card('run1')!.getAttribute('data-status')).toBe('running');
    await act(async () => {
      await services.db.jobs.update('a:run1', { status: 'interrupted', active: 0, updatedAt: 1000 });
    });
    await waitFor(() => expect(entries('run1')[0]?.getAttribute('data-status')).toBe('interrupted'));
  });

  it('opens the side panel for its window, or at a job from its title', async () => {
    const services = await seeded();
    renderWith(services, <PopupApp />);
    const button = await screen.findByTestId('open-sidepanel');
    await act(async () => {}); // the window id lookup
    fireEvent.click(button);
    expect(services.openedSidePanel).toEqual([{ windowId: 7, jobKey: undefined }]);
    await waitFor(() => expect(card('old1')).not.toBeNull());
    fireEvent.click(within(card('old1')!).getByTestId('job-open'));
    expect(services.openedSidePanel.at(-1)).toEqual({ windowId: 7, jobKey: 'a:old1' });
  });
});

describe('popup when nothing runs', () => {
  it('shows the latest results as a gallery of thumbnails that open the side panel', async () => {
    const services = makeServices({ windowId: 3 });
    await services.db.servers.put(makeServer('a', 'http://127.0.0.1:8188'));
    await services.db.jobs.bulkPut(
      Array.from({ length: 9 }, (_, i) =>
        makeJob('a', `done${i}`, i === 4 ? 'error' : 'success', 1_000 + i, {
          classTypes: { '9': 'SaveImage' },
          outputs: { '9': { images: [{ filename: `img_${i}.png`, subfolder: '', type: 'output' }] } },
          ...(i === 8 ? { thumbKey: 'a:done8:thumb' } : {}),
        }),
      ),
    );
    await services.db.blobs.put({
      key: 'a:done8:thumb',
      jobKey: 'a:done8',
      kind: 'thumb',
      mime: 'image/webp',
      data: new NodeBlob([new Uint8Array(8)], { type: 'image/webp' }) as Blob,
      size: 8,
      createdAt: 1,
    });
    renderWith(services, <PopupApp />);
    const tiles = await screen.findAllByTestId('gallery-item');
    expect(tiles.map((t) => t.getAttribute('data-prompt-id'))).toEqual([
      'done8',
      'done7',
      'done6',
      'done5',
      'done4',
      'done3',
    ]);
    expect(screen.queryByTestId('job-card')).toBeNull();
    expect(tiles[0]!.textContent).toContain('img_8.png');
    await waitFor(() =>
      expect(within(tiles[0]!).getByTestId('job-thumb').getAttribute('src')).toMatch(/^blob:/),
    );
    expect(within(tiles[4]!).getByTestId('job-thumb-empty').className).toContain('status-error');
    expect(tiles[4]!.textContent).toContain('Failed');
    // relative time, the absolute date on hover
    const time = within(tiles[1]!).getByTestId('relative-time');
    expect(time.getAttribute('title')).toBeTruthy();
    await act(async () => {}); // the window id lookup
    fireEvent.click(tiles[2]!);
    expect(services.openedSidePanel.at(-1)).toEqual({ windowId: 3, jobKey: 'a:done6' });
  });
});

describe('side panel', () => {
  it('shows per-node progress of the running job and routes #job= to the detail view', async () => {
    const services = await seeded();
    await services.db.jobs.update('a:run1', {
      nodes: {
        '3': {
          nodeId: '3',
          classType: 'KSampler',
          state: 'running',
          cached: false,
          startedAt: 100,
          value: 5,
          max: 20,
        },
      },
    });
    location.hash = '';
    renderWith(services, <SidePanelApp />);
    const row = await screen.findByTestId('node-progress-row');
    expect(row.textContent).toContain('KSampler');
    expect(within(row).getByRole('progressbar').getAttribute('aria-valuenow')).toBe('5');
    await screen.findAllByTestId('history-row');
    // a finished job is in the history only, not also among the active jobs
    expect(entries('old1').map((e) => e.getAttribute('data-testid'))).toEqual(['history-row']);
    expect(entries('run1').map((e) => e.getAttribute('data-testid'))).toEqual(['job-card']);
    await act(async () => fireEvent.click(entries('old1')[0]!));
    expect(location.hash).toBe('#job=a%3Aold1');
    const detail = await screen.findByTestId('job-detail');
    expect(detail.getAttribute('data-job-key')).toBe('a:old1');
    await act(async () => fireEvent.click(screen.getByTestId('job-back')));
    expect(screen.queryByTestId('job-detail')).toBeNull();
  });
});
