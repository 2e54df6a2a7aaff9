import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { TERMINAL_STATUSES } from '../../comfy/types';
import { freshDb, makeJob } from '../testing/records';
import { classMedians, history } from './repo';

describe('history text search', () => {
  const jobs = [
    makeJob('a', 'p1', 'success', 1, { classTypes: { '3': 'KSampler', '9': 'SaveImage' } }),
    makeJob('a', 'p2', 'error', 2, {
      classTypes: { '8': 'VAEDecode' },
      error: { nodeType: 'VAEDecode', message: 'CUDA out of memory', traceback: [] },
    }),
    makeJob('b', 'p3', 'success', 3, {
      workflowName: 'Portraits v2',
      outputs: { '9': { images: [{ filename: 'cat_00001_.png', subfolder: '', type: 'output' }] } },
    }),
    makeJob('b', 'p4', 'interrupted', 4, { interruptedAt: { nodeType: 'UpscaleModelLoader' } }),
    makeJob('b', 'p5', 'running', 5, { classTypes: { '3': 'KSampler' } }),
  ];

  it.each([
    ['ksampler', undefined, ['p5', 'p1']],
    ['KSAMPLER', TERMINAL_STATUSES, ['p1']],
    ['out of memory', undefined, ['p2']],
    ['vaedecode', ['error' as const], ['p2']],
    ['portraits', undefined, ['p3']],
    ['cat_0000', undefined, ['p3']],
    ['upscale', undefined, ['p4']],
    ['p2', undefined, ['p2']],
    ['  ', undefined, ['p5', 'p4', 'p3', 'p2', 'p1']],
    ['nothing like it', undefined, []],
  ])('"%s" (statuses %j) finds %j, newest first', async (text, status, expected) => {
    const db = freshDb('text');
    await db.jobs.bulkPut(jobs);
    const rows = await history(db, { text, ...(status ? { status } : {}) });
    expect(rows.map((j) => j.promptId)).toEqual(expected);
  });

  it('combines with the server filter and the page size', async () => {
    const db = freshDb('text');
    await db.jobs.bulkPut(jobs);
    expect((await history(db, { text: 'p', serverId: 'b', limit: 2 })).map((j) => j.promptId)).toEqual([
      'p5',
      'p4',
    ]);
  });
});

describe('classMedians', () => {
  it('takes the median of executed runs per class, without the compared job, over the latest runs', async () => {
    const db = freshDb('median');
    const run = (
      job: string,
      cls: string,
      startedAt: number,
      durationMs: number | undefined,
      cached = false,
    ) => ({
      key: `${job}:${cls}`,
      jobKey: job,
      serverId: 's',
      nodeId: cls,
      classType: cls,
      startedAt,
      cached,
      ...(durationMs !== undefined ? { durationMs } : {}),
    });
    await db.nodeRuns.bulkPut([
      run('s:1', 'KSampler', 1, 1000),
      run('s:2', 'KSampler', 2, 3000),
      run('s:3', 'KSampler', 3, 2000),
      run('s:4', 'KSampler', 4, 9000),
      run('s:5', 'KSampler', 5, undefined, true),
      run('s:6', 'KSampler', 6, 50_000),
      run('s:1', 'VAEDecode', 1, 400),
      run('s:2', 'VAEDecode', 2, 600),
    ]);
    const m = await classMedians(db, ['KSampler', 'VAEDecode', 'Unknown'], 's:6');
    expect(m.get('KSampler')).toEqual({ medianMs: 2500, runs: 4 });
    expect(m.get('VAEDecode')).toEqual({ medianMs: 500, runs: 2 });
    expect(m.has('Unknown')).toBe(false);
    // only the latest runs count
    expect((await classMedians(db, ['KSampler'], 's:6', 2)).get('KSampler')).toEqual({
      medianMs: 5500,
      runs: 2,
    });
  });
});
