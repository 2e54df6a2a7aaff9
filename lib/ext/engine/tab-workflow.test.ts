import { describe, expect, it } from 'vitest';
import { WORKFLOW_NAME_MAX } from '../bridge/tap';
import { tabWorkflowName } from './engine';

describe('a workflow name relayed by the tab bridge', () => {
  it.each([
    ['plain', { prompt_id: 'p', name: 'Portraits v2' }, { promptId: 'p', name: 'Portraits v2' }],
    [
      'white space and control characters fold to one space',
      { prompt_id: 'p', name: ' a\n\u0000\tb\u0085 ' },
      { promptId: 'p', name: 'a b' },
    ],
    [
      'markup stays text',
      { prompt_id: 'p', name: '<img src=x onerror=alert(1)>' },
      { promptId: 'p', name: '<img src=x onerror=alert(1)>' },
    ],
    [
      'capped, never splitting a character',
      { prompt_id: 'p', name: '猫'.repeat(500) },
      { promptId: 'p', name: '猫'.repeat(WORKFLOW_NAME_MAX) },
    ],
    ['nothing left after cleaning', { prompt_id: 'p', name: ' \u0001 ' }, null],
    ['no prompt id', { name: 'x' }, null],
    ['empty prompt id', { prompt_id: '', name: 'x' }, null],
    ['a name that is not text', { prompt_id: 'p', name: ['x'] }, null],
    ['an absurdly long name is refused, not cut', { prompt_id: 'p', name: 'x'.repeat(20_000) }, null],
    ['not an object', 'Portraits', null],
  ])('%s', (_what, data, expected) => {
    expect(tabWorkflowName(data)).toEqual(expected);
  });
});
