import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { DB_VERSION, openDb, SCHEMA_V1, SCHEMA_V2 } from './db';

let n = 0;
const freshName = () => `migration-test-${n++}-${Math.random()}`;

async function seedV1(name: string) {
  const v1 = new Dexie(name);
  v1.version(1).stores(SCHEMA_V1);
  await v1
    .table('servers')
    .bulkPut([{ id: 's1', name: 'Local', url: 'http://127.0.0.1:8188', token: 'tok' }]);
  await v1.table('jobs').bulkPut([
    { key: 's1:a', serverId: 's1', promptId: 'a', status: 'success', createdAt: 1000, finishedAt: 5000 },
    { key: 's1:b', serverId: 's1', promptId: 'b', status: 'running', createdAt: 2000 },
    { key: 's1:c', serverId: 's1', promptId: 'c', status: 'pending', createdAt: 3000 },
  ]);
  await v1.table('settings').put({ key: 'previews', value: { enabled: false } });
  v1.close();
}

describe('database migration v1 → v2', () => {
  it('keeps every v1 row and fills the fields v2 indexes and the engine rely on', async () => {
    const name = freshName();
    await seedV1(name);
    const db = openDb(name);
    await db.open();
    expect(db.verno).toBe(DB_VERSION);

    const server = await db.servers.get('s1');
    expect(server).toMatchObject({ name: 'Local', token: 'tok', tokenMode: 'query', enabled: true });
    expect(server?.clientId).toMatch(/^comfypulse-[0-9a-f-]{36}$/);

    const done = await db.jobs.get('s1:a');
    expect(done).toMatchObject({ active: 0, endedAt: 5000, updatedAt: 5000, progress: 1, notifiedAt: 5000 });
    expect(done).not.toHaveProperty('finishedAt');

    // the new compound indexes answer queries over migrated rows
    expect((await db.jobs.where('[serverId+active]').equals(['s1', 1]).primaryKeys()).sort()).toEqual([
      's1:b',
      's1:c',
    ]);
    expect(await db.jobs.where('[status+createdAt]').between(['success', 0], ['success', 9e15]).count()).toBe(
      1,
    );
    const running = await db.jobs.get('s1:b');
    expect(running).toMatchObject({ active: 1, currentNode: null, nodes: {}, previewCount: 0 });
    expect(running?.notifiedAt).toBeUndefined();

    expect(await db.settings.get('previews')).toEqual({ key: 'previews', value: { enabled: false } });
    // the tables v1 did not have exist and are empty
    expect(await db.nodeRuns.count()).toBe(0);
    expect(await db.blobs.count()).toBe(0);
    db.close();
  });

  it('creates an empty current database directly at the current version', async () => {
    const db = openDb(freshName());
    await db.open();
    expect(db.verno).toBe(DB_VERSION);
    expect(db.tables.map((t) => t.name).sort()).toEqual([
      'blobs',
      'connections',
      'jobs',
      'nodeRuns',
      'servers',
      'settings',
    ]);
    db.close();
  });
});

describe('database migration v2 → v3', () => {
  it('keeps every blob and answers the new [kind+createdAt] index over rows written by v2', async () => {
    const name = freshName();
    const v2 = new Dexie(name);
    v2.version(2).stores(SCHEMA_V2);
    const blob = (key: string, kind: string, createdAt: number) => ({
      key,
      jobKey: key.split(':').slice(0, 2).join(':'),
      kind,
      mime: 'image/webp',
      data: new Blob([new Uint8Array(10)]),
      size: 10,
      createdAt,
    });
    await v2
      .table('jobs')
      .put({ key: 's1:a', serverId: 's1', promptId: 'a', status: 'success', createdAt: 1 });
    await v2
      .table('blobs')
      .bulkPut([
        blob('s1:a:thumb', 'thumb', 300),
        blob('s1:a:preview', 'preview', 100),
        blob('s1:b:thumb', 'thumb', 200),
      ]);
    v2.close();

    const db = openDb(name);
    await db.open();
    expect(db.verno).toBe(3);
    expect(await db.blobs.count()).toBe(3);
    expect(await db.jobs.get('s1:a')).toMatchObject({ status: 'success' });
    const thumbsOldestFirst = await db.blobs
      .where('[kind+createdAt]')
      .between(['thumb', 0], ['thumb', Number.MAX_SAFE_INTEGER])
      .primaryKeys();
    expect(thumbsOldestFirst).toEqual(['s1:b:thumb', 's1:a:thumb']);
    expect(
      await db.blobs.where('[kind+createdAt]').between(['timelapse', 0], ['timelapse', 9e15]).count(),
    ).toBe(0);
    db.close();
  });
});
