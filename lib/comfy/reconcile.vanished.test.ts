import { describe, expect, it } from 'vitest';
import { explainVanished } from './reconcile';
import type { LocalEvent } from './types';

const gone = (promptId: string, status: 'lost' | 'cancelled'): LocalEvent => ({
  type: 'local:snapshot',
  promptId,
  status,
});

describe('explainVanished', () => {
  it.each([
    [
      'a deleted pending job stays cancelled when nothing else points to a restart',
      [gone('a', 'cancelled')],
      false,
      ['cancelled'],
    ],
    [
      'a vanished running job proves a restart: the vanished pending one is lost too',
      [gone('r', 'lost'), gone('p', 'cancelled')],
      false,
      ['lost', 'lost'],
    ],
    ['after a connection gap, a vanished pending job is lost', [gone('p', 'cancelled')], true, ['lost']],
  ])('%s', (_, events, afterGap, expected) => {
    expect(
      explainVanished(events, afterGap).map((e) => (e.type === 'local:snapshot' ? e.status : e.type)),
    ).toEqual(expected);
  });

  it('never rewrites a cancel the server reported with details', () => {
    const reported: LocalEvent = { type: 'local:snapshot', promptId: 'x', status: 'cancelled', endedAt: 5 };
    expect(explainVanished([reported], true)).toEqual([reported]);
  });
});
