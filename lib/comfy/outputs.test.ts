import { describe, expect, it } from 'vitest';
import { jobOutputFiles, outputFiles } from './outputs';
import type { NodeOutput } from './types';

const png = { filename: 'a.png', subfolder: '', type: 'output' };

describe('outputFiles: the files of one node output', () => {
  it.each<[string, NodeOutput | null | undefined, unknown[]]>([
    ['null (a cached node without UI output)', null, []],
    ['undefined', undefined, []],
    ['an images list', { images: [png] }, [png]],
    [
      'a missing subfolder as "" and a missing or empty type as output, as /view reads them',
      { images: [{ filename: 'b.png' }, { filename: 'c.png', subfolder: 7, type: '' }] },
      [
        { filename: 'b.png', subfolder: '', type: 'output' },
        { filename: 'c.png', subfolder: '', type: 'output' },
      ],
    ],
    [
      'extra keys of an entry kept (metadata, id, preview_id, display_name)',
      { images: [{ ...png, metadata: { width: 64 }, id: 'asset-1', display_name: 'A' }] },
      [{ ...png, metadata: { width: 64 }, id: 'asset-1', display_name: 'A' }],
    ],
    [
      'no entry without a non-empty string filename, nor a non-object entry',
      { images: [{ bogus: true }, { filename: '' }, { filename: 3 }, 'a.png', null, [png], png] },
      [png],
    ],
    [
      'no lists of other things (text, animated) and no non-list values',
      { text: ['hello'], animated: [true], images: png, gifs: 'x', merge: true },
      [],
    ],
  ])('%s', (_what, output, files) => {
    expect(outputFiles(output)).toStrictEqual(files);
  });

  it('lists the media kinds in one order whatever the key order (jsonb reorders keys), then other lists', () => {
    const file = (filename: string) => ({ filename, subfolder: '', type: 'output' });
    const output = {
      result: [file('custom.bin')],
      '3d': [file('mesh.glb')],
      audio: [file('a.flac')],
      video: [file('v.mp4')],
      gifs: [file('g.webp'), file('h.webp')],
      images: [file('i.png')],
    };
    expect(outputFiles(output).map((f) => f.filename)).toEqual([
      'i.png',
      'g.webp',
      'h.webp',
      'v.mp4',
      'a.flac',
      'mesh.glb',
      'custom.bin',
    ]);
  });
});

describe('jobOutputFiles: the files of every node of a job', () => {
  it('lists node by node, each file with its node and its list', () => {
    const outputs = {
      '9': { images: [png, { bogus: true }] },
      '12': { text: ['hello'], gifs: [{ filename: 'b.webp', subfolder: 'anim', type: 'temp' }] },
      '13': null,
      '14': { audio: [{ filename: 'c.flac', subfolder: '', type: 'output' }] },
    };
    expect(jobOutputFiles(outputs).map((o) => [o.nodeId, o.kind, o.file.filename])).toEqual([
      ['9', 'images', 'a.png'],
      ['12', 'gifs', 'b.webp'],
      ['14', 'audio', 'c.flac'],
    ]);
  });
});
