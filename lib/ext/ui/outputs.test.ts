import { describe, expect, it } from 'vitest';
import { ComfyHttp } from '../../comfy/http';
import { firstImage, viewUrl } from './outputs';

describe('job outputs', () => {
  it.each<[string, Record<string, Record<string, unknown>>, string | undefined]>([
    [
      'the first image-kind file',
      {
        '14': { audio: [{ filename: 'c.flac', subfolder: '', type: 'output' }] },
        '9': { images: [{ bogus: true }, { filename: 'a.png', subfolder: '', type: 'output' }] },
        '12': { gifs: [{ filename: 'b.webp', subfolder: 'anim', type: 'temp' }] },
      },
      'a.png',
    ],
    ['an image file in another list', { '3': { result: [{ filename: 'x.JPG' }] } }, 'x.JPG'],
    [
      'none without images',
      { '14': { audio: [{ filename: 'c.flac', subfolder: '', type: 'output' }] } },
      undefined,
    ],
  ])('a card shows %s', (_what, outputs, filename) => {
    expect(firstImage(outputs)?.file.filename).toBe(filename);
  });

  it('builds /view URLs with every parameter encoded', () => {
    const url = new URL(
      viewUrl('http://127.0.0.1:8188/', { filename: 'a b&c.png', subfolder: 'x/y', type: 'temp' }),
    );
    expect(url.origin).toBe('http://127.0.0.1:8188');
    expect(url.pathname.endsWith('/view')).toBe(true);
    expect(url.searchParams.get('filename')).toBe('a b&c.png');
    expect(url.searchParams.get('subfolder')).toBe('x/y');
    expect(url.searchParams.get('type')).toBe('temp');
    expect(url.searchParams.has('token')).toBe(false);
  });

  it.each([
    ['http://127.0.0.1:8188', { filename: 'x.png', subfolder: '', type: 'output' }],
    ['https://host/comfy/', { filename: 'a b.webp', subfolder: 'd/e', type: 'temp' }],
  ])('builds the same URL as lib/comfy ComfyHttp.viewUrl for %s', (base, file) => {
    expect(viewUrl(base, file)).toBe(new ComfyHttp({ baseUrl: base }).viewUrl(file));
  });
});
