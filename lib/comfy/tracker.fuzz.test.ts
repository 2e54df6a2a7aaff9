/**
 * Property tests over random and mutated frames: the decoder never throws, the tracker never throws,
 * and every state it reaches satisfies the invariants, whatever arrives. Mutations start from the real
 * recorded frames so the fuzzing stays close to the shapes that matter.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from './decode';
import { toComfyEvent, toComfyEventViaSchemas } from './messages';
import { frameData, loadTraceLines, TRACE_NAMES, tracePromptId } from './testing/traces';
import { assertValidTrackerState, JOB_STATUSES } from './testing/tracker-invariants';
import { initialTrackerState, reduceTracker, reduceTrackerGeneral, type TrackerState } from './tracker';
import type { JobStatus, TrackerEvent } from './types';

const allLines = TRACE_NAMES.flatMap((n) => loadTraceLines(n));
const textFrames = allLines.filter((l) => l.kind === 'text').map((l) => JSON.stringify(l.msg));
const binaryFrames = allLines
  .map((l) => (l.kind === 'binary' ? frameData(l) : null))
  .filter((d): d is ArrayBuffer => d instanceof ArrayBuffer);
const promptIds = TRACE_NAMES.map((n) => tracePromptId(loadTraceLines(n)));
const JSON_TYPES = [
  'status',
  'execution_start',
  'execution_cached',
  'executing',
  'progress',
  'progress_state',
  'executed',
  'execution_success',
  'execution_error',
  'execution_interrupted',
  'feature_flags',
  'logs',
  'notification',
  'cm-task-started',
];

type Path = (string | number)[];

function paths(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (v && typeof v === 'object') {
    for (const k of Object.keys(v))
      paths((v as Record<string, unknown>)[k], [...at, Array.isArray(v) ? Number(k) : k], out);
  }
  return out;
}

/** Deletes, replaces or retypes the value at one path (path 0 is the whole frame). */
function mutateAt(
  root: unknown,
  pick: number,
  op: 'delete' | 'replace' | 'stringify',
  value: unknown,
): unknown {
  const all = paths(root);
  const path = all[pick % all.length]!;
  if (path.length === 0) return op === 'delete' ? null : value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const key = path.at(-1)!;
  if (op === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else if (op === 'replace') parent[key] = value;
  else parent[key] = JSON.stringify(parent[key]) ?? 'undefined';
  return copy;
}

const structuralMutation = fc
  .tuple(
    fc.constantFrom(...textFrames),
    fc.nat(),
    fc.constantFrom('delete', 'replace', 'stringify') as fc.Arbitrary<'delete' | 'replace' | 'stringify'>,
    fc.oneof(
      fc.jsonValue(),
      fc.constantFrom(
        null,
        -1,
        1e308,
        0.5,
        '',
        '__proto__',
        'constructor',
        'toString',
        [],
        {},
        '2',
        'running',
        'finished',
      ),
      fc.constantFrom(...promptIds),
    ),
  )
  .map(([text, pick, op, value]) => JSON.stringify(mutateAt(JSON.parse(text), pick, op, value)) ?? 'null');

const textDamage = fc
  .tuple(fc.constantFrom(...textFrames), fc.nat(), fc.nat({ max: 40 }), fc.string({ maxLength: 12 }))
  .map(([text, at, cut, insert]) => {
    const i = at % (text.length + 1);
    return text.slice(0, i) + insert + text.slice(i + cut);
  });

const pythonTokens = fc
  .tuple(fc.constantFrom(...textFrames), fc.constantFrom('NaN', 'Infinity', '-Infinity'))
  .map(([text, tok]) => text.replace(/(?<=: ?)-?\d+(\.\d+)?/, tok));

const randomJson = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
  fc.record({ type: fc.constantFrom(...JSON_TYPES), data: fc.jsonValue() }).map((v) => JSON.stringify(v)),
);

const binaryDamage = fc
  .tuple(
    fc.constantFrom(...binaryFrames),
    fc.constantFrom('flip', 'truncate', 'type', 'length') as fc.Arbitrary<
      'flip' | 'truncate' | 'type' | 'length'
    >,
    fc.nat(),
    fc.integer({ min: 0, max: 0xffffffff }),
  )
  .map(([buf, op, at, word]) => {
    const b = new Uint8Array(buf.slice(0));
    const view = new DataView(b.buffer);
    if (op === 'flip') {
      for (let k = 0; k < 4; k++) {
        const i = (at + k * 7919) % b.length;
        b[i] = b[i]! ^ (1 << (k + (word % 5)));
      }
      return b.buffer;
    }
    if (op === 'truncate') return b.buffer.slice(0, at % (Math.min(b.length, 300) + 1));
    if (op === 'type') view.setUint32(0, word % 6, false);
    else if (b.length >= 8) view.setUint32(4, word, false);
    return b.buffer;
  });

const randomBytes = fc.uint8Array({ maxLength: 64 }).map((a) => a.buffer as ArrayBuffer);

const encoder = new TextEncoder();
const metadataJson = fc.oneof(
  fc
    .record(
      {
        node_id: fc.constantFrom('1', '2', '3', '12:5', '__proto__'),
        prompt_id: fc.constantFrom(...promptIds, 'other'),
        display_node_id: fc.constantFrom('1', '2', '3'),
        parent_node_id: fc.constantFrom(null, '2'),
        real_node_id: fc.constantFrom('1', '2', '3'),
        image_type: fc.constantFrom('image/jpeg', 'image/png', 'text/html', ''),
      },
      { requiredKeys: [] },
    )
    .map((m) => JSON.stringify(m)),
  fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
  fc.string({ maxLength: 20 }),
);

/**
 * Binary frames of the three wire types built from scratch: payloads of random length, and a length
 * word (types 3 and 4) that is usually right but may point anywhere, past the end included.
 */
const builtBinary = fc
  .tuple(
    fc.constantFrom(1, 3, 4),
    fc.uint8Array({ maxLength: 300 }),
    fc.oneof(fc.string({ maxLength: 16 }), metadataJson),
    fc.option(fc.integer({ min: 0, max: 0xffffffff }), { freq: 4 }),
  )
  .map(([type, payload, head, lengthWord]) => {
    const headBytes = type === 1 ? new Uint8Array(0) : encoder.encode(head);
    const b = new Uint8Array(8 + headBytes.length + payload.length);
    const view = new DataView(b.buffer);
    view.setUint32(0, type, false);
    // type 1: the format word (1 JPEG, 2 PNG, anything else); types 3/4: the length of what follows
    view.setUint32(4, lengthWord ?? (type === 1 ? (payload[0] ?? 0) % 4 : headBytes.length), false);
    b.set(headBytes, 8);
    b.set(payload, 8 + headBytes.length);
    return b.buffer;
  });

const anyFrame: fc.Arbitrary<string | ArrayBuffer> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<string | ArrayBuffer>(...textFrames, ...binaryFrames) },
  { weight: 3, arbitrary: structuralMutation },
  { weight: 2, arbitrary: textDamage },
  { weight: 1, arbitrary: pythonTokens },
  { weight: 2, arbitrary: randomJson },
  { weight: 2, arbitrary: binaryDamage },
  { weight: 2, arbitrary: builtBinary },
  { weight: 1, arbitrary: randomBytes },
);

const promptId = fc.constantFrom(...promptIds, 'other', '__proto__', 'constructor');
const statusArb = fc.constantFrom<JobStatus>(...JOB_STATUSES);
const localEvent: fc.Arbitrary<TrackerEvent> = fc.oneof(
  fc.record({
    type: fc.constant('local:queued' as const),
    promptId,
    own: fc.boolean(),
    number: fc.integer(),
  }),
  fc.record(
    {
      type: fc.constant('local:snapshot' as const),
      promptId,
      status: statusArb,
      endedAt: fc.integer({ min: 0, max: 2e12 }),
      outputs: fc.dictionary(fc.constantFrom('1', '2', '3'), fc.dictionary(fc.string(), fc.jsonValue())),
      error: fc.record({ message: fc.string(), traceback: fc.array(fc.string()) }),
    },
    { requiredKeys: ['type', 'promptId', 'status'] },
  ),
  fc.record({ type: fc.constant('local:cancelled' as const), promptId }),
);

type Step = { frame: string | ArrayBuffer } | { local: TrackerEvent };
const steps = fc.array(
  fc.oneof(
    { weight: 9, arbitrary: anyFrame.map((frame): Step => ({ frame })) },
    { weight: 1, arbitrary: localEvent.map((local): Step => ({ local })) },
  ),
  { maxLength: 80 },
);

describe('fuzzing decoder + tracker with random and mutated frames', () => {
  it('nothing throws and every reached state is valid', () => {
    fc.assert(
      fc.property(steps, fc.integer({ min: 0, max: 5 }), (seq, gap) => {
        const decoder = new FrameDecoder();
        let state: TrackerState = initialTrackerState;
        let now = 1_000_000;
        for (const step of seq) {
          now += gap;
          const event = 'frame' in step ? decoder.decode(step.frame) : step.local;
          if (event === null) continue;
          const next = reduceTracker(state, event, now);
          assertValidTrackerState(next, state);
          state = next;
        }
        expect(decoder.stats.frames).toBe(seq.filter((s) => 'frame' in s).length);
      }),
      { numRuns: 300 },
    );
  });

  it('the decoder survives any byte sequence and any string', () => {
    const d = new FrameDecoder();
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 128 }), builtBinary), (input) => {
        const ev = d.decode(input);
        if (ev !== null) expect(typeof ev.type).toBe('string');
      }),
      { numRuns: 500 },
    );
  });

  it('binary frames of types 1, 3 and 4 of any length become a preview, a progress text or a counted parse error', () => {
    const d = new FrameDecoder();
    const seen = new Set<string>();
    fc.assert(
      fc.property(builtBinary, (frame) => {
        const ev = d.decode(frame);
        expect(['preview', 'progress_text', 'parse_error']).toContain(ev?.type);
        seen.add(ev!.type);
      }),
      { numRuns: 500 },
    );
    expect(d.stats.previews + d.stats.parseErrors).toBeLessThanOrEqual(d.stats.frames);
    expect(d.stats.unknownBinary).toBe(0);
    expect(seen).toEqual(new Set(['preview', 'progress_text', 'parse_error']));
  });

  it('the hot-path validators agree with the schemas of record on every mutated frame', () => {
    const hot = textFrames.filter((t) => t.includes('"progress'));
    const mutated = fc
      .tuple(
        fc.constantFrom(...hot),
        fc.nat(),
        fc.constantFrom('delete', 'replace', 'stringify') as fc.Arbitrary<'delete' | 'replace' | 'stringify'>,
        fc.oneof(fc.jsonValue(), fc.constantFrom(null, 1.5, 12, '3', [], {}, '__proto__')),
      )
      .map(([text, pick, op, value]) => mutateAt(JSON.parse(text), pick, op, value));
    fc.assert(
      fc.property(fc.oneof(mutated, fc.constantFrom(...hot.map((t) => JSON.parse(t) as unknown))), (raw) => {
        // toEqual: toStrictEqual compares `constructor`, which a node id key may legitimately be
        expect(toComfyEvent(raw)).toEqual(toComfyEventViaSchemas(raw));
      }),
      { numRuns: 1000 },
    );
  });

  it('the progress fast path of the tracker reaches the same states as the general path', () => {
    const tickish = fc.oneof(
      fc.record(
        {
          type: fc.constant('progress' as const),
          promptId: fc.constantFrom(promptIds[0]!, promptIds[1]!),
          node: fc.constantFrom('1', '2', '3', 'constructor'),
          value: fc.integer({ min: 0, max: 10 }),
          max: fc.integer({ min: 0, max: 10 }),
        },
        { requiredKeys: ['type', 'value', 'max'] },
      ),
      anyFrame.map((f) => new FrameDecoder().decode(f)).filter((e) => e !== null),
    ) as fc.Arbitrary<TrackerEvent>;
    fc.assert(
      fc.property(fc.array(fc.oneof(tickish, localEvent), { maxLength: 60 }), (events) => {
        let fast: TrackerState = initialTrackerState;
        let general: TrackerState = initialTrackerState;
        events.forEach((e, i) => {
          fast = reduceTracker(fast, e, 1000 + i);
          general = reduceTrackerGeneral(general, e, 1000 + i);
          // toEqual: toStrictEqual compares `constructor`, which a job id may legitimately be
          expect(fast).toEqual(general);
        });
      }),
      { numRuns: 200 },
    );
  });
});
