import { describe, expect, it } from 'vitest';
import { fitWithin } from './fit';
import { fakeRasterEnv } from './testing';
import { makeThumbnail, THUMB_MAX_SIDE } from './thumbnail';

describe('fitWithin', () => {
  it.each([
    [1024, 1024, 256, 256, 256],
    [1216, 832, 256, 256, 175],
    [832, 1216, 256, 175, 256],
    [200, 100, 256, 200, 100],
    [4000, 1, 256, 256, 1],
    [64, 64, 256, 64, 64],
  ])('%ix%i within %i px is %ix%i', (w, h, max, ew, eh) => {
    expect(fitWithin(w, h, max)).toEqual({ width: ew, height: eh });
  });
});

describe('makeThumbnail', () => {
  it.each([
    [1024, 1024, '256x256'],
    [1216, 832, '256x175'],
    [128, 96, '128x96'],
  ])('a %ix%i output becomes a WebP of %s', async (w, h, size) => {
    const thumb = await makeThumbnail(new Blob([new Uint8Array([1, 2, 3])]), fakeRasterEnv(w, h));
    expect(thumb.type).toBe('image/webp');
    expect(await thumb.text()).toBe(`image/webp ${size}`);
  });

  it('fails on bytes the browser cannot decode, so no broken thumbnail is stored', async () => {
    await expect(makeThumbnail(new Blob([]), fakeRasterEnv())).rejects.toThrow(/could not be decoded/);
  });

  it('caps thumbnails at 256 px', () => {
    expect(THUMB_MAX_SIDE).toBe(256);
  });
});
