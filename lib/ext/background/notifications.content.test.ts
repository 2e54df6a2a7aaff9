import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Translate } from '../i18n';
import { DEFAULT_SETTINGS, getSettings, saveSettings } from '../settings';
import { loadTranslator } from '../testing/i18n';
import { freshDb, makeJob, makeServer } from '../testing/records';
import {
  type AnnounceDeps,
  announceJob,
  announcePending,
  blobToDataUrl,
  jobKeyFromNotificationId,
  type NotificationContent,
  notificationFor,
  wantsNotification,
} from './notifications';

let t: Translate;
beforeAll(async () => {
  t = await loadTranslator('en');
});

const media = { iconUrl: 'icon/128.png' };

describe('notification content', () => {
  it('announces success with the duration and the thumbnail as image', () => {
    const job = makeJob('s', 'abcdef123456', 'success', 0, { startedAt: 1000, endedAt: 73_000 });
    const n = notificationFor(job, 'Local ComfyUI', t, {
      ...media,
      thumbDataUrl: 'data:image/webp;base64,AA==',
    });
    expect(n).toEqual({
      type: 'image',
      imageUrl: 'data:image/webp;base64,AA==',
      iconUrl: 'icon/128.png',
      title: 'Job finished on Local ComfyUI',
      message: 'Done in 1 min 12 s.',
      contextMessage: 'Job abcdef12',
      priority: 0,
    });
    expect(notificationFor(job, 'L', t, media)?.type).toBe('basic');
  });

  it('names the failing node by class type and id, with the message', () => {
    const job = makeJob('s', 'p1', 'error', 0, {
      classTypes: { '4': 'CheckpointLoaderSimple' },
      error: { nodeId: '4', message: 'Value not in list:\n ckpt_name', traceback: [] },
    });
    const n = notificationFor(job, 'L', t, media);
    expect(n?.title).toBe('Job failed on L');
    expect(n?.message).toBe('CheckpointLoaderSimple (#4) failed: Value not in list: ckpt_name');
  });

  it.each([
    [{ nodeId: '3', nodeType: 'KSampler' }, 'Stopped at KSampler (#3).'],
    [undefined, 'The job was stopped before it finished.'],
  ])('says where an interrupted job stopped (%o)', (interruptedAt, message) => {
    const job = makeJob('s', 'p', 'interrupted', 0, interruptedAt ? { interruptedAt } : {});
    expect(notificationFor(job, 'L', t, media)?.message).toBe(message);
  });

  it.each([
    ['success', { onSuccess: false }, false],
    ['success', {}, true],
    ['error', { onFailure: false }, false],
    ['lost', {}, true],
    ['interrupted', { onInterrupted: false }, false],
    ['cancelled', {}, false],
    ['running', {}, false],
  ] as const)('status %s with prefs %o → notify %s', (status, prefs, expected) => {
    expect(wantsNotification({ status }, { ...DEFAULT_SETTINGS.notifications, ...prefs })).toBe(expected);
  });

  it('encodes a blob as a data URL', async () => {
    expect(await blobToDataUrl(new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' }))).toBe(
      'data:image/png;base64,AQID',
    );
  });

  it('maps a notification id back to its job key', () => {
    expect(jobKeyFromNotificationId('job:s1:abc')).toBe('s1:abc');
    expect(jobKeyFromNotificationId('queue-empty:s1')).toBeUndefined();
  });
});

describe('announcing finished jobs exactly once', () => {
  function setup() {
    const db = freshDb('notify');
    const created: [string, NotificationContent][] = [];
    const deps: AnnounceDeps = {
      db,
      t,
      iconUrl: 'i.png',
      now: () => 100_000,
      settings: () => getSettings(db),
      notifications: {
        create: async (id, o) => {
          created.push([id, o]);
        },
      },
    };
    return { db, created, deps };
  }

  it('shows one notification per job however often it is asked, with the stored thumbnail', async () => {
    const { db, created, deps } = setup();
    await db.servers.put(makeServer('s', 'http://127.0.0.1:8188', { name: 'Box' }));
    await db.jobs.put(makeJob('s', 'p', 'success', 90_000, { startedAt: 90_000, endedAt: 95_000 }));
    await db.blobs.put({
      key: 's:p:thumb',
      jobKey: 's:p',
      kind: 'thumb',
      mime: 'image/webp',
      data: new Blob([new Uint8Array([9])], { type: 'image/webp' }),
      size: 1,
      createdAt: 1,
    });
    const results = await Promise.all([
      announceJob(deps, 's:p'),
      announceJob(deps, 's:p'),
      announceJob(deps, 's:p'),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(created).toHaveLength(1);
    expect(created[0]![0]).toBe('job:s:p');
    expect(created[0]![1]).toMatchObject({
      type: 'image',
      imageUrl: 'data:image/webp;base64,CQ==',
      title: 'Job finished on Box',
    });
    expect((await db.jobs.get('s:p'))?.notifiedAt).toBe(100_000);
  });

  it('announces after a restart only recent, unannounced, terminal jobs; and queue-empty when asked', async () => {
    const { db, created, deps } = setup();
    await saveSettings(db, { notifications: { onQueueEmpty: true } });
    await db.jobs.bulkPut([
      makeJob('s', 'recent', 'error', 98_000, { endedAt: 99_000, error: { message: 'boom', traceback: [] } }),
      makeJob('s', 'old', 'success', 0, { endedAt: 1000 }),
      makeJob('s', 'told', 'success', 97_000, { endedAt: 99_000, notifiedAt: 99_500 }),
      makeJob('s2', 'busy', 'running', 97_000),
    ]);
    expect(await announcePending(deps, 60_000)).toBe(1);
    expect(created.map(([id]) => id)).toEqual(['job:s:recent', 'queue-empty:s']);
    expect(created[0]![1].message).toBe('The job failed: boom');
  });

  it('claims but does not show a notification the settings turned off', async () => {
    const { db, created, deps } = setup();
    await saveSettings(db, { notifications: { onSuccess: false } });
    await db.jobs.put(makeJob('s', 'p', 'success', 99_000));
    expect(await announceJob(deps, 's:p')).toBe(false);
    expect(created).toHaveLength(0);
    expect((await db.jobs.get('s:p'))?.notifiedAt).toBe(100_000);
  });
});

describe('a thumbnail the browser cannot load', () => {
  it('falls back to a basic notification instead of losing it', async () => {
    const db = freshDb('notify');
    await db.jobs.put(makeJob('s', 'p', 'success', 99_000));
    await db.blobs.put({
      key: 's:p:thumb',
      jobKey: 's:p',
      kind: 'thumb',
      mime: 'image/png',
      data: new Blob([new Uint8Array([1])], { type: 'image/png' }),
      size: 1,
      createdAt: 1,
    });
    const created: NotificationContent[] = [];
    const ok = await announceJob(
      {
        db,
        t,
        iconUrl: 'i.png',
        now: () => 100_000,
        settings: () => getSettings(db),
        notifications: {
          create: async (_id, o) => {
            if (o.type === 'image') throw new Error('Unable to download all specified images.');
            created.push(o);
          },
        },
      },
      's:p',
    );
    expect(ok).toBe(true);
    expect(created).toHaveLength(1);
    expect(created[0]).not.toHaveProperty('imageUrl');
    expect(created[0]!.type).toBe('basic');
  });
});
