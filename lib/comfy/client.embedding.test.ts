/**
 * What an application built on ComfyClient relies on (the extension's engine is one): one `end` per
 * outcome, resuming stored jobs, forgetting finished ones, cancel details, and the knobs of submit.
 */
import { describe, expect, it } from 'vitest';
import { clientRig, frame, GRAPH, OUR_ID } from './testing/client-rig';
import { historyEntry } from './testing/fake-comfy-http';
import { newJob } from './tracker';
import type { JobState } from './types';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';

const ends = (r: ReturnType<typeof clientRig>) =>
  r.seen
    .filter(([e]) => e === 'end')
    .map(([, v]) => `${(v as JobState).promptId.slice(0, 1)}:${(v as JobState).status}`);

const stored = (promptId: string, fields: Partial<JobState>): JobState => ({
  ...newJob(promptId, 1),
  ...fields,
});

describe('ComfyClient for applications that embed it', () => {
  it('`end` fires once per outcome: entering a terminal state, or a lost job found to have really ended', async () => {
    const r = clientRig();
    r.client.restore([stored(A, { own: true, clientId: OUR_ID, status: 'running' })]);
    await r.open(); // the server forgot it (a restart): lost
    expect(ends(r)).toEqual(['a:lost']);
    await r.client.reconcileNow(); // still lost: no second end
    expect(ends(r)).toEqual(['a:lost']);
    // its true outcome arrives later (a late frame): announced once more, as what it was
    await r.receive(frame.success(A));
    expect(ends(r)).toEqual(['a:lost', 'a:success']);
    // a repeated outcome frame is not a new outcome
    await r.receive(frame.success(A));
    expect(ends(r)).toEqual(['a:lost', 'a:success']);
    r.client.close();
  });

  it('resumes stored jobs without events, and the first reconciliation tells how they ended', async () => {
    const r = clientRig();
    r.client.restore([stored(A, { own: true, clientId: OUR_ID, status: 'running' })]);
    expect(r.client.getJob(A)?.status).toBe('running');
    expect(r.seen.filter(([e]) => e === 'job')).toEqual([]);
    r.model.history[A] = historyEntry({ id: A, number: 1, clientId: OUR_ID }, 'success', 5);
    await r.open();
    expect(r.client.getJob(A)?.status).toBe('success');
    r.client.close();
  });

  it('forget drops finished jobs only', async () => {
    const r = clientRig();
    r.client.restore([stored(A, { status: 'success' }), stored(B, { status: 'running' })]);
    r.client.forget([A, B, 'unknown']);
    expect(Object.keys(r.client.getJobs())).toEqual([B]);
    r.client.close();
  });

  it('counts a running job queued with our clientId as ours for the zombie check, even if not `own`', async () => {
    const r = clientRig({ socket: { silenceMs: 15_000 } });
    r.model.running = [{ id: A, number: 1, prompt: GRAPH, clientId: OUR_ID }];
    r.client.restore([stored(A, { own: false, clientId: OUR_ID, status: 'running' })]);
    await r.open();
    await r.advance(15_000);
    expect(r.client.socket.stats.probes).toBe(1);
    r.client.close();
  });

  it('cancelJob says how: a pending job is deleted and settled at once', async () => {
    const r = clientRig();
    await r.open();
    const id = await r.client.submit(GRAPH);
    expect(await r.client.cancelJob(id)).toEqual({ cancelled: true, method: 'delete' });
    expect(r.client.getJob(id)?.status).toBe('cancelled');
    expect(await r.client.cancelJob(B)).toEqual({ cancelled: false, reason: 'absent' });
    r.client.close();
  });

  it.each([
    [{}, 'auto'],
    [{ previewMethod: 'taesd' as const }, 'taesd'],
    [{ previewMethod: null }, undefined],
  ])('submit %o sends preview_method %s', async (options, sent) => {
    const r = clientRig();
    await r.client.submit(GRAPH, options);
    const post = r.calls.find((c) => c.path === '/api/prompt')!;
    expect((post.body as { extra_data: Record<string, unknown> }).extra_data.preview_method).toBe(sent);
    r.client.close();
  });

  it.each([
    ['both', true],
    ['query', true],
    ['header', false],
  ] as const)('token mode %s: the socket URL carries ?token= → %s', (tokenMode, inUrl) => {
    const r = clientRig({ token: 's3cret', tokenMode });
    expect(r.ws.last().url.includes('token=s3cret')).toBe(inUrl);
    r.client.close();
  });
});
