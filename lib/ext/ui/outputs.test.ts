import { describe, expect, it } from 'vitest';
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
});
