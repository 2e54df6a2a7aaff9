// A record is never refused for its size: fitRecord cuts each field to exactly the schema's limits, with a
// visible marker, and the whole record to the uploader's byte budget.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fitId,
  fitOutputs,
  fitRecord,
  fitText,
  MAX_OUTPUTS_CHARS,
  MAX_RECORD_BYTES,
  truncationMarker,
} from './fit';
import {
  type JobRecord,
  JobRecordSchema,
  MAX_ID,
  MAX_MESSAGE,
  MAX_NODES,
  MAX_OUTPUT_DEPTH,
  MAX_OUTPUT_NODES,
  MAX_SERVER,
  MAX_TRACEBACK_ENTRIES,
  MAX_TRACEBACK_ENTRY,
} from './schema';
import { record } from './testing';

const bytes = (r: JobRecord) => new TextEncoder().encode(JSON.stringify(r)).length;
const failed = (error: Partial<NonNullable<JobRecord['error']>>) =>
  record('p', 1, { status: 'error', error: { message: '', traceback: [], ...error } });

describe('fitText', () => {
  it.each([
    [MAX_MESSAGE, MAX_MESSAGE],
    [MAX_MESSAGE + 1, MAX_MESSAGE],
    [5 * MAX_MESSAGE, MAX_MESSAGE],
  ])('cuts %i characters to %i, the marker naming what was cut', (length, expected) => {
    const s = 'a'.repeat(length);
    const out = fitText(s, MAX_MESSAGE);
    expect(out).toHaveLength(expected);
    if (length > MAX_MESSAGE) {
      const m = /… \[truncated (\d+) chars\]$/.exec(out);
      expect(m).not.toBeNull();
      expect(out.length - m![0].length + Number(m![1])).toBe(length);
    } else expect(out).toBe(s);
  });

  it('never leaves half of a surrogate pair', () => {
    const s = '😀'.repeat(200); // 400 UTF-16 units
    for (let max = 30; max < 60; max++) {
      const out = fitText(s, max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out.isWellFormed()).toBe(true);
    }
  });
});

describe('fitId', () => {
  it('keeps ids within the limit as they are, and long ones distinct, stable and within it', () => {
    expect(fitId('abc')).toBe('abc');
    const a = `${'x'.repeat(300)}a`;
    const b = `${'x'.repeat(300)}b`;
    expect(fitId(a)).toHaveLength(MAX_ID);
    expect(fitId(a)).toBe(fitId(a));
    expect(fitId(a)).not.toBe(fitId(b));
    expect(fitId(`http://${'h'.repeat(400)}`, MAX_SERVER)).toHaveLength(MAX_SERVER);
  });
});

describe('fitRecord at the schema limits', () => {
  it('leaves a record within the limits unchanged', () => {
    const r = failed({ message: 'm'.repeat(MAX_MESSAGE), traceback: Array(MAX_TRACEBACK_ENTRIES).fill('t') });
    expect(fitRecord(r)).toEqual(r);
  });

  it('cuts the message to exactly the limit with a marker', () => {
    const r = fitRecord(failed({ message: 'm'.repeat(MAX_MESSAGE + 1) }));
    expect(r.error!.message).toHaveLength(MAX_MESSAGE);
    expect(r.error!.message).toMatch(/… \[truncated \d+ chars\]$/);
    expect(JobRecordSchema.safeParse(r).success).toBe(true);
  });

  it('keeps the innermost traceback lines under a marker that counts the rest', () => {
    const lines = Array.from({ length: MAX_TRACEBACK_ENTRIES + 50 }, (_, i) => `frame ${i}`);
    const r = fitRecord(failed({ traceback: lines }));
    expect(r.error!.traceback).toHaveLength(MAX_TRACEBACK_ENTRIES);
    expect(r.error!.traceback[0]).toBe(truncationMarker(51, 'lines'));
    expect(r.error!.traceback.at(-1)).toBe(`frame ${MAX_TRACEBACK_ENTRIES + 49}`);
    expect(JobRecordSchema.safeParse(r).success).toBe(true);
  });

  it('cuts each traceback line to the limit', () => {
    const r = fitRecord(failed({ traceback: ['x'.repeat(MAX_TRACEBACK_ENTRY + 7)] }));
    expect(r.error!.traceback[0]).toHaveLength(MAX_TRACEBACK_ENTRY);
    expect(JobRecordSchema.safeParse(r).success).toBe(true);
  });

  it('cuts a long output list, keeping its first files and saying how many were left out', () => {
    const images = Array.from({ length: 20_000 }, (_, i) => ({
      filename: `ComfyUI_${String(i).padStart(5, '0')}_.png`,
      subfolder: '',
      type: 'output',
    }));
    const r = fitRecord(record('p', 1, { status: 'success', outputs: { '9': { images } } }));
    const kept = r.outputs['9']!.images as unknown[];
    expect(JSON.stringify(r.outputs).length).toBeLessThanOrEqual(MAX_OUTPUTS_CHARS);
    expect(kept[0]).toEqual(images[0]);
    expect(kept.at(-1)).toBe(truncationMarker(images.length - (kept.length - 1), 'items'));
    expect(JobRecordSchema.safeParse(r).success).toBe(true);
  });

  it('leaves out trailing output nodes as a last resort, with a marker node', () => {
    const outputs = Object.fromEntries(
      Array.from({ length: 20_000 }, (_, i) => [`node-${i}`, { text: [`t${i}`] }]),
    );
    const fitted = fitOutputs(outputs);
    expect(JSON.stringify(fitted).length).toBeLessThanOrEqual(MAX_OUTPUTS_CHARS);
    expect(fitted['node-0']).toEqual({ text: ['t0'] });
    expect(Object.keys(fitted).length).toBeLessThanOrEqual(MAX_OUTPUT_NODES);
    expect(String(fitted['…']?.note)).toMatch(/^… \[truncated \d+ nodes\]$/);
  });

  it('keeps at most the schema’s output nodes, however small they are', () => {
    const outputs = Object.fromEntries(
      Array.from({ length: MAX_OUTPUT_NODES + 5 }, (_, i) => [String(i), {}]),
    );
    const r = fitRecord(record('p', 1, { outputs }));
    expect(Object.keys(r.outputs)).toHaveLength(MAX_OUTPUT_NODES);
    expect(r.outputs['…']).toEqual({ note: truncationMarker(6, 'nodes') });
    expect(JobRecordSchema.safeParse(r).success).toBe(true);
  });

  it('replaces what nests deeper than the schema allows with a marker, keeping the rest', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < MAX_OUTPUT_DEPTH + 5; i++) deep = [deep];
    const file = { filename: 'a.png', subfolder: '', type: 'output' };
    const r = fitRecord(record('p', 1, { outputs: { '9': { images: [file], tree: deep } } }));
    expect(r.outputs['9']!.images).toEqual([file]);
    expect(JSON.stringify(r.outputs)).toContain('nested deeper than');
    expect(JobRecordSchema.safeParse(r).success).toBe(true);
  });

  it('cuts node runs to the limit and long ids to fit, consistently', () => {
    const longNode = `n${'9'.repeat(400)}`;
    const nodes = Array.from({ length: MAX_NODES + 10 }, (_, i) => ({
      nodeId: i === 0 ? longNode : String(i),
      state: 'finished' as const,
      cached: false,
    }));
    const r = fitRecord(record('p'.repeat(MAX_ID + 1), 1, { nodes, currentNode: longNode }));
    expect(r.nodes).toHaveLength(MAX_NODES);
    expect(r.nodes[0]!.nodeId).toBe(r.currentNode);
    expect(r.promptId).toHaveLength(MAX_ID);
    expect(JobRecordSchema.safeParse(r).success).toBe(true);
  });

  it('fits a record with everything at its limit into the byte budget, markers kept', () => {
    const r = fitRecord(
      failed({
        message: 'é'.repeat(MAX_MESSAGE * 2),
        traceback: Array.from(
          { length: MAX_TRACEBACK_ENTRIES },
          (_, i) => `${i}:${'ü'.repeat(MAX_TRACEBACK_ENTRY)}`,
        ),
      }),
    );
    expect(bytes(r)).toBeLessThanOrEqual(MAX_RECORD_BYTES);
    expect(r.error!.message).toMatch(/… \[truncated \d+ chars\]$/);
    expect(r.error!.traceback[0]).toMatch(/^… \[truncated \d+ lines\]$/);
    expect(r.error!.traceback.at(-1)).toMatch(new RegExp(`^${MAX_TRACEBACK_ENTRIES - 1}:ü+`));
    expect(JobRecordSchema.safeParse(r).success).toBe(true);
  });

  it('always yields a valid record within the budget, whatever the sizes', () => {
    const text = fc.string({ unit: 'binary', maxLength: 30_000 });
    fc.assert(
      fc.property(
        fc.record({
          promptId: fc.string({ minLength: 1, maxLength: 400 }),
          user: text,
          message: text,
          traceback: fc.array(text, { maxLength: 260 }),
          images: fc.nat(3000),
          classType: fc.string({ maxLength: 400 }),
        }),
        (g) => {
          const r = fitRecord(
            record(g.promptId, 1, {
              user: g.user,
              error: { message: g.message, traceback: g.traceback },
              outputs: {
                '9': { images: Array(g.images).fill({ filename: 'a.png', subfolder: '', type: 'output' }) },
              },
              nodes: [{ nodeId: '9', classType: g.classType, state: 'finished', cached: false }],
            }),
          );
          expect(JobRecordSchema.safeParse(r).success).toBe(true);
          expect(bytes(r)).toBeLessThanOrEqual(MAX_RECORD_BYTES);
        },
      ),
      { numRuns: 40, seed: 7 },
    );
  });
});
