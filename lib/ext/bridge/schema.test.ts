import { describe, expect, it } from 'vitest';
import { MAX_TAB_FRAMES, MAX_TAB_MESSAGE_CHARS, parseTabFrames } from './schema';
import { TAP_PREVIEW_MAX_BYTES } from './tap';

const progress = { type: 'progress', data: { value: 1, max: 4, prompt_id: 'p', node: '2' } };
// the largest preview the tap relays, as base64
const bigPreview = {
  type: 'preview',
  data: { prompt_id: 'p', mime: 'image/jpeg', image: 'A'.repeat(Math.ceil((TAP_PREVIEW_MAX_BYTES * 4) / 3)) },
};

describe('what the engine takes from the tab bridge', () => {
  it.each([
    ['one wire frame', { frames: [progress] }, 1],
    ['a batch at the frame cap', { frames: Array(MAX_TAB_FRAMES).fill(progress) }, MAX_TAB_FRAMES],
    ['the largest preview the tap sends, with frames', { frames: [progress, bigPreview] }, 2],
    ['extra fields on a frame (newer taps)', { frames: [{ ...progress, seq: 3 }] }, 1],
  ])('accepts %s', (_name, payload, count) => {
    expect(parseTabFrames(payload)).toHaveLength(count);
  });

  it.each([
    ['one frame too many', { frames: Array(MAX_TAB_FRAMES + 1).fill(progress) }],
    ['a type the tap never relays', { frames: [{ type: 'executing', data: { node: '2' } }] }],
    ['a command disguised as a frame', { frames: [{ type: 'bg:saveServer', data: {} }] }],
    ['data that is no object', { frames: [{ type: 'progress', data: 'x' }] }],
    ['no frames', {}],
    ['not an object', 'frames'],
    [
      'a payload over the size cap',
      { frames: [{ ...progress, data: { pad: 'x'.repeat(MAX_TAB_MESSAGE_CHARS) } }] },
    ],
  ])('refuses %s', (_name, payload) => {
    expect(parseTabFrames(payload)).toBeNull();
  });

  it('refuses what cannot be serialised', () => {
    const data: Record<string, unknown> = {};
    data.self = data;
    expect(parseTabFrames({ frames: [{ type: 'progress', data }] })).toBeNull();
  });
});
