import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, getSettings, saveSettings } from './settings';
import { freshDb } from './testing/records';

describe('settings', () => {
  it('reads the documented defaults from an empty database', async () => {
    const s = await getSettings(freshDb());
    expect(s).toEqual({
      notifications: { onSuccess: true, onFailure: true, onInterrupted: true, onQueueEmpty: false },
      previews: { enabled: true },
      timelapse: { enabled: true, maxFrames: 64, maxSide: 256 },
      retention: { maxJobs: 1000, maxDays: 30 },
      previewBudgetBytes: 50 * 1024 * 1024,
      sync: { enabled: false, url: '', apiKey: '' },
    });
    expect(s).toEqual(DEFAULT_SETTINGS);
  });

  it('merges a patch field by field and persists it', async () => {
    const db = freshDb();
    await saveSettings(db, { notifications: { onQueueEmpty: true }, retention: { maxJobs: 50 } });
    const s = await getSettings(db);
    expect(s.notifications).toEqual({
      onSuccess: true,
      onFailure: true,
      onInterrupted: true,
      onQueueEmpty: true,
    });
    expect(s.retention).toEqual({ maxJobs: 50, maxDays: 30 });
  });

  it.each([
    [{ retention: { maxJobs: -1 } }],
    [{ sync: { url: 'javascript:alert(1)' } }],
    [{ previewBudgetBytes: 'lots' as unknown as number }],
    [{ timelapse: { maxFrames: 1 } }],
    [{ timelapse: { maxFrames: 257 } }],
    [{ timelapse: { maxSide: 32 } }],
    [{ timelapse: { maxSide: 64.5 } }],
  ])('rejects the invalid patch %o and writes nothing', async (patch) => {
    const db = freshDb();
    await expect(saveSettings(db, patch)).rejects.toThrow();
    expect(await db.settings.count()).toBe(0);
  });

  it('falls back per field when a stored section is corrupt', async () => {
    const db = freshDb();
    await db.settings.put({ key: 'notifications', value: { onSuccess: false, onFailure: 'yes' } });
    await db.settings.put({ key: 'previewBudgetBytes', value: null });
    const s = await getSettings(db);
    expect(s.notifications).toEqual({ ...DEFAULT_SETTINGS.notifications, onSuccess: false });
    expect(s.previewBudgetBytes).toBe(DEFAULT_SETTINGS.previewBudgetBytes);
  });
});
