import { describe, expect, it } from 'vitest';
import type { TrackerEvent } from '../../comfy/types';
import { explainVanished } from './connection';
import { tabPreviewEvent } from './engine';

const gone = (promptId: string, status: 'lost' | 'cancelled'): TrackerEvent => ({
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
    const reported: TrackerEvent = { type: 'local:snapshot', promptId: 'x', status: 'cancelled', endedAt: 5 };
    expect(explainVanished([reported], true)).toEqual([reported]);
  });
});

describe('tabPreviewEvent', () => {
  it.each([
    [{ prompt_id: 'p', mime: 'image/webp', image: 'AQID', node_id: '3' }, [1, 2, 3]],
    [{ prompt_id: 'p', mime: 'text/html', image: 'AQID' }, null],
    [{ prompt_id: 'p', mime: 'image/png', image: '***' }, null],
    [{ mime: 'image/png', image: 'AQID' }, null],
  ])('%o → %o', (data, bytes) => {
    const ev = tabPreviewEvent(data);
    if (bytes === null) expect(ev).toBeNull();
    else expect(ev).toMatchObject({ type: 'preview', promptId: 'p', bytes: new Uint8Array(bytes) });
  });
});
