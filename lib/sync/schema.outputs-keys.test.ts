// A record is stored as sent or rejected, never quietly changed: zod rebuilds the outputs' node map and each
// node's output map, and drops a key named __proto__ from them, so such a record is refused, naming it.
import { describe, expect, it } from 'vitest';
import { JobRecordSchema } from './schema';
import { record } from './testing';

const withOutputs = (json: string) => ({ ...record('p1', 1_000), outputs: JSON.parse(json) });

describe('outputs keys', () => {
  it.each([
    ['a node output', '{"9":{"__proto__":{"x":1},"images":[]}}', 'outputs.9 has a key named __proto__'],
    ['the node map', '{"__proto__":{"images":[]}}', 'outputs has a key named __proto__'],
  ])('refuses a key named __proto__ in %s, naming where', (_where, json, message) => {
    const parsed = JobRecordSchema.safeParse(withOutputs(json));
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.message)).toContain(message);
  });

  it('keeps every other key as sent, deeper __proto__ keys included (they are not rebuilt)', () => {
    const json = '{"9":{"images":[{"filename":"a.png","__proto__":{"y":2}}],"constructor":[1]}}';
    const parsed = JobRecordSchema.parse(withOutputs(json));
    expect(JSON.stringify(parsed.outputs)).toBe(json);
  });
});
