/**
 * A frame about a prompt the client does not track yet: the prompt is adopted with its graph (from
 * `/queue`) before that frame and every later one apply, in their order.
 */
import { describe, expect, it } from 'vitest';
import { clientRig, frame, GRAPH, OUR_ID } from './testing/client-rig';
import type { JobState } from './types';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';

const jobEvents = (seen: ReturnType<typeof clientRig>['seen'], id: string) =>
  seen.flatMap(([e, v]) => (e === 'job' && (v as JobState).promptId === id ? [v as JobState] : []));

describe('ComfyClient adoption of prompts first seen in a frame', () => {
  it('holds the frames until the graph is known: no job state is ever computed over a partial graph', async () => {
    const r = clientRig();
    await r.open();
    r.model.running = [{ id: A, number: 7, prompt: GRAPH, clientId: 'comfyui-tab' }];
    // progress ticks without client_id are broadcast to everyone (comfyui-protocol.md §1.2)
    r.ws.last().receive(frame.progress(A, 1));
    r.ws.last().receive(frame.progress(A, 2));
    expect(r.client.getJob(A)).toBeUndefined(); // held while /queue is asked
    await r.settle();
    const seen = jobEvents(r.seen, A);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.every((j) => Object.keys(j.classTypes).length === 3)).toBe(true);
    expect(r.client.getJob(A)).toMatchObject({ own: false, clientId: 'comfyui-tab', number: 7 });
    expect(r.client.getJob(A)!.nodes['2']).toMatchObject({ value: 2, max: 4 });
    r.client.close();
  });

  it('a frame routed only to our clientId makes the prompt ours, even when /queue no longer has it', async () => {
    const r = clientRig();
    await r.open();
    await r.receive(frame.start(A)); // a script queued with our clientId; it already left the queue
    expect(r.client.getJob(A)).toMatchObject({ own: true, clientId: OUR_ID, status: 'running' });
    r.client.close();
  });

  it('keeps the order when a second new prompt appears while the first is being adopted', async () => {
    const r = clientRig();
    await r.open();
    r.model.running = [{ id: A, number: 1, prompt: GRAPH }];
    r.model.pending = [{ id: B, number: 2, prompt: GRAPH }];
    r.ws.last().receive(frame.progress(A, 3));
    r.ws.last().receive(frame.progress(B, 1));
    r.ws.last().receive(frame.progress(A, 4));
    await r.settle();
    expect(r.client.getJob(A)!.nodes['2']).toMatchObject({ value: 4 });
    expect(r.client.getJob(B)!.nodes['2']).toMatchObject({ value: 1 });
    expect(Object.keys(r.client.getJob(B)!.classTypes)).toHaveLength(3);
    r.client.close();
  });

  it('adopts without the graph when /queue does not answer within 2 s', async () => {
    const r = clientRig();
    await r.open();
    const slowQueue = r.client.http.queue.bind(r.client.http);
    r.client.http.queue = () => new Promise(() => undefined);
    r.ws.last().receive(frame.progress(A, 1));
    await r.advance(1999);
    expect(r.client.getJob(A)).toBeUndefined();
    await r.advance(1);
    expect(r.client.getJob(A)).toMatchObject({ status: 'running', classTypes: {} });
    r.client.http.queue = slowQueue;
    r.client.close();
  });
});

describe('ComfyClient external frames (another socket’s, e.g. the ComfyUI tab’s)', () => {
  it('takes per-prompt events only, and adopts their prompt with its owner from /queue', async () => {
    const r = clientRig();
    await r.open();
    r.model.running = [{ id: A, number: 3, prompt: GRAPH, clientId: 'comfyui-tab' }];
    expect(r.client.ingestExternal({ type: 'status', queueRemaining: 1 })).toBe(false);
    expect(r.client.ingestExternal({ type: 'progress', value: 1, max: 4, node: '2' })).toBe(false);
    expect(r.client.ingestExternal({ type: 'execution_start', promptId: A })).toBe(true);
    expect(r.client.ingestExternal({ type: 'progress', promptId: A, value: 2, max: 4, node: '2' })).toBe(
      true,
    );
    await r.settle();
    // routed-only events from another socket prove nothing about our clientId
    expect(r.client.getJob(A)).toMatchObject({ own: false, clientId: 'comfyui-tab', status: 'running' });
    expect(r.client.getJob(A)!.nodes['2']).toMatchObject({ value: 2 });
    r.client.close();
  });

  it('emits previews of the job they belong to, ours and external alike', async () => {
    const r = clientRig();
    await r.open();
    r.model.running = [{ id: A, number: 1, prompt: GRAPH, clientId: 'comfyui-tab' }];
    r.client.ingestExternal({ type: 'preview', promptId: A, mime: 'image/webp', bytes: new Uint8Array([9]) });
    await r.settle();
    await r.receive(frame.preview(A, [1, 2, 3]));
    const previews = r.seen.filter(([e]) => e === 'preview').map(([, v]) => v) as {
      event: { mime: string; bytes: Uint8Array };
      job: JobState;
    }[];
    expect(
      previews.map((p) => [p.event.mime, [...p.event.bytes], p.job.promptId, p.job.previewCount]),
    ).toEqual([
      ['image/webp', [9], A, 1],
      ['image/jpeg', [1, 2, 3], A, 2],
    ]);
    r.client.close();
  });

  it('never count as our socket being alive: a silent socket while our job runs is still probed', async () => {
    const r = clientRig({ socket: { silenceMs: 15_000 } });
    await r.open();
    await r.client.submit(GRAPH, { promptId: A });
    await r.receive(frame.start(A));
    r.model.running = [{ id: B, number: 9, prompt: GRAPH, clientId: 'comfyui-tab' }];
    for (let i = 0; i < 4; i++) {
      r.client.ingestExternal({ type: 'progress', promptId: B, value: i, max: 9, node: '2' });
      await r.advance(4000);
    }
    expect(r.client.socket.stats.probes).toBeGreaterThanOrEqual(1);
    r.client.close();
  });
});
