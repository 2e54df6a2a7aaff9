import { describe, expect, it } from 'vitest';
import { createComfyHttp } from './http';
import { jsonReply as json, stubHttpServerForFile } from './testing/stub-http-server';

const stub = stubHttpServerForFile();

const bodyOf = (i = 0) => JSON.parse(stub.seen[i]!.body);

describe('ComfyHttp requests', () => {
  it('submit posts prompt, client_id, prompt_id, preview_method and trusts the returned id', async () => {
    stub.routes['POST /api/prompt'] = json(200, { prompt_id: 'server-id', number: 7, node_errors: {} });
    const http = createComfyHttp({ baseUrl: `${stub.base}/` });
    const r = await http.submit(
      { '1': { class_type: 'EmptyImage', inputs: {} } },
      { clientId: 'me', promptId: 'mine', previewMethod: 'auto', extraData: { extra_pnginfo: {} } },
    );
    expect(r).toEqual({ promptId: 'server-id', number: 7, nodeErrors: {} });
    expect(bodyOf()).toEqual({
      prompt: { '1': { class_type: 'EmptyImage', inputs: {} } },
      client_id: 'me',
      prompt_id: 'mine',
      extra_data: { extra_pnginfo: {}, preview_method: 'auto' },
    });
  });

  it('interrupt posts the prompt id; deletePending posts {delete}', async () => {
    stub.routes['POST /api/interrupt'] = (_q, res) => res.writeHead(200).end();
    stub.routes['POST /api/queue'] = (_q, res) => res.writeHead(200).end();
    const http = createComfyHttp({ baseUrl: stub.base });
    await http.interrupt('p1');
    await http.deletePending(['p2', 'p3']);
    await http.deletePending([]);
    expect(stub.seen.map((s) => [s.url, JSON.parse(s.body)])).toEqual([
      ['/api/interrupt', { prompt_id: 'p1' }],
      ['/api/queue', { delete: ['p2', 'p3'] }],
    ]);
  });

  it('probeOrigin is POST /api/queue {} (deletes nothing), never /interrupt', async () => {
    stub.routes['POST /api/queue'] = (_q, res) => res.writeHead(200).end();
    await createComfyHttp({ baseUrl: stub.base }).probeOrigin();
    expect(stub.seen.map(({ method, url, body }) => ({ method, url, body }))).toEqual([
      { method: 'POST', url: '/api/queue', body: '{}' },
    ]);
  });

  it('queue reads ids from index 1, sorts pending by number, tolerates tuple length, strips comfy.org tokens', async () => {
    stub.routes['GET /api/queue'] = json(200, {
      queue_running: [[3, 'run', { '1': { class_type: 'X', inputs: {} } }, { client_id: 'c' }, ['1']]],
      queue_pending: [
        [9, 'p9', {}, { api_key_comfy_org: 'k', client_id: 'd' }, [], { sensitive: true }],
        [-1.0, 'front', {}, {}, []],
        [5, 'p5', {}, {}],
        ['garbage'],
      ],
    });
    const q = await createComfyHttp({ baseUrl: stub.base }).queue();
    expect(q.running.map((i) => i.promptId)).toEqual(['run']);
    expect(q.running[0]!.outputsToExecute).toEqual(['1']);
    expect(q.pending.map((i) => i.promptId)).toEqual(['front', 'p5', 'p9']);
    expect(q.pending[2]!.extraData).toEqual({ client_id: 'd' });
  });

  it('history(id): {} means not finished (undefined); an entry is parsed', async () => {
    stub.routes['GET /api/history/a'] = json(200, {});
    stub.routes['GET /api/history/b'] = json(200, {
      b: {
        prompt: [1, 'b', {}, {}, []],
        outputs: {},
        status: { status_str: 'success', completed: true, messages: [] },
      },
    });
    const http = createComfyHttp({ baseUrl: stub.base });
    expect(await http.history('a')).toBeUndefined();
    expect((await http.history('b'))?.status?.status_str).toBe('success');
  });

  it('history(page) always sends max_items (never the unbounded /history), NaN tolerated', async () => {
    stub.routes['GET /api/history'] = json(
      200,
      '{"x": {"outputs": {}, "status": {"messages": [["execution_error", {"v": NaN}]]}}}',
    );
    const page = await createComfyHttp({ baseUrl: stub.base }).history({ maxItems: 20, offset: 40 });
    expect(stub.seen[0]!.url).toBe('/api/history?max_items=20&offset=40');
    expect(Object.keys(page)).toEqual(['x']);
  });

  it('jobs API support is probed once with GET /api/jobs?limit=1 and cached', async () => {
    const http = createComfyHttp({ baseUrl: stub.base });
    expect(await http.supportsJobs()).toBe(false);
    expect(await http.supportsJobs()).toBe(false);
    expect(stub.seen.map((s) => s.url)).toEqual(['/api/jobs?limit=1']);

    stub.routes['GET /api/jobs'] = json(200, {
      jobs: [],
      pagination: { offset: 0, limit: 1, total: 0, has_more: false },
    });
    expect(await createComfyHttp({ baseUrl: stub.base }).supportsJobs()).toBe(true);
  });

  it('a failed support probe is not cached', async () => {
    stub.routes['GET /api/jobs'] = (_q, res) => res.writeHead(500).end('boom');
    const http = createComfyHttp({ baseUrl: stub.base });
    await expect(http.supportsJobs()).rejects.toThrow();
    stub.routes['GET /api/jobs'] = json(200, { jobs: [] });
    expect(await http.supportsJobs()).toBe(true);
  });

  it('listJobs always sends a limit; job(id) 404 → undefined', async () => {
    stub.routes['GET /api/jobs'] = json(200, {
      jobs: [{ id: 'j', status: 'pending' }, { nope: 1 }],
      pagination: { total: 1 },
    });
    stub.routes['GET /api/jobs/j'] = json(200, { id: 'j', status: 'completed', outputs: {} });
    const http = createComfyHttp({ baseUrl: stub.base });
    const list = await http.listJobs({ limit: 5, status: ['pending', 'in_progress'] });
    expect(list.jobs.map((j) => j.id)).toEqual(['j']);
    expect(stub.seen[0]!.url).toBe('/api/jobs?limit=5&status=pending%2Cin_progress');
    expect((await http.job('j'))?.status).toBe('completed');
    expect(await http.job('gone')).toBeUndefined();
  });

  it('cancelJob: 404 means no endpoint (remembered); otherwise the cancelled flag', async () => {
    const http = createComfyHttp({ baseUrl: stub.base });
    expect(await http.cancelJob('a')).toBeUndefined();
    expect(await http.cancelJob('b')).toBeUndefined();
    expect(stub.seen).toHaveLength(1);
    stub.routes['POST /api/jobs/a/cancel'] = json(200, { cancelled: true });
    expect(await createComfyHttp({ baseUrl: stub.base }).cancelJob('a')).toBe(true);
  });

  it('viewUrl carries the token in the query whatever the mode (img cannot send headers)', () => {
    const http = createComfyHttp({ baseUrl: 'http://h:8188', token: 't0k', tokenMode: 'header' });
    const url = new URL(
      http.viewUrl({ filename: 'a b.png', subfolder: 'x', type: 'temp' }, { preview: 'webp;90' }),
    );
    expect(url.pathname).toBe('/api/view');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      filename: 'a b.png',
      type: 'temp',
      subfolder: 'x',
      preview: 'webp;90',
      token: 't0k',
    });
    expect(http.wsUrl('cid')).toBe('ws://h:8188/ws?clientId=cid&token=t0k');
  });

  it('viewUrl leaves the token out when the caller sends it as a header (tokenInQuery: false)', () => {
    const http = createComfyHttp({ baseUrl: 'http://h:8188', token: 't0k', tokenMode: 'header' });
    const url = http.viewUrl({ filename: 'a.png', subfolder: '', type: 'output' }, { tokenInQuery: false });
    expect(new URL(url).searchParams.has('token')).toBe(false);
    expect(url).not.toContain('t0k');
  });

  it('features: 404 on old servers reads as {}; systemStats parses leniently', async () => {
    stub.routes['GET /api/system_stats'] = json(200, {
      system: { comfyui_version: '0.3.64', extra: 1 },
      devices: [],
    });
    const http = createComfyHttp({ baseUrl: stub.base });
    expect(await http.features()).toEqual({});
    expect((await http.systemStats()).system.comfyui_version).toBe('0.3.64');
  });

  it('diagnose reports the first typed error, or null', async () => {
    stub.routes['GET /api/prompt'] = json(200, { exec_info: { queue_remaining: 0 } });
    stub.routes['POST /api/queue'] = (_q, res) => res.writeHead(403).end();
    const http = createComfyHttp({ baseUrl: stub.base });
    expect((await http.diagnose())?.kind).toBe('origin-rejected');
    stub.routes['POST /api/queue'] = (_q, res) => res.writeHead(200).end();
    expect(await http.diagnose()).toBeNull();
  });
});
