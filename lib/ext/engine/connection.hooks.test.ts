/**
 * The adapter's hooks for features built on top (the timelapse): every preview frame of a job, whatever
 * the previews setting and size cap, and a job's terminal transition with its final state, once.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { frame, GRAPH } from '../../comfy/testing/client-rig';
import { FakeClock, flushMicrotasks } from '../../comfy/testing/fake-clock';
import { fakeComfyHttp } from '../../comfy/testing/fake-comfy-http';
import { fakeWebSocketServer } from '../../comfy/testing/fake-websocket';
import type { JobState } from '../../comfy/types';
import type { LiveMessage } from '../protocol';
import { freshDb, makeServer } from '../testing/records';
import { ServerConnection } from './connection';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';

async function connection(previewsEnabled: boolean) {
  const model = { running: [], pending: [], history: {}, up: true };
  const ws = fakeWebSocketServer();
  const frames: { jobKey: string; mime: string; bytes: number[] }[] = [];
  const ended: [string, JobState][] = [];
  const live: LiveMessage[] = [];
  const conn = new ServerConnection(makeServer('s', 'http://comfy.test', { clientId: 'ext' }), {
    db: freshDb('conn-hooks'),
    WebSocket: ws.WebSocket,
    fetch: fakeComfyHttp(model).fetch,
    clock: new FakeClock(),
    broadcast: (m) => live.push(m),
    onFinished: () => undefined,
    onActivity: () => undefined,
    describe: () => undefined,
    previewsEnabled: () => previewsEnabled,
    onPreviewFrame: (f) => frames.push({ ...f, bytes: [...f.bytes] }),
    onJobEnded: (jobKey, job) => ended.push([jobKey, job]),
    timing: { previewMaxBytes: 2 },
  });
  await conn.start();
  ws.last().open();
  ws.last().receive(frame.status(0));
  await flushMicrotasks(60);
  return { conn, ws, frames, ended, live };
}

describe('ServerConnection hooks', () => {
  it.each([true, false])(
    'every preview frame reaches onPreviewFrame (previews setting %s, a frame over the size cap too)',
    async (previewsEnabled) => {
      const c = await connection(previewsEnabled);
      await c.conn.submit(GRAPH);
      const id = Object.keys(c.conn.client.getJobs())[0]!;
      c.ws.last().receive(frame.start(id));
      c.ws.last().receive(frame.preview(id, [1]));
      c.ws.last().receive(frame.preview(id, [1, 2, 3])); // over the 2-byte cap of this test
      await flushMicrotasks(60);
      expect(c.frames).toEqual([
        { jobKey: `s:${id}`, mime: 'image/jpeg', bytes: [1] },
        { jobKey: `s:${id}`, mime: 'image/jpeg', bytes: [1, 2, 3] },
      ]);
      // the UI's copy stays gated by the setting and the cap
      expect(c.live.filter((m) => m.kind === 'preview')).toHaveLength(previewsEnabled ? 1 : 0);
      await c.conn.stop();
    },
  );

  it('onJobEnded gets the terminal transition once, with the final state', async () => {
    const c = await connection(true);
    await c.conn.client.submit(GRAPH, { promptId: A });
    c.ws.last().receive(frame.start(A));
    c.ws.last().receive(frame.progress(A, 4, 4));
    c.ws.last().receive(frame.success(A));
    c.ws.last().receive(frame.success(A));
    await flushMicrotasks(60);
    expect(c.ended.map(([key, job]) => [key, job.status, job.progress])).toEqual([[`s:${A}`, 'success', 1]]);
    await c.conn.stop();
  });
});
