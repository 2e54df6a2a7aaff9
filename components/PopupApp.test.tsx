// @vitest-environment happy-dom
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
    // the job finishes: it moves to recent and is never shown twice
    await services.post({ kind: 'job', job: makeJob('a', 'run1', 'success', 100, { updatedAt: 900 }) });
    expect(document.querySelectorAll('[data-testid="job-card"][data-prompt-id="run1"]')).toHaveLength(1);
    expect(card('run1')!.getAttribute('data-status')).toBe('success');
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
    await waitFor(() => expect(card('run1')!.getAttribute('data-status')).toBe('interrupted'));
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
    await act(async () => fireEvent.click(within(card('old1')!).getByTestId('job-open')));
    expect(location.hash).toBe('#job=a%3Aold1');
    const detail = await screen.findByTestId('job-detail');
    expect(detail.getAttribute('data-job-key')).toBe('a:old1');
    await act(async () => fireEvent.click(screen.getByTestId('job-back')));
    expect(screen.queryByTestId('job-detail')).toBeNull();
  });
});
