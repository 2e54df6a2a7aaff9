import 'fake-indexeddb/auto';
import { GifReader } from 'omggif';
import { describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../comfy/testing/fake-clock';
import { fakeRasterEnv, solidFrame } from '../media/testing';
import { DEFAULT_SETTINGS } from '../settings';
import { timelapseBlobKey } from '../storage/repo';
import { freshDb, makeJob } from '../testing/records';
import { encodeTimelapse } from './encode';
import {
  MAX_FRAME_BYTES,
  PAGE_OPEN_HOLD_MS,
  type RecorderSettings,
  type TimelapseEncoder,
  TimelapseRecorder,
} from './recorder';

// The GIF path, which runs in Node; the video path needs WebCodecs and is tested in browsers (e2e/timelapse-media.spec.ts).
const realEncoder: TimelapseEncoder = {
  encode: (req) => encodeTimelapse({ ...req, format: 'gif' }, { raster: fakeRasterEnv() }),
};

function settings(
  over: Partial<RecorderSettings['timelapse']> = {},
  budget = 50 * 1024 * 1024,
): RecorderSettings {
  return { timelapse: { ...DEFAULT_SETTINGS.timelapse, ...over }, previewBudgetBytes: budget };
}

async function setup(encoder: TimelapseEncoder = realEncoder, s: RecorderSettings = settings()) {
  const db = freshDb('timelapse');
  const log = vi.fn();
  const recorder = new TimelapseRecorder({ db, clock: new FakeClock(), encoder, log });
  recorder.configure(s);
  return { db, recorder, log };
}

function feed(recorder: TimelapseRecorder, jobKey: string, n: number) {
  for (let i = 0; i < n; i++) {
    const f = solidFrame(i % 256, 255 - (i % 256), 40);
    recorder.addFrame(jobKey, f.mime, f.bytes);
  }
}

async function storedFrames(db: ReturnType<typeof freshDb>, jobKey: string) {
  const rec = await db.blobs.get(timelapseBlobKey(jobKey));
  if (!rec) return undefined;
  const reader = new GifReader(new Uint8Array(await rec.data.arrayBuffer()));
  return { rec, decodedFrames: reader.numFrames(), width: reader.width, height: reader.height };
}

describe('TimelapseRecorder', () => {
  it.each([
    [12, 64, 12],
    [1, 64, 1],
    [200, 64, 64],
    [200, 10, 10],
  ])('%i previews with a cap of %i store a GIF that decodes to %i frames', async (n, cap, expected) => {
    const { db, recorder } = await setup(realEncoder, settings({ maxFrames: cap, maxSide: 128 }));
    await db.jobs.put(makeJob('s', 'p', 'success', 1));
    feed(recorder, 's:p', n);
    await recorder.finish('s:p');
    const got = await storedFrames(db, 's:p');
    expect(got?.decodedFrames).toBe(expected);
    expect(got?.rec).toMatchObject({ kind: 'timelapse', mime: 'image/gif', frames: expected, jobKey: 's:p' });
    // 512x384 sources fitted within 128 px
    expect([got?.width, got?.height]).toEqual([128, 96]);
    expect(got?.rec.size).toBe(got?.rec.data.size);
    expect(recorder.recording).toBe(0);
  });

  it('skips undecodable frames instead of losing the animation', async () => {
    const { db, recorder } = await setup();
    await db.jobs.put(makeJob('s', 'p', 'success', 1));
    feed(recorder, 's:p', 5);
    recorder.addFrame('s:p', 'image/jpeg', new Uint8Array(0));
    feed(recorder, 's:p', 5);
    await recorder.finish('s:p');
    expect((await storedFrames(db, 's:p'))?.decodedFrames).toBe(10);
  });

  it('stores nothing when no frame decodes, when disabled, or for a job without previews', async () => {
    const { db, recorder } = await setup();
    await db.jobs.bulkPut([makeJob('s', 'bad', 'error', 1), makeJob('s', 'none', 'success', 1)]);
    recorder.addFrame('s:bad', 'image/jpeg', new Uint8Array(0));
    await recorder.finish('s:bad');
    await recorder.finish('s:none');
    recorder.configure(settings({ enabled: false }));
    await db.jobs.put(makeJob('s', 'off', 'success', 1));
    feed(recorder, 's:off', 5);
    await recorder.finish('s:off');
    expect(await db.blobs.count()).toBe(0);
  });

  it('never samples a full-size image sent as a preview', async () => {
    const { db, recorder } = await setup();
    await db.jobs.put(makeJob('s', 'p', 'success', 1));
    recorder.addFrame('s:p', 'image/png', new Uint8Array(MAX_FRAME_BYTES + 1));
    await recorder.finish('s:p');
    expect(recorder.recording).toBe(0);
    expect(await db.blobs.count()).toBe(0);
  });

  it('stores no orphan when retention removed the job while it encoded', async () => {
    const { db, recorder } = await setup();
    feed(recorder, 's:gone', 4);
    await recorder.finish('s:gone');
    expect(await db.blobs.count()).toBe(0);
  });

  it('keeps within the byte budget by evicting the oldest timelapse, never the new one or a job', async () => {
    const { db, recorder } = await setup();
    await db.jobs.bulkPut([makeJob('s', 'a', 'success', 1), makeJob('s', 'b', 'success', 2)]);
    feed(recorder, 's:a', 8);
    await recorder.finish('s:a');
    const first = (await db.blobs.get(timelapseBlobKey('s:a')))!.size;
    recorder.configure(settings({}, first + 10));
    feed(recorder, 's:b', 8);
    await recorder.finish('s:b');
    expect((await db.blobs.toArray()).map((b) => b.key)).toEqual([timelapseBlobKey('s:b')]);
    expect(await db.jobs.count()).toBe(2);
  });

  it('asks the encoder to hold off for a page that opens', async () => {
    const holds: number[] = [];
    const { recorder } = await setup({ ...realEncoder, hold: (ms) => holds.push(ms) });
    recorder.pageOpened();
    expect(holds).toEqual([PAGE_OPEN_HOLD_MS]);
  });

  it('runs encodes one at a time, in the order jobs ended, and a failure costs only that job', async () => {
    let running = 0;
    let maxRunning = 0;
    const order: number[] = [];
    const encoder: TimelapseEncoder = {
      async encode(req) {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        order.push(req.frames.length);
        if (req.frames.length === 2) throw new Error('boom');
        return realEncoder.encode(req);
      },
    };
    const { db, recorder, log } = await setup(encoder);
    await db.jobs.bulkPut([1, 2, 3].map((n) => makeJob('s', `j${n}`, 'success', n)));
    for (const n of [1, 2, 3]) feed(recorder, `s:j${n}`, n);
    const done = [1, 2, 3].map((n) => recorder.finish(`s:j${n}`));
    await Promise.all(done);
    expect(maxRunning).toBe(1);
    expect(order).toEqual([1, 2, 3]);
    expect((await db.blobs.toArray()).map((b) => b.jobKey).sort()).toEqual(['s:j1', 's:j3']);
    expect(log).toHaveBeenCalledWith('timelapse of s:j2 failed', expect.any(Error));
  });

  it('samples at most MAX_JOBS jobs at once, dropping the oldest', async () => {
    const { recorder } = await setup();
    for (let i = 0; i < 40; i++) feed(recorder, `s:j${i}`, 1);
    expect(recorder.recording).toBe(16);
  });
});
