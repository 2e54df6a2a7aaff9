/**
 * The output thumbnail is fetched with the server's token where the server wants it: in header mode the
 * token is an `Authorization` header only, never part of the URL (which proxies and access logs keep).
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createComfyHttp } from '../../comfy/http';
import { FakeClock } from '../../comfy/testing/fake-clock';
import type { JobState } from '../../comfy/types';
import type { TokenMode } from '../db';
import { freshDb, makeJob } from '../testing/records';
import { storeThumbnail } from './thumbnail';

const TOKEN = 'T0K-1234';

describe('output thumbnail and the token', () => {
  it.each([
    ['header', false, true],
    ['query', true, false],
    ['both', true, true],
  ] as const)('%s mode: token in the URL %s, in the header %s', async (mode: TokenMode, inUrl, inHeader) => {
    const db = freshDb('thumb-token');
    const job = makeJob('s', 'p', 'success', 1, {
      outputs: { '9': { images: [{ filename: 'out.png', subfolder: '', type: 'output' }] } },
    });
    await db.jobs.put(job);
    const seen: { url: string; auth: string | undefined }[] = [];
    const fetch = async (url: string | URL | Request, init?: RequestInit) => {
      const headers = (init?.headers ?? {}) as Record<string, string>;
      seen.push({ url: String(url), auth: headers.Authorization });
      return new Response(new Uint8Array([1, 2, 3]), { headers: { 'content-type': 'image/webp' } });
    };
    const http = createComfyHttp({ baseUrl: 'http://10.0.0.5:8188', token: TOKEN, tokenMode: mode, fetch });
    await storeThumbnail(
      {
        db,
        http,
        fetch,
        clock: new FakeClock(),
        server: { token: TOKEN, tokenMode: mode },
        maxBytes: 1024,
      },
      job.key,
      job as unknown as JobState,
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url.includes(TOKEN)).toBe(inUrl);
    expect(seen[0]!.auth === `Bearer ${TOKEN}`).toBe(inHeader);
    expect((await db.jobs.get(job.key))?.thumbKey).toBe(`${job.key}:thumb`);
  });
});
