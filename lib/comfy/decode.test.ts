import { describe, expect, it } from 'vitest';
import { FrameDecoder } from './decode';
import { loadTraceFrames, TRACE_NAMES } from './testing/traces';
import type { ComfyEvent } from './types';

type Preview = Extract<ComfyEvent, { type: 'preview' }>;
const enc = new TextEncoder();

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, false);
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);

describe('FrameDecoder on text frames', () => {
  it('decodes a JSON frame into its event and counts it', () => {
    const d = new FrameDecoder();
    const ev = d.decode('{"type":"status","data":{"status":{"exec_info":{"queue_remaining":1}}}}');
    expect(ev).toStrictEqual({ type: 'status', queueRemaining: 1 });
    expect(d.stats).toEqual({ frames: 1, parseErrors: 0, unknownTypes: 0, unknownBinary: 0, previews: 0 });
  });

  it.each([
    ['malformed JSON', '{"type":"progress",'],
    ['a bare string', 'keepalive'],
    ['JSON null', 'null'],
    ['JSON array', '[1,2]'],
    ['JSON number', '42'],
    ['empty frame', ''],
  ])('%s becomes a counted parse_error', (_name, text) => {
    const d = new FrameDecoder();
    expect(d.decode(text)).toMatchObject({ type: 'parse_error' });
    expect(d.stats.parseErrors).toBe(1);
  });

  it('counts unknown types separately from parse errors', () => {
    const d = new FrameDecoder();
    expect(d.decode('{"type":"cm-task-started","data":{"ui_id":"x"}}')).toMatchObject({ type: 'unknown' });
    expect(d.stats).toMatchObject({ unknownTypes: 1, parseErrors: 0 });
  });

  it('accepts Python NaN tokens in text frames', () => {
    const d = new FrameDecoder();
    const ev = d.decode(
      '{"type":"execution_error","data":{"prompt_id":"p","exception_message":"m","current_inputs":{"x":[NaN]}}}',
    );
    expect(ev).toMatchObject({ type: 'execution_error', promptId: 'p', error: { message: 'm' } });
  });
});

describe('FrameDecoder on binary frames (comfyui-protocol.md §5, big-endian u32 words)', () => {
  it.each([
    [1, 'image/jpeg'],
    [2, 'image/png'],
    [99, 'application/octet-stream'],
  ])('type 1 with format %i is a preview of %s whose bytes follow the 8-byte header', (format, mime) => {
    const d = new FrameDecoder();
    const ev = d.decode(concat(u32(1), u32(format), JPEG).buffer as ArrayBuffer) as Preview;
    expect(ev).toMatchObject({ type: 'preview', mime });
    expect(ev).not.toHaveProperty('promptId');
    expect(Array.from(ev.bytes)).toEqual(Array.from(JPEG));
    expect(d.stats.previews).toBe(1);
  });

  it('preview bytes are a view into the frame, not a copy', () => {
    const frame = concat(u32(1), u32(1), JPEG);
    const ev = new FrameDecoder().decode(frame.buffer as ArrayBuffer) as Preview;
    expect(ev.bytes.buffer).toBe(frame.buffer);
    expect(ev.bytes.byteOffset).toBe(8);
  });

  it('honours the byteOffset of a view into a larger buffer (Node Buffer pools)', () => {
    const frame = concat(new Uint8Array([9, 9, 9]), u32(1), u32(2), JPEG);
    const view = new Uint8Array(frame.buffer, 3);
    const ev = new FrameDecoder().decode(
      new DataView(view.buffer, view.byteOffset, view.byteLength),
    ) as Preview;
    expect(ev.mime).toBe('image/png');
    expect(Array.from(ev.bytes)).toEqual(Array.from(JPEG));
  });

  it('type 3 is progress_text with the node id and the UTF-8 text after it', () => {
    const node = enc.encode('12:5');
    const ev = new FrameDecoder().decode(concat(u32(3), u32(node.length), node, enc.encode('Gen 3/8 ✓')));
    expect(ev).toStrictEqual({ type: 'progress_text', nodeId: '12:5', text: 'Gen 3/8 ✓' });
  });

  it('type 3 with invalid UTF-8 decodes with replacement characters instead of throwing', () => {
    const ev = new FrameDecoder().decode(concat(u32(3), u32(1), new Uint8Array([0x33, 0xff, 0xfe])));
    expect(ev).toStrictEqual({ type: 'progress_text', nodeId: '3', text: '\uFFFD\uFFFD' });
  });

  it('type 4 carries prompt, node and display node ids and the mime type from its metadata', () => {
    const meta = enc.encode(
      JSON.stringify({
        node_id: '12:5',
        prompt_id: 'p1',
        display_node_id: '12',
        parent_node_id: '12',
        real_node_id: '5',
        image_type: 'image/png',
      }),
    );
    const ev = new FrameDecoder().decode(concat(u32(4), u32(meta.length), meta, JPEG)) as Preview;
    expect(ev).toMatchObject({
      type: 'preview',
      promptId: 'p1',
      nodeId: '12:5',
      displayNodeId: '12',
      mime: 'image/png',
    });
    expect(Array.from(ev.bytes)).toEqual(Array.from(JPEG));
  });

  it.each([2, 5, 0, 0xffffffff])('type %i is ignored: counted as unknown binary, no event', (type) => {
    const d = new FrameDecoder();
    expect(d.decode(concat(u32(type), u32(1), JPEG))).toBeNull();
    expect(d.stats).toMatchObject({ frames: 1, unknownBinary: 1, parseErrors: 0 });
  });

  it.each<[string, Uint8Array]>([
    ['an empty frame', new Uint8Array(0)],
    ['a 3-byte frame', new Uint8Array([0, 0, 0])],
    ['type 1 without its format word', concat(u32(1), new Uint8Array([0, 0]))],
    ['type 3 without its length word', concat(u32(3))],
    ['type 3 whose length runs past the end', concat(u32(3), u32(10), enc.encode('abc'))],
    ['type 3 with a length near 2^32', concat(u32(3), u32(0xfffffff0), enc.encode('abc'))],
    ['type 4 without its length word', concat(u32(4), new Uint8Array([1]))],
    ['type 4 whose length runs past the end', concat(u32(4), u32(100), enc.encode('{}'))],
    ['type 4 with metadata that is not JSON', concat(u32(4), u32(3), enc.encode('{x}'), JPEG)],
    ['type 4 with metadata that is a JSON array', concat(u32(4), u32(2), enc.encode('[]'), JPEG)],
  ])('%s is a counted parse_error with a hex sample', (_name, bytes) => {
    const d = new FrameDecoder();
    const ev = d.decode(bytes);
    expect(ev).toMatchObject({ type: 'parse_error' });
    expect((ev as Extract<ComfyEvent, { type: 'parse_error' }>).sample).toMatch(/^[0-9a-f]*$/);
    expect(d.stats.parseErrors).toBe(1);
  });

  it('an unsupported payload (a Blob-like object) is a parse_error, not a throw', () => {
    const d = new FrameDecoder();
    expect(d.decode({ size: 3 } as unknown as ArrayBuffer)).toMatchObject({ type: 'parse_error' });
    expect(d.decode(null as unknown as string)).toMatchObject({ type: 'parse_error' });
  });

  it('decodes a multi-megabyte full-size preview without copying it', () => {
    const image = new Uint8Array(8 * 1024 * 1024).fill(7);
    const frame = concat(u32(1), u32(2), image);
    const ev = new FrameDecoder().decode(frame) as Preview;
    expect(ev.bytes.length).toBe(image.length);
    expect(ev.bytes.buffer).toBe(frame.buffer);
  });
});

describe('FrameDecoder on every recorded trace', () => {
  it.each(TRACE_NAMES)('%s decodes with zero parse errors and zero unknown frames', (name) => {
    const d = new FrameDecoder();
    const frames = loadTraceFrames(name);
    for (const f of frames) d.decode(f.data);
    expect(d.stats).toMatchObject({
      frames: frames.length,
      parseErrors: 0,
      unknownTypes: 0,
      unknownBinary: 0,
    });
    const binaries = frames.filter((f) => typeof f.data !== 'string').length;
    expect(d.stats.previews).toBe(binaries);
  });

  it('type-1 previews of the ok trace are JPEGs with no ids', () => {
    const d = new FrameDecoder();
    const previews = loadTraceFrames('ok', ['submitter'])
      .map((f) => d.decode(f.data))
      .filter((e): e is Preview => e?.type === 'preview');
    expect(previews).toHaveLength(8);
    for (const p of previews) {
      expect(p.mime).toBe('image/jpeg');
      expect(p.promptId).toBeUndefined();
      expect([p.bytes[0], p.bytes[1]]).toEqual([0xff, 0xd8]); // JPEG SOI marker
    }
  });

  it('type-4 previews of ok-feature-flags carry the node and prompt ids recorded beside them', () => {
    const d = new FrameDecoder();
    const frames = loadTraceFrames('ok-feature-flags', ['submitter']).filter((f) => f.line.kind === 'binary');
    expect(frames).toHaveLength(8);
    for (const f of frames) {
      const meta = f.line.metadata as { node_id: string; prompt_id: string; display_node_id: string };
      const p = d.decode(f.data) as Preview;
      expect(p).toMatchObject({
        type: 'preview',
        nodeId: meta.node_id,
        promptId: meta.prompt_id,
        displayNodeId: meta.display_node_id,
        mime: 'image/jpeg',
      });
      expect(p.bytes.length).toBe(f.line.image_bytes);
    }
  });
});
