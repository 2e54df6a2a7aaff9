/**
 * Byte-level fidelity helpers: Python json.dumps formatting, torch's tensor repr as it appears in the
 * recorded execution_error, the PNG encoder, the heap order of the queue, and CLI parsing.
 */
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseCliArgs } from './cli-args';
import { crc32, encodePng, previewFor, solidBatch, torchRepr } from './images';
import { PyFloat, pyDumps, pyLoads, pyRepr, pyStr } from './pyjson';
import { heapify, heappop, heappush, type QueueItem } from './queue';
import { loadTrace } from './testing/fixtures';

describe('pyDumps', () => {
  it.each([
    [{ a: 1, b: [true, null] }, '{"a": 1, "b": [true, null]}'],
    [new PyFloat(0), '0.0'],
    [new PyFloat(104857600), '104857600.0'],
    [0.5, '0.5'],
    [Number.NaN, 'NaN'],
    ['é\n"', '"\\u00e9\\n\\""'],
    ['😀', '"\\ud83d\\ude00"'],
  ])('dumps %j as %s', (value, text) => {
    expect(pyDumps(value)).toBe(text);
  });

  it('reproduces a recorded progress_state frame byte for byte', () => {
    const frame = {
      type: 'progress_state',
      data: {
        prompt_id: 'p',
        nodes: {
          '1': {
            value: new PyFloat(0),
            max: new PyFloat(1),
            state: 'running',
            node_id: '1',
            prompt_id: 'p',
            display_node_id: '1',
            parent_node_id: null,
            real_node_id: '1',
          },
        },
      },
    };
    expect(pyDumps(frame)).toBe(
      '{"type": "progress_state", "data": {"prompt_id": "p", "nodes": {"1": {"value": 0.0, "max": 1.0, "state": "running", "node_id": "1", "prompt_id": "p", "display_node_id": "1", "parent_node_id": null, "real_node_id": "1"}}}}',
    );
  });

  it('parses the NaN/Infinity tokens Python emits', () => {
    expect(pyLoads('{"a": NaN, "b": [Infinity, -Infinity], "c": "NaN"}')).toEqual({
      a: Number.NaN,
      b: [Infinity, -Infinity],
      c: 'NaN',
    });
    expect(() => pyLoads('{bad')).toThrow(SyntaxError);
  });

  it('formats str()/repr() like Python', () => {
    expect(pyStr(null)).toBe('None');
    expect(pyStr(true)).toBe('True');
    expect(pyRepr({ a: ['x', 1] })).toBe("{'a': ['x', 1]}");
  });
});

describe('torchRepr', () => {
  it('matches the tensor string in the recorded PeerFail current_inputs', () => {
    const err = loadTrace('fail').find(
      (l) => l.kind === 'text' && (l.msg as { type: string }).type === 'execution_error',
    )!;
    const recorded = (err.msg as { data: { current_inputs: { image: string[] } } }).data.current_inputs
      .image[0];
    // PeerSteps output for a black 64x64 input and seed 0: r = x/126, g = y/126, b = 0.5.
    const px = new Float32Array(64 * 64 * 3);
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        px.set([0.5 * (x / 63), 0.5 * (y / 63), 0.5], (y * 64 + x) * 3);
      }
    }
    expect(torchRepr({ width: 64, height: 64, images: [px] })).toBe(recorded);
  });

  it('prints integral tensors in torch int mode', () => {
    expect(torchRepr(solidBatch(1, 2, 1, [0, 1, 0]))).toBe(
      'tensor([[[[0., 1., 0.]],\n\n         [[0., 1., 0.]]]])',
    );
  });
});

describe('encodePng', () => {
  it('writes a valid RGB PNG with CRCs and tEXt chunks', () => {
    const png = encodePng(solidBatch(3, 2, 1, [1, 0, 0.5]), 0, { prompt: '{}' });
    let off = 8;
    const chunks: string[] = [];
    while (off < png.length) {
      const len = png.readUInt32BE(off);
      const type = png.subarray(off + 4, off + 8).toString('latin1');
      expect(png.readUInt32BE(off + 8 + len)).toBe(crc32(png.subarray(off + 4, off + 8 + len)));
      if (type === 'IDAT') {
        const raw = inflateSync(png.subarray(off + 8, off + 8 + len));
        expect([...raw.subarray(0, 4)]).toEqual([0, 255, 0, 128]);
      }
      chunks.push(type);
      off += 12 + len;
    }
    expect(chunks).toEqual(['IHDR', 'tEXt', 'IDAT', 'IEND']);
  });
});

describe('previews', () => {
  it.each([
    ['ok', 8],
    ['fail', 3],
  ])('sends the frames of the real %s run (%i steps) byte for byte', (trace, steps) => {
    const frames = loadTrace(trace).filter((l) => l.kind === 'binary');
    expect(frames).toHaveLength(steps);
    frames.forEach((l, i) => {
      expect(previewFor(i + 1, steps).equals(Buffer.from(l.head_b64 as string, 'base64').subarray(8))).toBe(
        true,
      );
    });
  });

  it.each([5, 12, 60])('never repeats a frame on consecutive steps of a %i-step run', (steps) => {
    for (let s = 1; s < steps; s++) expect(previewFor(s, steps).equals(previewFor(s + 1, steps))).toBe(false);
  });
});

describe('queue heap', () => {
  const item = (n: number, id: string): QueueItem => [n, id, {}, {}, []];

  it('pops by number, then prompt_id, like heapq on tuples', () => {
    const heap: QueueItem[] = [];
    for (const [n, id] of [
      [3, 'c'],
      [1, 'b'],
      [1, 'a'],
      [-2, 'z'],
    ] as const) {
      heappush(heap, item(n, id));
    }
    expect(heap.map((i) => i[1])).toEqual(['z', 'a', 'b', 'c']);
    const out: string[] = [];
    while (heap.length > 0) out.push(heappop(heap)![1]);
    expect(out).toEqual(['z', 'a', 'b', 'c']);
  });

  it('keeps heap (not sorted) order after heapify', () => {
    const heap = [item(5, 'a'), item(4, 'b'), item(3, 'c'), item(2, 'd'), item(1, 'e')];
    heapify(heap);
    expect(heap.map((i) => i[0])).toEqual([1, 2, 3, 5, 4]);
  });
});

describe('parseCliArgs', () => {
  it('parses the documented flags', () => {
    expect(
      parseCliArgs([
        '--port',
        '18188',
        '--no-origin-check',
        '--enable-cors-header',
        '--sec-fetch-guard',
        '--jobs-api',
        '--legacy-interrupt',
        '--preview-method',
        'none',
        '--time-scale',
        '0.5',
      ]),
    ).toEqual({
      host: '127.0.0.1',
      port: 18188,
      originCheck: false,
      corsHeader: '*',
      secFetchGuard: true,
      jobsApi: true,
      promptScopedInterrupt: false,
      previewMethod: 'none',
      timeScale: 0.5,
      quiet: false,
    });
    expect(parseCliArgs(['--enable-cors-header', 'chrome-extension://abc']).corsHeader).toBe(
      'chrome-extension://abc',
    );
  });

  it.each([
    [['--port', 'x']],
    [['--time-scale', '0']],
    [['--preview-method', 'fast']],
    [['--bogus']],
    [['--port']],
  ])('rejects %j', (argv) => {
    expect(() => parseCliArgs(argv)).toThrow();
  });
});

describe('history cap', () => {
  it('keeps at most MAXIMUM_HISTORY_SIZE + 1 entries, dropping the oldest (the server checks before inserting)', async () => {
    const { PromptQueue, MAXIMUM_HISTORY_SIZE } = await import('./queue');
    const q = new PromptQueue(() => {});
    for (let i = 0; i < MAXIMUM_HISTORY_SIZE + 5; i++) {
      q.put([i, `p${i}`, {}, {}, []]);
      const got = await q.get({ cancelled: false });
      q.taskDone(
        got![1],
        { outputs: {}, meta: {} },
        { status_str: 'success', completed: true, messages: [] },
      );
    }
    expect(q.history.size).toBe(MAXIMUM_HISTORY_SIZE + 1);
    expect(q.history.has('p0')).toBe(false);
    expect(q.history.has(`p${MAXIMUM_HISTORY_SIZE + 4}`)).toBe(true);
  });
});
