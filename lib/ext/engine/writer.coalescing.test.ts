import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../comfy/testing/fake-clock';
import { newJob } from '../../comfy/tracker';
import type { JobState } from '../../comfy/types';
import { freshDb } from '../testing/records';
import { type Flushed, JobWriter } from './writer';

function setup() {
  const db = freshDb('writer');
  const clock = new FakeClock();
  const flushed: Flushed[] = [];
  let rw = 0;
  const real = db.transaction.bind(db) as (...a: unknown[]) => unknown;
  const log: number[] = [];
  (db as unknown as { transaction: (...a: unknown[]) => unknown }).transaction = (...a: unknown[]) => {
    rw++;
    log.push(clock.now());
    return real(...a);
  };
  const writer = new JobWriter(db, 's', clock, (f) => flushed.push(f), 250);
  /** Until every transaction started so far has committed (fake-indexeddb runs on macrotasks). */
  const settle = async () => {
    await new Promise((r) => setTimeout(r, 0));
    while (flushed.length < rw) await new Promise((r) => setTimeout(r, 1));
  };
  return { db, clock, writer, flushed, transactions: () => rw, log, settle };
}

const tick = (job: JobState, progress: number, at: number): JobState => ({ ...job, progress, updatedAt: at });

describe('JobWriter coalescing', () => {
  it('writes a status change at once and progress ticks at most once per 250 ms, latest state only', async () => {
    const { db, clock, writer, transactions, log, settle } = setup();
    let job: JobState = { ...newJob('p', clock.now()), status: 'running' };
    writer.update(job); // new job: its status is news
    await settle();
    expect(transactions()).toBe(1);
    for (let i = 1; i <= 60; i++) {
      clock.advance(10);
      job = tick(job, i / 60, clock.now());
      writer.update(job);
      await settle();
    }
    // 60 ticks over 600 ms: timed flushes 250 ms after the first tick of each window, one still pending
    expect(log.map((t) => t - log[0]!)).toEqual([0, 260, 510]);
    clock.advance(250);
    await settle();
    expect(transactions()).toBe(4);
    expect((await db.jobs.get('s:p'))?.progress).toBe(1);
    writer.update({ ...job, status: 'success', updatedAt: clock.now() });
    await settle();
    expect(transactions()).toBe(5);
    expect((await db.jobs.get('s:p'))?.status).toBe('success');
  });

  it('puts many jobs and the latest preview of each into one transaction', async () => {
    const { db, clock, writer, flushed, transactions, settle } = setup();
    for (const id of ['a', 'b', 'c']) writer.remember({ ...(await makeStored(id)) });
    for (const id of ['a', 'b', 'c']) {
      writer.update({ ...newJob(id, clock.now()), progress: 0.5 });
      writer.setPreview(`s:${id}`, 'image/jpeg', new Uint8Array([1]));
      writer.setPreview(`s:${id}`, 'image/jpeg', new Uint8Array([1, 2]));
    }
    clock.advance(250);
    await settle();
    expect(transactions()).toBe(1);
    expect(flushed).toHaveLength(1);
    expect(flushed[0]!.jobs.map((j) => j.promptId)).toEqual(['a', 'b', 'c']);
    expect((await db.blobs.toArray()).map((b) => [b.key, b.size])).toEqual([
      ['s:a:preview', 2],
      ['s:b:preview', 2],
      ['s:c:preview', 2],
    ]);
  });

  it('never clears what the worker set meanwhile (notifiedAt, thumbnail, first-seen time)', async () => {
    const { db, clock, writer, settle } = setup();
    const job = { ...newJob('p', clock.now()), status: 'success' as const };
    writer.update(job);
    await settle();
    const created = (await db.jobs.get('s:p'))!.createdAt;
    await db.jobs.update('s:p', { notifiedAt: 42, thumbKey: 's:p:thumb' });
    clock.advance(1000);
    writer.update({ ...job, previewCount: 3, updatedAt: clock.now() });
    clock.advance(250);
    await settle();
    expect(await db.jobs.get('s:p')).toMatchObject({
      notifiedAt: 42,
      thumbKey: 's:p:thumb',
      createdAt: created,
      previewCount: 3,
    });
  });
});

async function makeStored(id: string) {
  const { toJobRecord } = await import('./records');
  return toJobRecord('s', { ...newJob(id, 0), status: 'pending' }, { createdAt: 0 });
}
