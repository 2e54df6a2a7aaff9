import { describe, expect, it } from 'vitest';
import { makeJob } from '../testing/records';
import { mergeBoard, mergeConnections, newer } from './merge';

describe('merging Dexie with the live channel', () => {
  it('prefers the record with the larger updatedAt, Dexie on a tie', () => {
    const db = makeJob('s', 'p', 'running', 0, { updatedAt: 5, progress: 0.5 });
    const live = makeJob('s', 'p', 'running', 0, { updatedAt: 6, progress: 0.6 });
    expect(newer(db, live)).toBe(live);
    expect(newer(live, db)).toBe(live);
    expect(newer(db, { ...live, updatedAt: 5 })).toBe(db);
    expect(newer(undefined, live)).toBe(live);
  });

  it('moves a job from active to recent as soon as a newer live record says it finished', () => {
    const running = makeJob('s', 'p1', 'running', 100, { updatedAt: 100 });
    const done = makeJob('s', 'p1', 'success', 100, { updatedAt: 200 });
    const board = mergeBoard([running], [], new Map([[done.key, done]]), 5);
    expect(board.active).toEqual([]);
    expect(board.recent.map((j) => j.status)).toEqual(['success']);
  });

  it('shows a job only the live channel knows, and never one job twice', () => {
    const pending = makeJob('s', 'new', 'pending', 300, { updatedAt: 300 });
    const old = makeJob('s', 'old', 'success', 10);
    const board = mergeBoard([], [old, old], new Map([[pending.key, pending]]), 5);
    expect(board.active.map((j) => j.promptId)).toEqual(['new']);
    expect(board.recent.map((j) => j.promptId)).toEqual(['old']);
  });

  it('orders active jobs running first, then by queue number, and limits recent ones newest first', () => {
    const active = [
      makeJob('s', 'b', 'pending', 1, { number: 9 }),
      makeJob('s', 'a', 'pending', 2, { number: 3 }),
      makeJob('s', 'r', 'running', 3, { number: 10 }),
    ];
    const recent = [1, 2, 3, 4].map((i) => makeJob('s', `f${i}`, 'success', i * 10));
    const board = mergeBoard(active, recent, new Map(), 2);
    expect(board.active.map((j) => j.promptId)).toEqual(['r', 'a', 'b']);
    expect(board.recent.map((j) => j.promptId)).toEqual(['f4', 'f3']);
  });

  it('takes the newer connection state per server', () => {
    const merged = mergeConnections(
      [
        { serverId: 'a', state: 'connected', since: 10 },
        { serverId: 'b', state: 'offline', since: 10 },
      ],
      new Map([
        ['a', { serverId: 'a', state: 'reconnecting' as const, since: 20 }],
        ['b', { serverId: 'b', state: 'connecting' as const, since: 5 }],
      ]),
    );
    expect(merged.get('a')?.state).toBe('reconnecting');
    expect(merged.get('b')?.state).toBe('offline');
  });
});
