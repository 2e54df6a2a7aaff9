// Our server's own answers (contract C1): a per-record verdict moves only that record, a 413 splits the
// batch without dropping anything, a whole-request error keeps everything. Dead letters are kept, can be
// exported and retried, and are superseded when a newer version of the job is acknowledged.
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, seededRandom } from '../comfy/testing/fake-clock';
import type { SyncOutbox } from './outbox';
import { fakeIngest, memoryOutbox, OURS, ourError, record } from './testing';
import { SyncUploader } from './uploader';

function setup(batchSize = 100) {
  const clock = new FakeClock();
  const outbox = memoryOutbox();
  const ingest = fakeIngest();
  const sizes: number[] = [];
  const uploader = new SyncUploader({
    outbox,
    getTarget: () => ({ url: 'https://pulse.example.com', apiKey: 'cpk_k' }),
    fetch: (url, init) => {
      sizes.push((JSON.parse(String(init?.body)) as { records: unknown[] }).records.length);
      return ingest.fetch(url, init);
    },
    clock,
    random: seededRandom(11),
    batchSize,
  });
  const attempts = async (n: number) => {
    for (let i = 0; i < n && clock.pending > 0; i++) {
      clock.runNext();
      await uploader.settled();
    }
  };
  return { clock, outbox, ingest, uploader, sizes, attempts };
}

describe('SyncUploader and our server’s verdicts', () => {
  let outbox: SyncOutbox | undefined;
  afterEach(() => outbox?.close());

  it('moves only the rejected record to the dead letters, in one request, and says so', async () => {
    const s = setup();
    outbox = s.outbox;
    s.ingest.reject = (r) =>
      r.promptId === 'bad' ? { code: 'not_owner', message: 'another key owns job bad' } : undefined;
    for (const id of ['a', 'b', 'bad', 'c']) await s.outbox.enqueueJobChange(record(id, 1));
    s.uploader.kick();
    await s.attempts(1);
    expect(s.sizes).toEqual([4]);
    expect([...s.ingest.stored.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(await s.outbox.getSyncStatus()).toMatchObject({
      pending: 0,
      deadLetters: 1,
      lastSyncAt: s.clock.now(),
      problem: { kind: 'rejected', count: 1, promptId: 'bad', code: 'not_owner' },
    });
    const [dead] = await s.outbox.listDeadLetters();
    expect(dead).toMatchObject({
      by: 'server',
      code: 'not_owner',
      message: 'another key owns job bad',
      at: s.clock.now(),
      record: record('bad', 1),
    });
    expect(s.clock.pending).toBe(0);
  });

  it('retries dead letters after a server upgrade, and they arrive', async () => {
    const s = setup();
    outbox = s.outbox;
    s.ingest.reject = () => ({ code: 'future_timestamp', message: 'updatedAt is 3 h ahead of the server' });
    for (const id of ['a', 'b']) await s.outbox.enqueueJobChange(record(id, 1));
    s.uploader.kick();
    await s.attempts(1);
    expect(await s.outbox.getSyncStatus()).toMatchObject({ pending: 0, deadLetters: 2 });

    s.ingest.reject = () => undefined;
    expect(await s.outbox.retryDeadLetters()).toBe(2);
    s.uploader.retryNow();
    await s.attempts(1);
    expect([...s.ingest.stored.keys()].sort()).toEqual(['a', 'b']);
    expect(await s.outbox.getSyncStatus()).toMatchObject({ pending: 0, deadLetters: 0, problem: null });
  });

  it('keeps the newer version queued when the version in flight is rejected', async () => {
    const s = setup();
    outbox = s.outbox;
    s.ingest.reject = (r) => (r.updatedAt === 1 ? { code: 'invalid', message: 'records[0].x' } : undefined);
    await s.outbox.enqueueJobChange(record('a', 1));
    const inner = s.ingest.fetch;
    s.ingest.fetch = async (url, init) => {
      await s.outbox.enqueueJobChange(record('a', 2, { status: 'success', progress: 1 }));
      s.ingest.fetch = inner;
      return inner(url, init);
    };
    s.uploader.kick();
    await s.attempts(3);
    // The newer version was uploaded and acknowledged, which supersedes the rejected older one.
    expect(s.ingest.stored.get('a')?.updatedAt).toBe(2);
    expect(await s.outbox.getSyncStatus()).toMatchObject({ pending: 0, deadLetters: 0 });
  });

  it('splits on our 413 to the limit it names, and delivers everything', async () => {
    const s = setup(10);
    outbox = s.outbox;
    s.ingest.respond = (batch) =>
      batch.records.length > 3
        ? ourError(413, 'too_large', 'A batch holds at most 3 records (got 10)', {
            maxRecords: 3,
            maxBytes: 5_242_880,
          })
        : undefined;
    for (let i = 0; i < 10; i++) await s.outbox.enqueueJobChange(record(`j${i}`, 1));
    s.uploader.kick();
    await s.attempts(1);
    expect(s.sizes).toEqual([10, 3, 3, 3, 1]);
    expect(s.ingest.stored.size).toBe(10);
    expect(await s.outbox.getSyncStatus()).toMatchObject({ pending: 0, deadLetters: 0, problem: null });
  });

  it('splits on our 413 by the bytes it names', async () => {
    const s = setup(10);
    outbox = s.outbox;
    const big = (i: number) => record(`j${i}`, 1, { user: 'x'.repeat(150) });
    const one = JSON.stringify(big(0)).length;
    const maxBytes = one * 2 + 40; // two records and the envelope fit, three do not
    s.ingest.respond = (batch) =>
      JSON.stringify(batch).length > maxBytes
        ? ourError(413, 'too_large', 'Body too large', { maxRecords: 1000, maxBytes })
        : undefined;
    for (let i = 0; i < 6; i++) await s.outbox.enqueueJobChange(big(i));
    s.uploader.kick();
    await s.attempts(1);
    expect(s.sizes).toEqual([6, 2, 2, 2]);
    expect(s.ingest.stored.size).toBe(6);
  });

  it('keeps a record our server finds too large even alone, as a dead letter', async () => {
    const s = setup();
    outbox = s.outbox;
    s.ingest.respond = (batch) =>
      batch.records.some((r) => r.promptId === 'huge')
        ? ourError(413, 'too_large', 'Request body exceeds 1000 bytes', { maxRecords: 1000, maxBytes: 1000 })
        : undefined;
    for (const id of ['a', 'huge', 'b']) await s.outbox.enqueueJobChange(record(id, 1));
    s.uploader.kick();
    await s.attempts(1);
    expect([...s.ingest.stored.keys()].sort()).toEqual(['a', 'b']);
    const [dead] = await s.outbox.listDeadLetters();
    expect(dead).toMatchObject({ code: 'too_large', by: 'server', record: { promptId: 'huge' } });
    expect(await s.outbox.getSyncStatus()).toMatchObject({ pending: 0, deadLetters: 1 });
  });

  it.each([
    ['a whole-request 400', () => ourError(400, 'bad_request', 'Body must be valid JSON'), 'server_error'],
    ['a 500', () => ourError(500, 'internal', 'Internal server error'), 'server_error'],
    ['a 403', () => ourError(403, 'forbidden', 'This API key lacks the "ingest" scope'), 'key_refused'],
    [
      'a 200 with fewer results than records',
      () => Response.json({ accepted: 1, applied: 1, results: [{ status: 'applied' }] }, { headers: OURS }),
      'incompatible',
    ],
    [
      'a marked answer that is not JSON',
      () => new Response('oops', { status: 502, headers: OURS }),
      'incompatible',
    ],
  ])('keeps every record and backs off on %s', async (_name, answer, kind) => {
    const s = setup();
    outbox = s.outbox;
    s.ingest.respond = answer;
    for (const id of ['a', 'b']) await s.outbox.enqueueJobChange(record(id, 1));
    s.uploader.kick();
    await s.attempts(3);
    expect(s.sizes).toEqual([2, 2, 2]);
    expect(await s.outbox.getSyncStatus()).toMatchObject({ pending: 2, deadLetters: 0, problem: { kind } });
    expect(s.clock.pending).toBe(1);
  });
});
