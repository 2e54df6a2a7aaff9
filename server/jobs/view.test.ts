// The output proxy fetches with the server's ComfyUI token, so it serves only what the server's own
// tracking recorded: type=output files of a job it started, from that job's server. A fake ComfyUI
// records every /api/view request it gets.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertJobs } from '../repo/jobs';
import { openTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../testing/databases';
import { makeRecord } from '../testing/records';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');

describe('GET /v1/jobs/:id/outputs/:node/:index', () => {
  let tdb: TestDatabase;
  let srv: TestServer;
  let comfy: Server;
  const views: { query: URLSearchParams; auth: string | undefined }[] = [];
  let read: string;
  let ingest: string;

  beforeAll(async () => {
    comfy = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      views.push({ query: url.searchParams, auth: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    });
    await new Promise<void>((r) => comfy.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(comfy.address() as AddressInfo).port}`;
    tdb = await openTestDatabase('pglite');
    srv = await startTestServer(tdb.db, {
      ingestBurst: 1000,
      comfyServers: { gpu: { url, token: 'comfy-secret' }, other: { url } },
    });
    read = await srv.token(['read']);
    ingest = await srv.token(['ingest']);
  });
  afterAll(async () => {
    await srv?.close();
    await tdb?.dispose();
    await new Promise((r) => comfy?.close(r));
  });

  const get = (path: string) => srv.request(path, { token: read });

  it('serves a type=output file of a job the server tracked, from that job’s server, with its token', async () => {
    const job = makeRecord({
      server: 'gpu',
      outputs: {
        '9': {
          images: [
            { filename: 'upload.png', subfolder: '', type: 'input' },
            { filename: 'ComfyUI_00007_.png', subfolder: 'run', type: 'output' },
          ],
        },
      },
    });
    await upsertJobs(tdb.db.pool, [{ ...job, source: 'api', queuedBy: 'n8n' }]);
    views.length = 0;
    const res = await get(`/v1/jobs/${job.promptId}/outputs/9/0`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(PNG);
    expect(views).toHaveLength(1);
    expect(Object.fromEntries(views[0]!.query)).toEqual({
      filename: 'ComfyUI_00007_.png',
      subfolder: 'run',
      type: 'output',
    });
    expect(views[0]!.auth).toBe('Bearer comfy-secret');
    // The input file is not among the job's outputs as far as the proxy is concerned.
    expect((await get(`/v1/jobs/${job.promptId}/outputs/9/1`)).status).toBe(404);
    expect(views).toHaveLength(1);
  });

  it('never fetches what an ingesting client wrote, even naming a configured server', async () => {
    const planted = makeRecord({
      server: 'gpu',
      outputs: {
        '9': {
          images: [
            { filename: 'secrets.txt', subfolder: '../../', type: 'output' },
            { filename: 'key.png', subfolder: '', type: 'input' },
          ],
        },
      },
    });
    const res = await srv.request('/v1/ingest', {
      method: 'POST',
      token: ingest,
      body: JSON.stringify({ records: [planted] }),
    });
    expect((await res.json()).applied).toBe(1);
    views.length = 0;
    for (const i of [0, 1]) {
      const out = await get(`/v1/jobs/${planted.promptId}/outputs/9/${i}?server=gpu`);
      expect(out.status).toBe(404);
    }
    expect(views).toEqual([]);
  });

  it('answers an unknown node, index or prototype name with 404 without calling ComfyUI', async () => {
    const job = makeRecord({ server: 'other' });
    await upsertJobs(tdb.db.pool, [{ ...job, source: 'api', queuedBy: 'n8n' }]);
    views.length = 0;
    for (const path of ['8/0', '9/5', '9/x', '__proto__/0', 'constructor/0']) {
      expect((await get(`/v1/jobs/${job.promptId}/outputs/${path}`)).status).toBe(404);
    }
    expect(views).toEqual([]);
  });
});
