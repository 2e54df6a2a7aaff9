// @vitest-environment happy-dom
import { Blob as NodeBlob } from 'node:buffer';
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BlobRecord, NodeRunRecord } from '@/lib/ext/db';
import { timelapseBlobKey } from '@/lib/ext/storage/repo';
import { makeJob, makeServer } from '@/lib/ext/testing/records';
import { installI18n, makeServices, renderWith } from '@/lib/ext/ui/testing';
import { JobDetailView } from './JobDetail';
import { chartBars } from './NodeTimingChart';

beforeAll(() => installI18n());
afterEach(cleanup);

const classes = { '3': 'KSampler', '8': 'VAEDecode', '9': 'SaveImage' };

function run(
  jobKey: string,
  nodeId: string,
  startedAt: number,
  durationMs: number,
  cached = false,
): NodeRunRecord {
  return {
    key: `${jobKey}:${nodeId}`,
    jobKey,
    serverId: 'a',
    nodeId,
    classType: classes[nodeId as keyof typeof classes],
    startedAt,
    durationMs,
    cached,
  };
}

async function seeded() {
  const services = makeServices();
  await services.db.servers.put(makeServer('a', 'http://127.0.0.1:8188'));
  await services.db.jobs.put(
    makeJob('a', '5fc0e82f-0000', 'success', 1_000, {
      startedAt: 1_000,
      workflowName: 'Portraits v2',
      classTypes: classes,
    }),
  );
  return services;
}

function timelapseBlob(mime: string, extra: Partial<BlobRecord> = {}): BlobRecord {
  const bytes = mime === 'image/gif' ? [71, 73, 70, 56, 57, 97] : [0x1a, 0x45, 0xdf, 0xa3];
  return {
    key: timelapseBlobKey('a:5fc0e82f-0000'),
    jobKey: 'a:5fc0e82f-0000',
    kind: 'timelapse',
    mime,
    // Node's Blob: IndexedDB (fake-indexeddb) clones with Node's structuredClone, which drops happy-dom's
    data: new NodeBlob([new Uint8Array(bytes)], { type: mime }) as Blob,
    size: 6,
    createdAt: 2_000,
    frames: 12,
    width: 256,
    height: 192,
    ...extra,
  };
}

describe('job detail: timelapse', () => {
  it('plays the stored video (looping, muted, inline) with its frame count, and downloads it named after the job', async () => {
    const services = await seeded();
    await services.db.blobs.put(timelapseBlob('video/webm', { codec: 'av1' }));
    renderWith(services, <JobDetailView jobKey="a:5fc0e82f-0000" onBack={() => {}} />);
    const video = (await screen.findByTestId('job-timelapse')) as HTMLVideoElement;
    expect(video.tagName).toBe('VIDEO');
    expect(video.getAttribute('data-frames')).toBe('12');
    expect(video.getAttribute('src')).toMatch(/^blob:/);
    expect([video.loop, video.muted, video.autoplay, video.hasAttribute('playsinline')]).toEqual([
      true,
      true,
      true,
      true,
    ]);
    const link = screen.getByTestId('timelapse-download');
    expect(link.tagName).toBe('A');
    expect(link.getAttribute('download')).toBe('Portraits-v2-5fc0e82f.webm');
    expect(link.getAttribute('href')).toBe(video.getAttribute('src'));
    expect(link.textContent).toBe('Download video');
    expect(screen.getByTestId('job-timelapse-section').textContent).toContain('12 frames, 256 × 192 px');
    expect(screen.queryByTestId('timelapse-fallback')).toBeNull();
  });

  it('makes a GIF of the video on demand and saves it named after the job', async () => {
    let finish: (b: Blob) => void = () => {};
    const services = makeServices({ gif: () => new Promise<Blob>((r) => (finish = r)) });
    await services.db.jobs.put(
      makeJob('a', '5fc0e82f-0000', 'success', 1_000, { workflowName: 'Portraits v2', classTypes: classes }),
    );
    await services.db.blobs.put(timelapseBlob('video/webm'));
    renderWith(services, <JobDetailView jobKey="a:5fc0e82f-0000" onBack={() => {}} />);
    const button = (await screen.findByTestId('timelapse-download-gif')) as HTMLButtonElement;
    fireEvent.click(button);
    await waitFor(() => expect(button.disabled).toBe(true));
    expect(button.textContent).toBe('Making the GIF…');
    expect(services.gifRequests).toHaveLength(1);
    expect(new Uint8Array(await services.gifRequests[0]!.arrayBuffer())).toEqual(
      new Uint8Array([0x1a, 0x45, 0xdf, 0xa3]),
    );
    const gif = new Blob(['GIF89a'], { type: 'image/gif' });
    await act(async () => finish(gif));
    await waitFor(() => expect(button.disabled).toBe(false));
    expect(services.savedFiles).toEqual([{ data: gif, name: 'Portraits-v2-5fc0e82f.gif' }]);
  });

  it('says why when the GIF cannot be made, and lets the user try again', async () => {
    const services = makeServices({
      gif: async () => Promise.reject(new Error('this browser cannot decode av1 video')),
    });
    await services.db.jobs.put(makeJob('a', '5fc0e82f-0000', 'success', 1_000));
    await services.db.blobs.put(timelapseBlob('video/webm'));
    renderWith(services, <JobDetailView jobKey="a:5fc0e82f-0000" onBack={() => {}} />);
    fireEvent.click(await screen.findByTestId('timelapse-download-gif'));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'The GIF could not be made: this browser cannot decode av1 video',
    );
    expect(services.savedFiles).toEqual([]);
    expect((screen.getByTestId('timelapse-download-gif') as HTMLButtonElement).disabled).toBe(false);
  });

  it('shows a GIF stored where video could not be encoded as an image, says so, and offers it as the download', async () => {
    const services = await seeded();
    await services.db.blobs.put(
      timelapseBlob('image/gif', { fallback: 'WebCodecs VideoEncoder is not available here' }),
    );
    renderWith(services, <JobDetailView jobKey="a:5fc0e82f-0000" onBack={() => {}} />);
    const img = await screen.findByTestId('job-timelapse');
    expect(img.tagName).toBe('IMG');
    expect(img.getAttribute('data-frames')).toBe('12');
    const link = screen.getByTestId('timelapse-download');
    expect(link.getAttribute('download')).toBe('Portraits-v2-5fc0e82f.gif');
    expect(link.getAttribute('href')).toBe(img.getAttribute('src'));
    expect(screen.queryByTestId('timelapse-download-gif')).toBeNull();
    const note = screen.getByTestId('timelapse-fallback');
    expect(note.textContent).toBe('Stored as a GIF: this browser cannot encode video here.');
    expect(note.getAttribute('title')).toBe('WebCodecs VideoEncoder is not available here');
  });

  it('shows no timelapse section while none is stored', async () => {
    const services = await seeded();
    renderWith(services, <JobDetailView jobKey="a:5fc0e82f-0000" onBack={() => {}} />);
    await screen.findByTestId('job-detail');
    expect(screen.queryByTestId('job-timelapse')).toBeNull();
    expect(screen.queryByTestId('timelapse-download')).toBeNull();
  });
});

describe('job detail: per-node chart', () => {
  it('draws each node that ran beside its class median from earlier jobs, and marks the slow one', async () => {
    const services = await seeded();
    const key = 'a:5fc0e82f-0000';
    await services.db.nodeRuns.bulkPut([
      run(key, '3', 1_100, 12_000),
      run(key, '8', 13_200, 400),
      run(key, '9', 13_700, 100, true),
      // earlier jobs: KSampler usually 4 s, VAEDecode 0.5 s
      ...[1, 2, 3].flatMap((i) => [run(`a:old${i}`, '3', i, 3_000 + i * 500), run(`a:old${i}`, '8', i, 500)]),
    ]);
    renderWith(services, <JobDetailView jobKey={key} onBack={() => {}} />);
    const chart = await screen.findByTestId('node-timing-chart');
    await waitFor(() =>
      expect(within(chart).getAllByTestId('node-bar')[0]!.getAttribute('data-median-ms')).toBe('4000'),
    );
    const bars = within(chart).getAllByTestId('node-bar');
    expect(bars.map((b) => [b.getAttribute('data-node-id'), b.getAttribute('data-slow')])).toEqual([
      ['3', 'true'],
      ['8', 'false'],
    ]);
    expect(bars[0]!.textContent).toContain('KSampler');
    expect(bars[0]!.textContent).toContain('3.0×');
    expect(bars[1]!.getAttribute('data-median-ms')).toBe('500');
    // one scale: the longest bar fills the track
    const width = (b: HTMLElement) => (b.querySelector('.node-chart-bar') as HTMLElement).style.width;
    expect(width(bars[0]!)).toBe('100%');
    expect(Number.parseFloat(width(bars[1]!))).toBeCloseTo((400 / 12_000) * 100, 5);
  });

  it.each([
    ['no median yet', undefined, false],
    ['just below 1.5x', 1_400, false],
    ['exactly 1.5x', 1_000, true],
  ])('a 1.5 s node with %s (median %s ms) is slow: %s', (_name, median, slow) => {
    const rows = [{ nodeId: '1', classType: 'K', offsetMs: 0, durationMs: 1_500, cached: false }];
    const medians = new Map(median !== undefined ? [['K', { medianMs: median }]] : []);
    expect(chartBars(rows, medians)[0]!.slow).toBe(slow);
  });
});
