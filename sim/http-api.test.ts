/**
 * POST /prompt validation and responses, error bodies recorded from the real server, aiohttp's error
 * shapes, and the informational endpoints.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from './index';
import { loadJson, loadWorkflow } from './testing/fixtures';
import { httpJson } from './testing/recorder';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ port: 0, timeScale: 0.01 });
});
afterAll(async () => {
  await sim.close();
});

const post = (path: string, body: unknown) => httpJson(sim.url, 'POST', path, body);
const get = (path: string) => httpJson(sim.url, 'GET', path);

describe('POST /prompt validation', () => {
  it.each([
    ['invalid', 'traces/invalid-response.json'],
    ['invalid-unknown-node', 'traces/invalid-unknown-node-response.json'],
  ])('%s.json gets the recorded 400 body', async (workflow, recorded) => {
    const r = await post('/prompt', { prompt: loadWorkflow(workflow), client_id: 'x' });
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(r.text)).toEqual(loadJson(recorded));
  });

  it('writes the body with Python json.dumps separators, like the recorded file', async () => {
    const r = await post('/prompt', { prompt: loadWorkflow('invalid-unknown-node') });
    expect(r.text).toBe(
      '{"error": {"type": "invalid_prompt", "message": "Cannot execute because node NoSuchNodeClass does not exist.", "details": "Node ID \'#2\'", "extra_info": {}}, "node_errors": {}}',
    );
  });

  it('rejects a body without prompt (no_prompt)', async () => {
    const r = await post('/prompt', { client_id: 'x' });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text)).toEqual({
      error: {
        type: 'no_prompt',
        message: 'No prompt provided',
        details: 'No prompt provided',
        extra_info: {},
      },
      node_errors: {},
    });
  });

  it('rejects a graph without output nodes (prompt_no_outputs)', async () => {
    const wf = loadWorkflow('ok');
    delete wf['3'];
    const r = await post('/prompt', { prompt: wf });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error).toEqual({
      type: 'prompt_no_outputs',
      message: 'Prompt has no outputs',
      details: '',
      extra_info: {},
    });
  });

  it('reports value range errors with the server wording', async () => {
    const wf = loadWorkflow('ok');
    wf['2']!.inputs.steps = 0;
    const body = JSON.parse((await post('/prompt', { prompt: wf })).text);
    expect(body.error.type).toBe('prompt_outputs_failed_validation');
    expect(body.node_errors['2'].errors[0]).toMatchObject({
      type: 'value_smaller_than_min',
      message: 'Value 0 smaller than min of 1',
      details: 'steps',
    });
  });

  it('accepts with 200 and node_errors when only some outputs fail', async () => {
    const wf = loadWorkflow('ok');
    wf['4'] = { class_type: 'SaveImage', inputs: { filename_prefix: 'broken' } };
    wf['2']!.inputs.delay_ms = 0;
    const r = await post('/prompt', { prompt: wf });
    expect(r.status).toBe(200);
    const body = JSON.parse(r.text);
    expect(body.node_errors).toEqual({
      '4': {
        errors: [
          {
            type: 'required_input_missing',
            message: 'Required input is missing',
            details: 'images',
            extra_info: { input_name: 'images' },
          },
        ],
        dependent_outputs: ['4'],
        class_type: 'SaveImage',
      },
    });
    await sim.waitForIdle();
    const hist = JSON.parse((await get(`/history/${body.prompt_id}`)).text);
    expect(hist[body.prompt_id].prompt[4]).toEqual(['3']);
  });
});

describe('POST /prompt acceptance', () => {
  it('answers {prompt_id, number, node_errors} and keeps a client prompt_id verbatim', async () => {
    const r = await post('/prompt', { prompt: loadWorkflow('ok'), prompt_id: 'my-own-id', client_id: 'c1' });
    expect(r.status).toBe(200);
    const body = JSON.parse(r.text);
    expect(Object.keys(body)).toEqual(['prompt_id', 'number', 'node_errors']);
    expect(body.prompt_id).toBe('my-own-id');
    expect(body.node_errors).toEqual({});
    await sim.waitForIdle();
  });

  it('counts numbers up (invalid prompts consume one too), negates with front, and floats an explicit number', async () => {
    const a = JSON.parse((await post('/prompt', { prompt: loadWorkflow('ok') })).text).number as number;
    await post('/prompt', { prompt: loadWorkflow('invalid') });
    const b = JSON.parse((await post('/prompt', { prompt: loadWorkflow('ok') })).text).number as number;
    expect(b).toBe(a + 2);
    const front = JSON.parse(
      (await post('/prompt', { prompt: loadWorkflow('ok'), front: true })).text,
    ).number;
    expect(front).toBe(-(b + 1));
    const explicit = await post('/prompt', { prompt: loadWorkflow('ok'), number: 7 });
    expect(explicit.text).toContain('"number": 7.0');
    await sim.waitForIdle();
  });

  it('converts primitive inputs like the server and stores the converted prompt', async () => {
    const wf = loadWorkflow('ok');
    wf['2']!.inputs.steps = '2';
    wf['2']!.inputs.delay_ms = 1;
    const { prompt_id } = JSON.parse((await post('/prompt', { prompt: wf })).text);
    await sim.waitForIdle();
    const hist = JSON.parse((await get(`/history/${prompt_id}`)).text);
    expect(hist[prompt_id].prompt[2]['2'].inputs.steps).toBe(2);
  });
});

describe('aiohttp error shapes', () => {
  it.each(['/prompt', '/queue', '/history', '/api/prompt'])(
    'malformed JSON on POST %s is a plain-text 500',
    async (path) => {
      const r = await httpJson(sim.url, 'POST', path, '{not json');
      expect(r.status).toBe(500);
      expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(r.text).toBe('500 Internal Server Error\n\nServer got itself in trouble');
    },
  );

  it('404s unknown paths and /jobs, 405s wrong methods', async () => {
    expect(await get('/nope')).toMatchObject({ status: 404, text: '404: Not Found' });
    expect((await get('/jobs')).status).toBe(404);
    expect((await get('/api/jobs')).status).toBe(404);
    const r = await get('/interrupt');
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('POST');
  });

  it('answers a plain GET /ws without upgrade with 400', async () => {
    expect((await get('/ws')).status).toBe(400);
  });
});

describe('informational endpoints', () => {
  it.each(['', '/api'])('serves them under "%s"', async (prefix) => {
    expect(JSON.parse((await get(`${prefix}/features`)).text)).toEqual({
      supports_preview_metadata: true,
      max_upload_size: 104857600,
    });
    expect(JSON.parse((await get(`${prefix}/prompt`)).text)).toEqual({ exec_info: { queue_remaining: 0 } });
    const stats = JSON.parse((await get(`${prefix}/system_stats`)).text);
    expect(stats.system.comfyui_version).toBe('0.3.64');
    expect(Object.keys(stats.devices[0])).toEqual([
      'name',
      'type',
      'index',
      'vram_total',
      'vram_free',
      'torch_vram_total',
      'torch_vram_free',
    ]);
  });

  it('describes the six nodes in /object_info', async () => {
    const all = JSON.parse((await get('/object_info')).text);
    expect(Object.keys(all).sort()).toEqual(
      ['EmptyImage', 'ImageInvert', 'PeerFail', 'PeerSteps', 'PreviewImage', 'SaveImage'].sort(),
    );
    const one = JSON.parse((await get('/api/object_info/PeerSteps')).text);
    expect(one.PeerSteps.input.required.steps[0]).toBe('INT');
    expect(one.PeerSteps.input_order).toEqual({
      required: ['steps', 'delay_ms', 'width', 'height'],
      optional: ['image', 'seed', 'preview_size'],
    });
    expect(all.SaveImage.output_node).toBe(true);
    expect(JSON.parse((await get('/object_info/Nope')).text)).toEqual({});
  });
});

describe('methods', () => {
  it('does not add HEAD to GET routes (aiohttp RouteTableDef registers GET only)', async () => {
    const r = await httpJson(sim.url, 'HEAD', '/queue');
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET,POST');
  });
});
