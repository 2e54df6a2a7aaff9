import { afterEach, describe, expect, it } from 'vitest';
import type { SyncOutbox } from './outbox';
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
    const { IDBFactory, IDBKeyRange } = await import('fake-indexeddb');
    const { SyncOutbox: Outbox } = await import('./outbox');
    const indexedDB = new IDBFactory();
    const first = new Outbox({ indexedDB, IDBKeyRange });
    await first.enqueueJobChange(record('a', 1));
    first.close();
    outbox = new Outbox({ indexedDB, IDBKeyRange });
    expect((await outbox.peek(5)).map((e) => e.record.promptId)).toEqual(['a']);
  });
});
