/** `validate_prompt` error types, table-driven over small graph mutations of ok.json. */
import { describe, expect, it } from 'vitest';
import { loadWorkflow } from './testing/fixtures';
import { validatePrompt } from './validate';

type Graph = ReturnType<typeof loadWorkflow>;

const cases: [
  string,
  (g: Graph) => void,
  { top: string; nodeError?: { node: string; type: string; details: string } },
][] = [
  [
    'a node without class_type',
    (g) => delete (g['1'] as { class_type?: string }).class_type,
    { top: 'invalid_prompt' },
  ],
  [
    'a link of the wrong length',
    (g) => {
      g['2']!.inputs.image = ['1'];
    },
    {
      top: 'prompt_outputs_failed_validation',
      nodeError: { node: '2', type: 'bad_linked_input', details: 'image' },
    },
  ],
  [
    'a link whose output type does not fit',
    (g) => {
      g['3'] = { class_type: 'PreviewImage', inputs: { images: ['4', 0] } };
      g['4'] = { class_type: 'PeerFail', inputs: { message: ['2', 0] } };
    },
    {
      top: 'prompt_outputs_failed_validation',
      nodeError: {
        node: '4',
        type: 'return_type_mismatch',
        details: 'message, received_type(IMAGE) mismatch input_type(STRING)',
      },
    },
  ],
  [
    'an INT that is not a number',
    (g) => {
      g['2']!.inputs.steps = 'many';
    },
    {
      top: 'prompt_outputs_failed_validation',
      nodeError: {
        node: '2',
        type: 'invalid_input_type',
        details: "steps, many, invalid literal for int() with base 10: 'many'",
      },
    },
  ],
  [
    'a value above max',
    (g) => {
      g['1']!.inputs.width = 99999;
    },
    {
      top: 'prompt_outputs_failed_validation',
      nodeError: { node: '1', type: 'value_bigger_than_max', details: 'width' },
    },
  ],
  [
    'a link to a node that does not exist',
    (g) => {
      g['3']!.inputs.images = ['9', 0];
    },
    {
      top: 'prompt_outputs_failed_validation',
      nodeError: { node: '3', type: 'exception_during_validation', details: "'9'" },
    },
  ],
];

describe('validatePrompt', () => {
  it('accepts ok.json with its single output', () => {
    expect(validatePrompt(loadWorkflow('ok'), null)).toEqual([true, null, ['3'], {}]);
  });

  it.each(cases)('rejects %s', (_name, mutate, expected) => {
    const g = loadWorkflow('ok');
    mutate(g);
    const [ok, error, , nodeErrors] = validatePrompt(g, null);
    expect(ok).toBe(false);
    expect(error?.type).toBe(expected.top);
    if (expected.nodeError) {
      const ne = nodeErrors[expected.nodeError.node];
      expect(ne?.errors[0]).toMatchObject({
        type: expected.nodeError.type,
        details: expected.nodeError.details,
      });
    }
  });

  it('honours partial_execution_targets', () => {
    const g = loadWorkflow('slow');
    g['5'] = { class_type: 'SaveImage', inputs: { images: ['3', 0], filename_prefix: 'p' } };
    expect(validatePrompt(g, ['5'])[2]).toEqual(['5']);
    expect(validatePrompt(g, ['1'])[1]?.type).toBe('prompt_no_outputs');
  });
});
