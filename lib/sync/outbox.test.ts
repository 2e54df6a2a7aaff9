import Dexie from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { SYNC_DB_NAME, SyncOutbox } from './outbox';
import { memoryOutbox, record } from './testing';

describe('SyncOutbox', () => {
  let outbox: SyncOutbox;
  afterEach(() => outbox?.close());

  it('coalesces changes of one job into its latest version', async () => {
    outbox = memoryOutbox();
    await outbox.enqueueJobChange(record('a', 1, { progress: 0.1 }));
    await outbox.enqueueJobChange(record('b', 1));
    await outbox.enqueueJobChange(record('a', 2, { progress: 0.6 }));
    await outbox.enqueueJobChange(record('a', 3, { status: 'success', progress: 1 }));
    const entries = await outbox.peek(10);
    expect(entries.map((e) => [e.record.promptId, e.record.updatedAt, e.version])).toEqual([
      ['b', 1, 1],
      ['a', 3, 3],
    ]);
    expect((await outbox.getSyncStatus()).pending).toBe(2);
  });

  it('ignores a change older than the one queued', async () => {
    outbox = memoryOutbox();
    await outbox.enqueueJobChange(record('a', 5, { status: 'success', progress: 1 }));
    expect(await outbox.enqueueJobChange(record('a', 4))).toBe(false);
    expect((await outbox.peek(1))[0]!.record.status).toBe('success');
  });

  it('acknowledges only the version that was sent, keeping a change made meanwhile', async () => {
    outbox = memoryOutbox();
    await outbox.enqueueJobChange(record('a', 1));
    await outbox.enqueueJobChange(record('b', 1));
    const sent = await outbox.peek(10);
    await outbox.enqueueJobChange(record('a', 2, { progress: 0.9 }));
    expect(await outbox.ack(sent)).toBe(1);
    const left = await outbox.peek(10);
    expect(left.map((e) => [e.record.promptId, e.record.progress])).toEqual([['a', 0.9]]);
  });

  it('rejects an invalid record before it can poison the queue', async () => {
    outbox = memoryOutbox();
    await expect(outbox.enqueueJobChange({ ...record('a', 1), progress: 7 })).rejects.toThrow();
    expect((await outbox.getSyncStatus()).pending).toBe(0);
  });

  it('keeps its data across reopening (the service worker restarts)', async () => {
    const indexedDB = new IDBFactory();
    const first = new SyncOutbox({ indexedDB, IDBKeyRange });
    await first.enqueueJobChange(record('a', 1));
    first.close();
    outbox = new SyncOutbox({ indexedDB, IDBKeyRange });
    expect((await outbox.peek(5)).map((e) => e.record.promptId)).toEqual(['a']);
  });

  it('upgrades a v1 outbox (before dead letters) keeping its queue', async () => {
    const indexedDB = new IDBFactory();
    const v1 = new Dexie(SYNC_DB_NAME, { indexedDB, IDBKeyRange });
    v1.version(1).stores({ outbox: 'key, seq', meta: 'key' });
    await v1.table('outbox').put({ key: 'k', record: record('a', 1), version: 1, seq: 1 });
    await v1.table('meta').bulkPut([
      { key: 'seq', value: 1 },
      { key: 'lastError', value: 'The server refused job x; it was dropped' },
      { key: 'dropped', value: 3 },
    ]);
    v1.close();
    outbox = new SyncOutbox({ indexedDB, IDBKeyRange });
    expect(await outbox.getSyncStatus()).toEqual({
      pending: 1,
      lastSyncAt: null,
      problem: null,
      deadLetters: 0,
    });
    await outbox.enqueueJobChange(record('b', 1));
    expect((await outbox.peek(5)).map((e) => [e.record.promptId, e.seq])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
  });

  it('cuts an over-long record to the limits instead of refusing it', async () => {
    outbox = memoryOutbox();
    await outbox.enqueueJobChange(
      record('a', 1, { status: 'error', error: { message: 'm'.repeat(50_000), traceback: [] } }),
    );
    const [entry] = await outbox.peek(1);
    expect(entry!.record.error!.message).toMatch(/… \[truncated \d+ chars\]$/);
  });

  it('retries a dead letter only where no newer version of its job is queued', async () => {
    outbox = memoryOutbox();
    for (const id of ['a', 'b']) await outbox.enqueueJobChange(record(id, 1));
    const sent = await outbox.peek(10);
    await outbox.settle(
      [],
      sent.map((entry) => ({ entry, verdict: { code: 'invalid', message: 'x', by: 'server' as const } })),
      5,
    );
    await outbox.enqueueJobChange(record('a', 2, { progress: 0.9 }));
    expect(await outbox.retryDeadLetters()).toBe(1);
    const queued = await outbox.peek(10);
    expect(queued.map((e) => [e.record.promptId, e.record.updatedAt])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect((await outbox.getSyncStatus()).deadLetters).toBe(0);
  });

  it('keeps a dead letter that still fails the schema when retried', async () => {
    outbox = memoryOutbox();
    await outbox.deadLetterLocal({ ...record('a', 1), progress: 7 }, 'progress: too big', 5);
    expect(await outbox.retryDeadLetters()).toBe(0);
    expect(await outbox.listDeadLetters()).toMatchObject([{ by: 'local', record: { progress: 7 } }]);
    expect((await outbox.getSyncStatus()).pending).toBe(0);
  });
});
