import { describe, expect, it } from 'vitest';
import { ComfyHttp } from '../../comfy/http';
import { firstImage, outputFiles, viewUrl } from './outputs';

describe('job outputs', () => {
  const outputs = {
    '9': { images: [{ filename: 'a.png', subfolder: '', type: 'output' }, { bogus: true }] },
    '12': { gifs: [{ filename: 'b.webp', subfolder: 'anim', type: 'temp' }], text: ['hello'] },
    '13': null as unknown as Record<string, unknown>,
    '14': { audio: [{ filename: 'c.flac', subfolder: '', type: 'output' }] },
  };

  it('lists every well-formed file and skips malformed entries', () => {
    expect(outputFiles(outputs).map((o) => [o.nodeId, o.kind, o.file.filename])).toEqual([
      ['9', 'images', 'a.png'],
      ['12', 'gifs', 'b.webp'],
      ['14', 'audio', 'c.flac'],
    ]);
    expect(firstImage(outputs)?.file.filename).toBe('a.png');
    expect(firstImage({ '14': outputs['14'] })).toBeUndefined();
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
