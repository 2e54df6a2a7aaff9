import { describe, expect, it } from 'vitest';
import { parseJsonLenient } from './json';
import { toComfyEvent } from './messages';
import { outputFiles } from './outputs';
import type { ComfyEvent } from './types';

const P = '2b1c0000-0000-4000-8000-000000000000';
const frame = (type: string, data: unknown) => ({ type, data });

describe('toComfyEvent maps every documented frame (comfyui-protocol.md §4) to its camelCased event', () => {
  it.each<[string, unknown, ComfyEvent]>([
    [
      'initial status with sid',
      frame('status', { status: { exec_info: { queue_remaining: 2 } }, sid: 'abc' }),
      { type: 'status', queueRemaining: 2, sid: 'abc' },
    ],
    [
      'broadcast status without sid',
      frame('status', { status: { exec_info: { queue_remaining: 0 } } }),
      { type: 'status', queueRemaining: 0 },
    ],
    [
      'execution_start',
      frame('execution_start', { prompt_id: P, timestamp: 1767225600000 }),
      { type: 'execution_start', promptId: P, timestamp: 1767225600000 },
    ],
    [
      'execution_cached',
      frame('execution_cached', { nodes: ['4', '6'], prompt_id: P, timestamp: 1 }),
      { type: 'execution_cached', promptId: P, nodes: ['4', '6'], timestamp: 1 },
    ],
    [
      'executing a node',
      frame('executing', { node: '3', display_node: '3', prompt_id: P }),
      { type: 'executing', node: '3', displayNode: '3', promptId: P },
    ],
    [
      'executing node:null (prompt finished)',
      frame('executing', { node: null, prompt_id: P }),
      { type: 'executing', node: null, promptId: P },
    ],
    [
      'progress',
      frame('progress', { value: 7, max: 20, prompt_id: P, node: '3' }),
      { type: 'progress', value: 7, max: 20, promptId: P, node: '3' },
    ],
    [
      'executed',
      frame('executed', {
        node: '9',
        display_node: '9',
        prompt_id: P,
        output: { images: [{ filename: 'a.png', subfolder: '', type: 'output' }] },
      }),
      {
        type: 'executed',
        node: '9',
        displayNode: '9',
        promptId: P,
        output: { images: [{ filename: 'a.png', subfolder: '', type: 'output' }] },
      },
    ],
    [
      'execution_success',
      frame('execution_success', { prompt_id: P, timestamp: 5 }),
      { type: 'execution_success', promptId: P, timestamp: 5 },
    ],
    [
      'execution_interrupted',
      frame('execution_interrupted', {
        prompt_id: P,
        node_id: '3',
        node_type: 'KSampler',
        executed: [],
        timestamp: 9,
      }),
      {
        type: 'execution_interrupted',
        promptId: P,
        nodeId: '3',
        nodeType: 'KSampler',
        executed: [],
        timestamp: 9,
      },
    ],
    [
      'feature_flags reply',
      frame('feature_flags', { supports_preview_metadata: true, max_upload_size: 104857600 }),
      { type: 'feature_flags', flags: { supports_preview_metadata: true, max_upload_size: 104857600 } },
    ],
  ])('%s', (_name, raw, expected) => {
    expect(toComfyEvent(raw)).toStrictEqual(expected);
  });

  it('progress_state: camelCases every node and keeps parent null and activity', () => {
    const ev = toComfyEvent(
      frame('progress_state', {
        prompt_id: P,
        nodes: {
          '4': {
            value: 1.0,
            max: 1.0,
            state: 'finished',
            node_id: '4',
            prompt_id: P,
            display_node_id: '4',
            parent_node_id: null,
            real_node_id: '4',
          },
          '12:5': {
            value: 7,
            max: 20,
            state: 'running',
            node_id: '12:5',
            display_node_id: '12',
            parent_node_id: '12',
            real_node_id: '5',
            activity: 'loading',
          },
        },
      }),
    );
    expect(ev).toStrictEqual({
      type: 'progress_state',
      promptId: P,
      nodes: {
        '4': {
          nodeId: '4',
          state: 'finished',
          value: 1,
          max: 1,
          displayNodeId: '4',
          realNodeId: '4',
          parentNodeId: null,
        },
        '12:5': {
          nodeId: '12:5',
          state: 'running',
          value: 7,
          max: 20,
          displayNodeId: '12',
          realNodeId: '5',
          parentNodeId: '12',
          activity: 'loading',
        },
      },
    });
  });

  it('execution_error: gathers the error details into a JobError', () => {
    const ev = toComfyEvent(
      frame('execution_error', {
        prompt_id: P,
        node_id: '3',
        node_type: 'KSampler',
        executed: ['4', '5'],
        exception_message: 'Allocation on device\nThis error means you ran out of memory',
        exception_type: 'torch.OutOfMemoryError',
        traceback: ['  File "execution.py", line 0, in execute\n'],
        current_inputs: { seed: [42] },
        current_outputs: ['4'],
        timestamp: 1767225605000,
      }),
    );
    expect(ev).toStrictEqual({
      type: 'execution_error',
      promptId: P,
      executed: ['4', '5'],
      timestamp: 1767225605000,
      error: {
        nodeId: '3',
        nodeType: 'KSampler',
        message: 'Allocation on device\nThis error means you ran out of memory',
        exceptionType: 'torch.OutOfMemoryError',
        traceback: ['  File "execution.py", line 0, in execute\n'],
      },
    });
  });
});

describe('schemas are as lenient as real servers need (comfyui-protocol.md §10 item 18)', () => {
  it('executed.output may be null (cached node without UI output)', () => {
    expect(toComfyEvent(frame('executed', { node: '4', prompt_id: P, output: null }))).toStrictEqual({
      type: 'executed',
      node: '4',
      promptId: P,
      output: null,
    });
  });

  it('output entries keep extra keys (metadata, id, preview_id, display_name) and merge', () => {
    const entry = {
      filename: 'a.png',
      subfolder: 'x',
      type: 'output',
      metadata: { width: 64 },
      id: 'asset-1',
      preview_id: 'p1',
      display_name: 'A',
    };
    const ev = toComfyEvent(frame('executed', { node: '9', output: { images: [entry], merge: true } }));
    expect(ev).toMatchObject({ type: 'executed', output: { images: [entry], merge: true } });
    expect(outputFiles((ev as Extract<ComfyEvent, { type: 'executed' }>).output)).toEqual([entry]);
  });

  it('execution_error.current_inputs may be [] and timestamp absent ("Execution Blocked")', () => {
    const ev = toComfyEvent(
      frame('execution_error', {
        prompt_id: P,
        node_id: '7',
        node_type: 'X',
        exception_message: 'Execution Blocked',
        exception_type: 'ExecutionBlocked',
        traceback: [],
        current_inputs: [],
        current_outputs: [],
      }),
    );
    expect(ev).toMatchObject({
      type: 'execution_error',
      promptId: P,
      error: { exceptionType: 'ExecutionBlocked' },
    });
    expect(ev).not.toHaveProperty('timestamp');
  });

  it('execution_error with NaN/Infinity in current_inputs parses through the lenient JSON path', () => {
    const text = `{"type":"execution_error","data":{"prompt_id":"${P}","node_id":"3","node_type":"KSampler","exception_message":"boom","exception_type":"ValueError","traceback":[],"current_inputs":{"cfg":[NaN],"denoise":[Infinity],"x":[-Infinity]},"current_outputs":[],"timestamp":1}}`;
    expect(() => JSON.parse(text)).toThrow();
    expect(toComfyEvent(parseJsonLenient(text))).toMatchObject({
      type: 'execution_error',
      promptId: P,
      error: { nodeId: '3', message: 'boom', exceptionType: 'ValueError' },
    });
  });

  it.each([
    [
      'float value',
      { value: 2.5, max: 10, prompt_id: P, node: '3' },
      { value: 2.5, max: 10, promptId: P, node: '3' },
    ],
    ['no prompt_id or node', { value: 1, max: 3 }, { value: 1, max: 3 }],
    ['null prompt_id and node', { value: 1, max: 3, prompt_id: null, node: null }, { value: 1, max: 3 }],
    ['numeric node id', { value: 1, max: 3, node: 12 }, { value: 1, max: 3, node: '12' }],
  ])('progress: %s', (_name, data, expected) => {
    expect(toComfyEvent(frame('progress', data))).toStrictEqual({ type: 'progress', ...expected });
  });

  it('executing may lack prompt_id and display_node (reconnect replay)', () => {
    expect(toComfyEvent(frame('executing', { node: '2' }))).toStrictEqual({ type: 'executing', node: '2' });
  });

  it('progress_state may carry activity, and a malformed node entry is dropped, not the frame', () => {
    const ev = toComfyEvent(
      frame('progress_state', {
        prompt_id: P,
        nodes: {
          '3': { value: 0, max: 1, state: 'running', activity: 'loading' },
          '4': { value: 'x', state: 7 },
          '5': null,
        },
      }),
    );
    expect(ev).toStrictEqual({
      type: 'progress_state',
      promptId: P,
      nodes: { '3': { nodeId: '3', state: 'running', value: 0, max: 1, activity: 'loading' } },
    });
  });

  it.each([
    ['timestamp as a string', frame('execution_start', { prompt_id: P, timestamp: 'soon' })],
    ['timestamp null', frame('execution_start', { prompt_id: P, timestamp: null })],
    ['extra fields', frame('execution_start', { prompt_id: P, workflow_id: 'w', extra: { a: 1 } })],
  ])('optional fields that are malformed are dropped: %s', (_name, raw) => {
    expect(toComfyEvent(raw)).toStrictEqual({ type: 'execution_start', promptId: P });
  });

  it('execution_cached with nodes missing reads as no cached nodes', () => {
    expect(toComfyEvent(frame('execution_cached', { prompt_id: P }))).toStrictEqual({
      type: 'execution_cached',
      promptId: P,
      nodes: [],
    });
  });

  it('traceback entries that are not strings are stringified, and a missing message falls back to the type', () => {
    const ev = toComfyEvent(
      frame('execution_error', { prompt_id: P, exception_type: 'E', traceback: [1, 'a'] }),
    );
    expect(ev).toMatchObject({ error: { message: 'E', traceback: ['1', 'a'] } });
  });
});

describe('frames that are not valid events never throw', () => {
  it.each<[string, unknown]>([
    ['null', null],
    ['a number', 1],
    ['a string', 'ping'],
    ['an array', [{ type: 'status' }]],
    ['an object without type', { data: {} }],
    ['a numeric type', { type: 3, data: {} }],
  ])('%s becomes parse_error', (_name, raw) => {
    expect(toComfyEvent(raw)).toMatchObject({ type: 'parse_error' });
  });

  it.each<[string, unknown]>([
    ['progress without max', frame('progress', { value: 1 })],
    ['progress with value as string', frame('progress', { value: '1', max: 2 })],
    ['executing without node key', frame('executing', { prompt_id: P })],
    ['execution_success without prompt_id', frame('execution_success', { timestamp: 1 })],
    ['status without exec_info', frame('status', { status: {} })],
    ['status with negative queue', frame('status', { status: { exec_info: { queue_remaining: -1 } } })],
    ['progress_state with nodes as a list', frame('progress_state', { prompt_id: P, nodes: [] })],
    ['feature_flags data not an object', frame('feature_flags', true)],
    ['data missing entirely', { type: 'execution_start' }],
  ])('known type with an invalid shape becomes parse_error naming the type: %s', (_name, raw) => {
    const ev = toComfyEvent(raw);
    expect(ev.type).toBe('parse_error');
    expect((ev as Extract<ComfyEvent, { type: 'parse_error' }>).reason).toMatch(
      new RegExp(`^${(raw as { type: string }).type}: `),
    );
  });

  it.each([
    'assets.seed.started',
    'cm-task-completed',
    'asset_download',
    'my_custom_node_event',
    '__proto__',
  ])('unknown type %s becomes unknown with the raw data', (type) => {
    const data = { anything: [1, 2] };
    expect(toComfyEvent({ type, data })).toStrictEqual({ type: 'unknown', rawType: type, data });
  });

  it('logs and notification are validated and surfaced as unknown with their checked data', () => {
    const logs = { entries: [{ t: '2026-01-01T10:00:00.000', m: 'got prompt\n' }], size: null };
    expect(toComfyEvent(frame('logs', logs))).toStrictEqual({ type: 'unknown', rawType: 'logs', data: logs });
    expect(toComfyEvent(frame('notification', { value: 'hi', id: 'n1' }))).toStrictEqual({
      type: 'unknown',
      rawType: 'notification',
      data: { value: 'hi', id: 'n1' },
    });
    expect(toComfyEvent(frame('logs', { entries: 'nope' }))).toMatchObject({ type: 'parse_error' });
  });

  it('a parse_error carries a bounded sample even for huge frames and survives cyclic input', () => {
    const huge = frame('progress', { value: 'x'.repeat(100_000) });
    const ev = toComfyEvent(huge) as Extract<ComfyEvent, { type: 'parse_error' }>;
    expect(ev.sample?.length).toBeLessThanOrEqual(200);
    const cyclic: Record<string, unknown> = { type: 'progress' };
    cyclic.data = cyclic;
    expect(toComfyEvent(cyclic)).toMatchObject({ type: 'parse_error' });
  });
});
