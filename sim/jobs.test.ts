/**
 * The optional jobs API (Dec 2025+/2026 servers, comfyui-protocol.md §7.5): listing with status filter and
 * pagination, pruned nulls, status mapping from history, 404 for unknown or deleted jobs, and the cancel
 * endpoints.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from './index';
import { loadWorkflow } from './testing/fixtures';
import { httpJson } from './testing/recorder';

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator({ port: 0, timeScale: 0.05, jobsApi: true });
});
afterEach(async () => {
  await sim.close();
});

const get = async (path: string) => {
  const r = await httpJson(sim.url, 'GET', path);
  return { status: r.status, body: JSON.parse(r.text) };
};
const post = async (path: string, body?: unknown) => {
  const r = await httpJson(sim.url, 'POST', path, body);
  return { status: r.status, body: r.text ? JSON.parse(r.text) : null };
};
const submit = async (prompt: Record<string, unknown>) =>
  ((await sim.submit({ prompt, client_id: 'jobs' })).body as { prompt_id: string }).prompt_id;
const slow = (seed: number) => {
  const wf = loadWorkflow('slow');
  wf['2']!.inputs.seed = seed;
  wf['2']!.inputs.steps = 100;
  return wf;
};
const uuid = '0f5c8b7e-3d6a-4a57-9a3e-2d1f0c9b7a11';

describe('GET /api/jobs', () => {
  it('maps history and queue to job statuses with pagination', async () => {
    const ok = await submit(loadWorkflow('ok'));
    await sim.waitForIdle();
    const failed = await submit(loadWorkflow('fail'));
    await sim.waitForIdle();
    const cancelled = await submit(slow(1));
    const pending = await submit(slow(2));
    await new Promise((r) => setTimeout(r, 100));
    await post(`/api/jobs/${cancelled}/cancel`);
    await new Promise((r) => setTimeout(r, 200));
    const running = sim.state().running[0];
    expect(running).toBe(pending);

    const all = await get('/api/jobs?limit=10');
    expect(all.status).toBe(200);
    const byId = Object.fromEntries(
      all.body.jobs.map((j: { id: string; status: string }) => [j.id, j.status]),
    );
    expect(byId).toEqual({
      [ok]: 'completed',
      [failed]: 'failed',
      [cancelled]: 'cancelled',
      [pending]: 'in_progress',
    });
    expect(all.body.pagination).toEqual({ offset: 0, limit: 10, total: 4, has_more: false });

    const page = await get('/api/jobs?status=completed,failed,cancelled&limit=2&offset=1&sort_order=asc');
    expect(page.body.jobs.map((j: { id: string }) => j.id)).toEqual([failed, cancelled]);
    expect(page.body.pagination).toEqual({ offset: 1, limit: 2, total: 3, has_more: false });

    const unlimited = await get('/api/jobs?status=in_progress');
    expect(unlimited.body.pagination.limit).toBeNull();
    const job = unlimited.body.jobs[0];
    expect(Object.keys(job).sort()).toEqual(
      ['create_time', 'id', 'outputs_count', 'previewable_outputs_count', 'priority', 'status'].sort(),
    );
  });

  it('describes a finished job with its outputs and preview', async () => {
    const id = await submit(loadWorkflow('ok'));
    await sim.waitForIdle();
    const { status, body } = await get(`/api/jobs/${id}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      id,
      status: 'completed',
      outputs_count: 1,
      previewable_outputs_count: 1,
      preview_output: {
        filename: 'peer_ok_00001_.png',
        subfolder: '',
        type: 'output',
        nodeId: '3',
        mediaType: 'images',
      },
      execution_status: { status_str: 'success', completed: true },
    });
    expect(body.execution_end_time).toBeGreaterThanOrEqual(body.execution_start_time);
    expect(body.workflow.extra_data.client_id).toBe('jobs');
    expect('execution_error' in body).toBe(false);
  });

  it.each([
    ['status=bogus', /Invalid status value/],
    ['sort_by=name', /sort_by must be/],
    ['sort_order=up', /sort_order must be/],
    ['limit=0', /limit must be a positive integer/],
    ['limit=x', /limit must be an integer/],
    ['offset=x', /offset must be an integer/],
  ])('answers 400 for %s', async (query, message) => {
    const r = await get(`/api/jobs?${query}`);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(message);
  });

  it('answers 404 for unknown ids and for deleted pending jobs; /jobs does not exist', async () => {
    expect(await get(`/api/jobs/${uuid}`)).toEqual({ status: 404, body: { error: 'Job not found' } });
    await submit(slow(1));
    const pending = await submit(slow(2));
    expect((await get(`/api/jobs/${pending}`)).body.status).toBe('pending');
    await post('/queue', { delete: [pending] });
    expect((await get(`/api/jobs/${pending}`)).status).toBe(404);
    expect((await httpJson(sim.url, 'GET', '/jobs')).status).toBe(404);
    expect((await httpJson(sim.url, 'GET', '/api/api/jobs')).status).toBe(200);
  });
});

describe('cancel endpoints', () => {
  it('interrupts a running job, dequeues a pending one, and is a no-op for finished or unknown ids', async () => {
    const done = await submit(loadWorkflow('ok'));
    await sim.waitForIdle();
    const running = await submit(slow(1));
    const pending = await submit(slow(2));
    await new Promise((r) => setTimeout(r, 100));
    expect((await post(`/api/jobs/${pending}/cancel`)).body).toEqual({ cancelled: true });
    expect(sim.state().pending).toEqual([]);
    expect((await post(`/api/jobs/${running}/cancel`)).body).toEqual({ cancelled: true });
    await sim.waitForIdle();
    expect((await get(`/api/jobs/${running}`)).body.status).toBe('cancelled');
    expect((await post(`/api/jobs/${done}/cancel`)).body).toEqual({ cancelled: false });
    expect((await post(`/api/jobs/${uuid}/cancel`)).body).toEqual({ cancelled: false });
  });

  it('validates batch ids up front', async () => {
    expect(await post('/api/jobs/cancel', { job_ids: ['nope', 3] })).toEqual({
      status: 400,
      body: { error: 'job_ids contains invalid id(s)', invalid_ids: ['nope', '3'] },
    });
    expect(await post('/api/jobs/cancel', { ids: [] })).toEqual({
      status: 400,
      body: { error: 'job_ids must be a list' },
    });
    expect((await httpJson(sim.url, 'POST', '/api/jobs/cancel', '{bad')).status).toBe(400);
    expect(await post('/api/jobs/cancel', { job_ids: [uuid] })).toEqual({
      status: 200,
      body: { cancelled: false },
    });
  });
});
