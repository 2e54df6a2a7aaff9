// What the dashboard says about a job: title, who started it, thumbnail and preview URLs, durations, and
// the filters' URL form and matching.
import { describe, expect, it } from 'vitest';
import type { JobDto } from '../repo/jobs';
import { makeJobDto } from '../testing/job-dto';
import {
  failureLine,
  filtersToSearch,
  fmtMs,
  jobTitle,
  matchesFilters,
  outputKind,
  parseFilters,
  previewUrl,
  sectionsShown,
  startedBy,
  thumbUrl,
} from './format';

const png = (filename: string, type = 'output') => ({ filename, subfolder: '', type });

describe('jobTitle: what a person knows the job by', () => {
  it.each<[string, Partial<JobDto>, string, string | undefined]>([
    [
      'the workflow name, with the output file as detail',
      { workflowName: 'Portraits v2' },
      'Portraits v2',
      'ComfyUI_00001_.png',
    ],
    ['else the first output file, with its node class', {}, 'ComfyUI_00001_.png', 'SaveImage'],
    [
      'a saved file before a temporary preview',
      {
        outputs: { '5': { images: [png('tmp.png', 'temp')] }, '9': { images: [png('final.png')] } },
        outputClasses: {},
      },
      'final.png',
      undefined,
    ],
    [
      'else the output node class',
      { outputs: { '9': { text: ['hello'] } }, outputClasses: { '9': 'SaveText' } },
      'SaveText',
      undefined,
    ],
    [
      'else who started it (extension user)',
      { status: 'running', outputs: {}, outputClasses: {}, user: 'alice' },
      'Job from alice',
      undefined,
    ],
    [
      'else who started it (API key)',
      { source: 'api', outputs: {}, outputClasses: {}, queuedBy: 'n8n-prod', client: 'n8n' },
      'Job from n8n-prod',
      undefined,
    ],
  ])('%s', (_name, overrides, title, detail) => {
    expect(jobTitle(makeJobDto(overrides))).toEqual({ title, detail });
  });

  it('never shows the prompt id', () => {
    const j = makeJobDto({ outputs: {}, outputClasses: {}, queuedBy: null, user: null });
    expect(jobTitle(j).title).toBe('Job from Extension');
    expect(jobTitle(j).title).not.toContain(j.promptId.slice(0, 8));
  });

  it('folds a multi-line workflow name into one short line', () => {
    const { title } = jobTitle(makeJobDto({ workflowName: `a\n${'b'.repeat(300)}` }));
    expect(title).toMatch(/^a b+…$/);
    expect(title.length).toBe(120);
  });
});

describe('startedBy', () => {
  it.each<[string, Partial<JobDto>, ReturnType<typeof startedBy>]>([
    ['an extension user', { user: 'alice' }, { source: 'extension', badge: 'Extension', name: 'alice' }],
    [
      'an extension without a user label: its key',
      { user: null, queuedBy: 'bob-pc' },
      { source: 'extension', badge: 'Extension', name: 'bob-pc' },
    ],
    [
      'n8n through the API',
      { source: 'api', client: 'n8n', queuedBy: 'n8n-prod' },
      { source: 'api', badge: 'n8n', name: 'n8n-prod' },
    ],
    [
      'a script that did not name itself',
      { source: 'api', client: null, queuedBy: 'ci' },
      { source: 'api', badge: 'API', name: 'ci' },
    ],
  ])('%s', (_name, overrides, expected) => {
    expect(startedBy(makeJobDto(overrides))).toEqual(expected);
  });
});

describe('thumbnails and previews', () => {
  const api = (outputs: JobDto['outputs']) =>
    makeJobDto({ source: 'api', server: 'gpu 1', promptId: 'p/1', outputs });

  it.each<[string, JobDto, string | null]>([
    ['an extension job: none (the server may not fetch its files)', makeJobDto(), null],
    [
      'an API job: its first image through the output proxy',
      api({ '9': { images: [png('a.png')] } }),
      '/v1/jobs/p%2F1/outputs/9/0?thumb=1&server=gpu%201',
    ],
    [
      'temporary files only: none (the proxy serves saved outputs)',
      api({ '9': { images: [png('a.png', 'temp')] } }),
      null,
    ],
    [
      'a node whose first saved file is a video: the next node with an image',
      api({ '10': { video: [png('v.mp4')] }, '11': { gifs: [png('g.gif')] } }),
      '/v1/jobs/p%2F1/outputs/11/0?thumb=1&server=gpu%201',
    ],
    [
      'an image after a video of the same node: its index among the saved files',
      api({ '9': { video: [png('v.mp4')], frames: [png('t.png', 'temp'), png('f.png')] } }),
      '/v1/jobs/p%2F1/outputs/9/1?thumb=1&server=gpu%201',
    ],
    [
      'keys in the order jsonb returns them: images still count first',
      api({ '9': { video: [png('v.mp4')], images: [png('a.png')] } }),
      '/v1/jobs/p%2F1/outputs/9/0?thumb=1&server=gpu%201',
    ],
    ['no outputs yet: none', api({}), null],
  ])('%s', (_name, j, url) => {
    expect(thumbUrl(j)).toBe(url);
  });

  it('asks for the latest preview only when the server has one, by revision', () => {
    expect(previewUrl(makeJobDto({ hasPreview: false }))).toBeNull();
    expect(previewUrl(makeJobDto({ hasPreview: true, promptId: 'p', server: 's', rev: 42 }))).toBe(
      '/v1/jobs/p/preview?server=s&rev=42',
    );
  });

  it.each([
    [{ '9': { images: [png('x.PNG')] } }, 'PNG'],
    [{ '9': { gifs: [png('clip.webm')] } }, 'WEBM'],
    [{ '9': { images: [png('noext')] } }, null],
    [{}, null],
  ])('names the kind of the first output of %j as %s', (outputs, kind) => {
    expect(outputKind({ outputs })).toBe(kind);
  });
});

describe('failureLine', () => {
  it.each<[unknown, string | undefined]>([
    [{ message: 'CUDA out of memory', nodeType: 'VAEDecode' }, 'VAEDecode: CUDA out of memory'],
    [{ message: 'VAEDecode failed', nodeType: 'VAEDecode' }, 'VAEDecode failed'],
    [{ message: 'line one\n  line two' }, 'line one line two'],
    [{ message: '   ' }, undefined],
    [{ message: 7 }, undefined],
    [null, undefined],
  ])('%j -> %s', (error, line) => {
    expect(failureLine({ error })).toBe(line);
  });

  it('cuts a long message', () => {
    expect(failureLine({ error: { message: 'x'.repeat(500) } })).toHaveLength(200);
  });
});

describe('fmtMs', () => {
  it.each<[number | null, string]>([
    [null, '–'],
    [Number.NaN, '–'],
    [-5, '0 ms'],
    [850, '850 ms'],
    [1500, '1.5 s'],
    [12_400, '12 s'],
    [125_000, '2 min 5 s'],
    [3_780_000, '1 h 3 min'],
  ])('%s -> %s', (ms, text) => {
    expect(fmtMs(ms)).toBe(text);
  });
});

describe('filters', () => {
  it.each([
    ['', { status: 'all' }],
    ['?server=gpu%201&status=failed', { server: 'gpu 1', status: 'failed' }],
    ['?status=exploded', { status: 'all' }],
    ['?status=toString', { status: 'all' }],
    ['?server=', { status: 'all' }],
  ])('reads %s', (search, filters) => {
    expect(parseFilters(search)).toEqual(filters);
  });

  it.each([
    { status: 'all' as const },
    { server: 'a&b=c', status: 'stopped' as const },
    { status: 'active' as const },
  ])('writes %j so that it reads back the same', (f) => {
    expect(parseFilters(filtersToSearch(f))).toEqual(f);
  });

  it.each<[string, Parameters<typeof matchesFilters>[0], Partial<JobDto>, boolean]>([
    ['all', { status: 'all' }, { status: 'lost' }, true],
    ['server', { server: 'a', status: 'all' }, { server: 'b' }, false],
    ['failed includes rejected', { status: 'failed' }, { status: 'rejected' }, true],
    ['failed excludes success', { status: 'failed' }, { status: 'success' }, false],
    ['active includes pending', { status: 'active' }, { status: 'pending' }, true],
    ['cancelled includes interrupted', { status: 'stopped' }, { status: 'interrupted' }, true],
  ])('matches by %s', (_name, f, overrides, expected) => {
    expect(matchesFilters(f, makeJobDto(overrides))).toBe(expected);
  });

  it.each([
    ['all', { active: true, finished: true }],
    ['active', { active: true, finished: false }],
    ['failed', { active: false, finished: true }],
  ] as const)('shows the sections the %s filter can fill', (status, shown) => {
    expect(sectionsShown({ status })).toEqual(shown);
  });
});
