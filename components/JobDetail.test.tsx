// @vitest-environment happy-dom
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '@/lib/ext/db';
import { makeJob, makeServer } from '@/lib/ext/testing/records';
import { installI18n, makeServices, renderWith } from '@/lib/ext/ui/testing';
import { JobDetailView, NodeTimingTable, timingRows } from './JobDetail';

beforeAll(() => installI18n());
afterEach(cleanup);

function failedJob(): JobRecord {
  return makeJob('a', 'p1', 'error', 1_000, {
    startedAt: 10_000,
    endedAt: 14_000,
    classTypes: { '3': 'KSampler', '4': 'CheckpointLoaderSimple', '8': 'VAEDecode' },
    error: {
      nodeId: '8',
      nodeType: 'VAEDecode',
      exceptionType: 'torch.OutOfMemoryError',
      message: 'CUDA out of memory',
      traceback: [
        'Traceback (most recent call last):\n',
        '  File "execution.py", line 1\n',
        'OutOfMemoryError\n',
      ],
    },
    outputs: { '9': { images: [{ filename: 'out 1.png', subfolder: '', type: 'output' }] } },
  });
}

describe('job detail', () => {
  it('orders node timings by start, cached nodes first, with start offsets from the job start', () => {
    const rows = timingRows(failedJob(), [
      {
        key: 'k3',
        jobKey: 'a:p1',
        serverId: 'a',
        nodeId: '3',
        startedAt: 10_500,
        durationMs: 2_500,
        cached: false,
      },
      { key: 'k4', jobKey: 'a:p1', serverId: 'a', nodeId: '4', cached: true },
      {
        key: 'k8',
        jobKey: 'a:p1',
        serverId: 'a',
        nodeId: '8',
        classType: 'VAEDecode',
        startedAt: 13_000,
        cached: false,
      },
    ]);
    expect(rows.map((r) => [r.nodeId, r.classType, r.offsetMs, r.durationMs, r.cached])).toEqual([
      ['4', 'CheckpointLoaderSimple', undefined, undefined, true],
      ['3', 'KSampler', 500, 2_500, false],
      ['8', 'VAEDecode', 3_000, undefined, false],
    ]);
    render(<NodeTimingTable rows={rows} />);
    const trs = screen.getAllByTestId('node-timing-row');
    expect(trs.map((tr) => tr.getAttribute('data-node-id'))).toEqual(['4', '3', '8']);
    const cells = within(trs[1]!)
      .getAllByRole('cell')
      .map((c) => c.textContent);
    expect(cells).toEqual(['KSampler#3', '+0.50 s', '2.50 s', 'No']);
    expect(within(trs[0]!).getAllByRole('cell')[3]!.textContent).toBe('Yes');
  });

  it('falls back to the tracker nodes when no node runs were stored', () => {
    const job = makeJob('a', 'p', 'success', 0, {
      startedAt: 100,
      nodes: {
        '5': {
          nodeId: '5',
          classType: 'SaveImage',
          state: 'finished',
          cached: false,
          startedAt: 200,
          durationMs: 50,
        },
      },
    });
    expect(timingRows(job, [])).toEqual([
      { nodeId: '5', classType: 'SaveImage', offsetMs: 100, durationMs: 50, cached: false },
    ]);
  });

  it('shows a stored job with its error, traceback as preformatted text, timings and outputs from /view', async () => {
    const services = makeServices();
    await services.db.servers.put(makeServer('a', 'http://127.0.0.1:8188', { name: 'Studio' }));
    await services.db.jobs.put(failedJob());
    await services.db.nodeRuns.put({
      key: 'a:p1:3',
      jobKey: 'a:p1',
      serverId: 'a',
      nodeId: '3',
      startedAt: 10_500,
      durationMs: 2_500,
      cached: false,
    });
    renderWith(services, <JobDetailView jobKey="a:p1" onBack={() => {}} />);
    const detail = await screen.findByTestId('job-detail');
    expect(within(detail).getByTestId('job-card').getAttribute('data-status')).toBe('error');
    expect(screen.getByTestId('job-error-message').textContent).toBe(
      'torch.OutOfMemoryError: CUDA out of memory',
    );
    const tb = screen.getByTestId('job-traceback');
    expect(tb.tagName).toBe('PRE');
    expect(tb.textContent).toBe(
      'Traceback (most recent call last):\n  File "execution.py", line 1\nOutOfMemoryError\n',
    );
    await waitFor(() => expect(screen.getAllByTestId('node-timing-row')).toHaveLength(1));
    const img = await screen.findByTestId('job-output-image');
    const url = new URL(img.getAttribute('src')!);
    expect(url.origin).toBe('http://127.0.0.1:8188');
    expect(url.searchParams.get('filename')).toBe('out 1.png');
  });

  it('says so when the job is not in the history', async () => {
    const services = makeServices();
    renderWith(services, <JobDetailView jobKey="a:missing" onBack={() => {}} />);
    expect(await screen.findByTestId('job-not-found')).toBeTruthy();
  });
});
