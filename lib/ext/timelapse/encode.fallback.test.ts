/**
 * Where WebCodecs cannot encode the video codec (no `VideoEncoder`, or none for the codec), the timelapse is
 * a GIF, and says why. The video path itself needs a browser: `e2e/timelapse-media.spec.ts`.
 */
import { GifReader } from 'omggif';
import { describe, expect, it, vi } from 'vitest';
import { fakeRasterEnv, solidFrame } from '../media/testing';
import { encodeTimelapse } from './encode';
import { DEFAULT_VIDEO, videoSize, webCodecsPick } from './webm';

const frames = Array.from({ length: 6 }, (_, i) => solidFrame(i * 40, 20, 200));

describe('timelapse format', () => {
  it('falls back to a GIF that carries the reason when the browser cannot encode the video', async () => {
    const pickCodec = vi.fn(async () => ({ reason: 'this browser cannot encode AV1 or VP8 video' }));
    const out = await encodeTimelapse(
      { frames, maxSide: 129 },
      { raster: fakeRasterEnv(), video: { pickCodec } },
    );
    // probed once, at the largest even size the request allows
    expect(pickCodec).toHaveBeenCalledWith(DEFAULT_VIDEO, 128, 128);
    expect(out).toMatchObject({
      mime: 'image/gif',
      frames: 6,
      fallback: 'this browser cannot encode AV1 or VP8 video',
    });
    expect(new GifReader(out!.bytes).numFrames()).toBe(6);
  });

  it('asks nothing of WebCodecs when a GIF is requested', async () => {
    const pickCodec = vi.fn(async () => ({ codec: 'av1' as const }));
    const out = await encodeTimelapse(
      { frames, maxSide: 64, format: 'gif' },
      { raster: fakeRasterEnv(), video: { pickCodec } },
    );
    expect(pickCodec).not.toHaveBeenCalled();
    expect(out?.fallback).toBeUndefined();
    expect(out?.mime).toBe('image/gif');
  });

  it('names a missing VideoEncoder as the reason (Node has none)', async () => {
    expect(typeof (globalThis as { VideoEncoder?: unknown }).VideoEncoder).toBe('undefined');
    expect(await webCodecsPick(DEFAULT_VIDEO, 256, 256)).toEqual({
      reason: 'WebCodecs VideoEncoder is not available here',
    });
  });

  it.each([
    [512, 384, 256, 256, 192],
    [1216, 832, 256, 256, 174],
    [333, 999, 256, 84, 256],
    [3, 3, 256, 2, 2],
    [1, 600, 256, 2, 256],
  ])('a %ix%i source within %i px is a %ix%i video (even sides)', (w, h, max, ew, eh) => {
    expect(videoSize(w, h, max)).toEqual({ width: ew, height: eh });
  });
});
