/**
 * /queue, /history and /view as the real server shapes them: 5-tuples, heap order, {} while pending,
 * the recorded history entry shape, deletes that never reach history, and real PNG files.
 */
import { inflateSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from './index';
import { connect, isType } from './testing/client';
import { loadTrace, loadWorkflow } from './testing/fixtures';
import { httpJson } from './testing/recorder';

let sim: Simulator;
beforeEach(async () => {
  sim = await startSimulator({ port: 0, timeScale: 0.05 });
});
afterEach(async () => {
  await sim.close();
});

const getJson = async (path: string) => JSON.parse((await httpJson(sim.url, 'GET', path)).text);
const slow = (seed: number, steps = 40) => {
  const wf = loadWorkflow('slow');
  wf['2']!.inputs.seed = seed;
  wf['2']!.inputs.steps = steps;
  return wf;
};

/** Keys of every object, recursively, with array items merged: the "shape" of a JSON value. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]));
  return typeof v;
}

describe('history', () => {
  it('stores an entry shaped exactly like the recorded one', async () => {
    const recorded = loadTrace('ok').find(
      (l) => l.kind === 'http_response' && String(l.path).startsWith('/history/'),
    )!;
    const real = Object.values(recorded.body as Record<string, unknown>)[0] as Record<string, unknown>;
    const c = await connect(sim.url, 'hist-client');
    const { body } = await sim.submit({ prompt: loadWorkflow('ok'), client_id: 'hist-client' });
    const id = (body as { prompt_id: string }).prompt_id;
    await c.waitFor(isType('execution_success', id));
    await sim.waitForIdle();
    const mine = (await getJson(`/history/${id}`))[id];
    const normalise = (e: Record<string, unknown>) => {
      const copy = structuredClone(e) as {
        prompt: unknown[];
        outputs: Record<string, { images: { filename: string }[] }>;
      };
      copy.prompt[3] = { client_id: 'x' };
      return shape(copy);
    };
    expect(normalise(mine)).toEqual(normalise(real));
    expect(mine.status.status_str).toBe('success');
    expect(mine.outputs['3'].images[0]).toEqual({
      filename: 'peer_ok_00001_.png',
      subfolder: '',
      type: 'output',
    });
    await c.close();
  });

  it('answers {} while pending or running, and for unknown ids', async () => {
    const { body } = await sim.submit({ prompt: slow(1) });
    const id = (body as { prompt_id: string }).prompt_id;
    expect(await getJson(`/history/${id}`)).toEqual({});
    expect(await getJson('/history/unknown-id')).toEqual({});
    await sim.waitForIdle();
    expect(Object.keys(await getJson(`/history/${id}`))).toEqual([id]);
  });

  it('pages with max_items/offset (max_items alone = the last N) and returns all without params', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const wf = loadWorkflow('ok');
      wf['2']!.inputs.steps = 1;
      wf['2']!.inputs.seed = i;
      ids.push(((await sim.submit({ prompt: wf })).body as { prompt_id: string }).prompt_id);
    }
    await sim.waitForIdle();
    expect(Object.keys(await getJson('/history'))).toEqual(ids);
    expect(Object.keys(await getJson('/history?max_items=2'))).toEqual(ids.slice(2));
    expect(Object.keys(await getJson('/history?max_items=2&offset=1'))).toEqual(ids.slice(1, 3));
    expect(Object.keys(await getJson('/api/history?offset=3'))).toEqual(ids.slice(3));
    expect((await httpJson(sim.url, 'GET', '/history?max_items=abc')).status).toBe(500);

    await httpJson(sim.url, 'POST', '/history', { delete: [ids[0]] });
    expect(Object.keys(await getJson('/history'))).toEqual(ids.slice(1));
    await httpJson(sim.url, 'POST', '/history', { clear: true });
    expect(await getJson('/history')).toEqual({});
  });
});

describe('queue', () => {
  it('lists 5-tuples: running first, pending in heap order by number', async () => {
    const a = (await sim.submit({ prompt: slow(1), client_id: 'q' })).body as { prompt_id: string };
    const b = (await sim.submit({ prompt: slow(2), extra_data: { note: 1 } })).body as { prompt_id: string };
    const c = (await sim.submit({ prompt: slow(3), front: true })).body as {
      prompt_id: string;
      number: number;
    };
    const q = await getJson('/queue');
    expect(q.queue_running.map((i: unknown[]) => i[1])).toEqual([a.prompt_id]);
    expect(q.queue_pending.map((i: unknown[]) => i[1])).toEqual([c.prompt_id, b.prompt_id]);
    const item = q.queue_pending[1];
    expect(item).toHaveLength(5);
    expect(item[3]).toEqual({ note: 1 });
    expect(item[4]).toEqual(['4']);
    expect(q.queue_running[0][3]).toEqual({ client_id: 'q' });
    expect(c.number).toBeLessThan(0);
    expect(await getJson('/prompt')).toEqual({ exec_info: { queue_remaining: 3 } });
  });

  it('deletes only pending items, silently ignores unknown ids, and deleted prompts never reach history', async () => {
    const observer = await connect(sim.url, 'obs');
    const run = (await sim.submit({ prompt: slow(1) })).body as { prompt_id: string };
    const pend = (await sim.submit({ prompt: slow(2) })).body as { prompt_id: string };
    await observer.waitFor(
      (f) =>
        f.kind === 'text' && f.type === 'status' && JSON.stringify(f.data).includes('"queue_remaining":2'),
    );
    const before = observer.texts('status').length;
    const r = await httpJson(sim.url, 'POST', '/queue', { delete: [pend.prompt_id, run.prompt_id, 'nope'] });
    expect(r).toMatchObject({ status: 200, text: '' });
    const q = await getJson('/queue');
    expect(q.queue_pending).toEqual([]);
    expect(q.queue_running.map((i: unknown[]) => i[1])).toEqual([run.prompt_id]);
    // Removing the last pending item announces twice (wipe_queue + delete), as the server does.
    await observer.waitFor((f) => f.kind === 'text' && f.type === 'status', 2000, before + 1);
    expect(
      observer
        .texts('status')
        .slice(before)
        .map((f) => f.data),
    ).toEqual([
      { status: { exec_info: { queue_remaining: 1 } } },
      { status: { exec_info: { queue_remaining: 1 } } },
    ]);
    await sim.waitForIdle();
    expect(await getJson(`/history/${pend.prompt_id}`)).toEqual({});
    expect(Object.keys(await getJson(`/history/${run.prompt_id}`))).toEqual([run.prompt_id]);
    await observer.close();
  });

  it('clears pending items', async () => {
    await sim.submit({ prompt: slow(1) });
    await sim.submit({ prompt: slow(2) });
    await sim.submit({ prompt: slow(3) });
    await httpJson(sim.url, 'POST', '/api/queue', { clear: true });
    expect((await getJson('/queue')).queue_pending).toEqual([]);
    expect(sim.state().queueRemaining).toBe(1);
  });
});

describe('/view', () => {
  async function runOk(): Promise<{ filename: string; temp: string }> {
    const wf = loadWorkflow('slow');
    wf['2']!.inputs.steps = 1;
    wf['5'] = { class_type: 'SaveImage', inputs: { images: ['3', 0], filename_prefix: 'sim_view' } };
    const id = ((await sim.submit({ prompt: wf })).body as { prompt_id: string }).prompt_id;
    await sim.waitForIdle();
    const outputs = (await getJson(`/history/${id}`))[id].outputs;
    return { filename: outputs['5'].images[0].filename, temp: outputs['4'].images[0].filename };
  }

  it('serves the real PNG SaveImage wrote, and the PreviewImage temp file', async () => {
    const { filename, temp } = await runOk();
    expect(filename).toBe('sim_view_00001_.png');
    expect(temp).toMatch(/^ComfyUI_temp_[a-z]{5}_00001_\.png$/);
    const r = await fetch(`${sim.url}/view?filename=${filename}&type=output&subfolder=`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/png');
    const png = Buffer.from(await r.arrayBuffer());
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBe(64);
    expect(png.readUInt32BE(20)).toBe(64);
    // Pixels reflect the graph: EmptyImage(black) -> PeerSteps gradient -> ImageInvert.
    const idat = png.indexOf('IDAT');
    const raw = inflateSync(png.subarray(idat + 4, idat + 4 + png.readUInt32BE(idat - 4)));
    expect([...raw.subarray(1, 4)]).toEqual([255, 255, 128]);
    expect((await fetch(`${sim.url}/api/view?filename=${encodeURIComponent(`${temp} [temp]`)}`)).status).toBe(
      200,
    );
    expect((await fetch(`${sim.url}/view?filename=${temp}&type=temp`)).headers.get('content-type')).toBe(
      'image/png',
    );
  });

  it.each([
    ['filename=../secret.png', 400],
    ['filename=%2Fetc%2Fpasswd', 400],
    ['filename=x.png&type=bogus', 400],
    ['filename=x.png&subfolder=..%2F..', 403],
    ['filename=missing.png', 404],
    ['type=output', 404],
  ])('answers /view?%s with %i', async (query, status) => {
    expect((await fetch(`${sim.url}/view?${query}`)).status).toBe(status);
  });
});
