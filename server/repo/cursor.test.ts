import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './jobs';

const raw = (s: string) => Buffer.from(s).toString('base64url');

describe('list cursors', () => {
  it('round-trips a cursor this server issued', () => {
    const c = { createdAt: 1_767_225_600_123, seq: '42' };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
  });

  it.each([
    ['an instant past what PostgreSQL timestamps reach', raw('9999999999999999:1')],
    ['a seq past bigint', raw('1:9999999999999999999')],
    ['no separator', raw('123')],
    ['not base64url text', '%%%'],
    ['a negative time', raw('-1:1')],
  ])('refuses %s (400, never a database error)', (_n, cursor) => {
    expect(decodeCursor(cursor)).toBeNull();
  });
});
