/**
 * `execution.validate_prompt` / `validate_inputs` of ComfyUI 0.3.64, for the simulator's node set.
 * Returns the same 4-tuple as the server: [ok, error, good_outputs, node_errors].
 * Like the real server it converts primitive inputs in place (an INT given as "8" is stored as 8).
 */
import { type InputSpec, NODES } from './nodes';
import { pyRepr, pyStr } from './pyjson';

export interface PromptError {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

export interface NodeErrors {
  errors: PromptError[];
  dependent_outputs: string[];
  class_type: string;
}

export type ValidationResult = [
  ok: boolean,
  error: PromptError | null,
  goodOutputs: string[],
  nodeErrors: Record<string, NodeErrors>,
];

type Prompt = Record<string, { class_type?: unknown; inputs?: Record<string, unknown> }>;
type Validated = Map<string, [boolean, PromptError[], string]>;

/** Python's `int(x)` for JSON values; throws with Python's message on failure. */
function pyInt(val: unknown): number {
  if (typeof val === 'boolean') return val ? 1 : 0;
  if (typeof val === 'number') {
    if (!Number.isFinite(val)) throw new Error('cannot convert float NaN to integer');
    return Math.trunc(val);
  }
  if (typeof val === 'string' && /^\s*[+-]?\d+(_\d+)*\s*$/.test(val))
    return Number.parseInt(val.replace(/_/g, ''), 10);
  if (typeof val === 'string') throw new Error(`invalid literal for int() with base 10: ${pyRepr(val)}`);
  throw new Error(
    `int() argument must be a string, a bytes-like object or a real number, not '${val === null ? 'NoneType' : Array.isArray(val) ? 'list' : 'dict'}'`,
  );
}

function pyFloatConv(val: unknown): number {
  if (typeof val === 'boolean') return val ? 1 : 0;
  if (typeof val === 'number') return val;
  if (typeof val === 'string' && val.trim() !== '' && !Number.isNaN(Number(val))) return Number(val);
  if (typeof val === 'string') throw new Error(`could not convert string to float: ${pyRepr(val)}`);
  throw new Error(
    `float() argument must be a string or a real number, not '${val === null ? 'NoneType' : 'dict'}'`,
  );
}

function inputInfo(classType: string, name: string): [InputSpec, string] | null {
  const def = NODES[classType]!;
  for (const cat of ['required', 'optional'] as const) {
    const spec = def.input[cat]?.[name];
    if (spec) return [spec, cat];
  }
  return null;
}

function validateInputs(
  prompt: Prompt,
  uniqueId: string,
  validated: Validated,
): [boolean, PromptError[], string] {
  const cached = validated.get(uniqueId);
  if (cached) return cached;
  const node = prompt[uniqueId]!;
  const inputs = (node.inputs ?? {}) as Record<string, unknown>;
  const classType = node.class_type as string;
  const def = NODES[classType]!;
  const validInputs = [...Object.keys(def.input.required ?? {}), ...Object.keys(def.input.optional ?? {})];
  const errors: PromptError[] = [];
  let valid = true;

  for (const x of validInputs) {
    const [spec, category] = inputInfo(classType, x)!;
    const [inputType, extra = {}] = spec;
    const info = [inputType, extra];
    if (!(x in inputs)) {
      if (category === 'required') {
        errors.push({
          type: 'required_input_missing',
          message: 'Required input is missing',
          details: x,
          extra_info: { input_name: x },
        });
      }
      continue;
    }
    let val = inputs[x];
    if (Array.isArray(val)) {
      if (val.length !== 2) {
        errors.push({
          type: 'bad_linked_input',
          message: 'Bad linked input, must be a length-2 list of [node_id, slot_index]',
          details: x,
          extra_info: { input_name: x, input_config: info, received_value: val },
        });
        continue;
      }
      const oId = String(val[0]);
      const upstream = prompt[oId];
      if (!upstream) throw new KeyError(pyRepr(val[0]));
      const returnTypes = NODES[upstream.class_type as string]!.returnTypes;
      const slot = val[1];
      const receivedType = typeof slot === 'number' ? returnTypes[slot] : undefined;
      if (receivedType === undefined) throw new IndexErrorPy('tuple index out of range');
      if (receivedType !== inputType && inputType !== '*' && receivedType !== '*') {
        errors.push({
          type: 'return_type_mismatch',
          message: 'Return type mismatch between linked nodes',
          details: `${x}, received_type(${receivedType}) mismatch input_type(${pyStr(inputType)})`,
          extra_info: { input_name: x, input_config: info, received_type: receivedType, linked_node: val },
        });
        continue;
      }
      try {
        const r = validateInputs(prompt, oId, validated);
        if (!r[0]) {
          valid = false;
        }
      } catch (ex) {
        valid = false;
        const msg = ex instanceof Error ? ex.message : String(ex);
        validated.set(oId, [
          false,
          [
            {
              type: 'exception_during_inner_validation',
              message: 'Exception when validating inner node',
              details: msg,
              extra_info: {
                input_name: x,
                input_config: info,
                exception_message: msg,
                exception_type: pyExceptionType(ex),
                traceback: [],
                linked_node: val,
              },
            },
          ],
          oId,
        ]);
      }
      continue;
    }
    try {
      if (val !== null && typeof val === 'object' && '__value__' in (val as object)) {
        val = (val as Record<string, unknown>).__value__;
        inputs[x] = val;
      }
      if (inputType === 'INT') val = pyInt(val);
      else if (inputType === 'FLOAT') val = pyFloatConv(val);
      else if (inputType === 'STRING') val = pyStr(val);
      else if (inputType === 'BOOLEAN') val = Boolean(val);
      inputs[x] = val;
    } catch (ex) {
      const msg = ex instanceof Error ? ex.message : String(ex);
      errors.push({
        type: 'invalid_input_type',
        message: `Failed to convert an input value to a ${pyStr(inputType)} value`,
        details: `${x}, ${pyStr(val)}, ${msg}`,
        extra_info: { input_name: x, input_config: info, received_value: val, exception_message: msg },
      });
      continue;
    }
    if (typeof val === 'number') {
      if (typeof extra.min === 'number' && val < extra.min) {
        errors.push({
          type: 'value_smaller_than_min',
          message: `Value ${pyStr(val)} smaller than min of ${pyStr(extra.min)}`,
          details: x,
          extra_info: { input_name: x, input_config: info, received_value: val },
        });
        continue;
      }
      if (typeof extra.max === 'number' && val > extra.max) {
        errors.push({
          type: 'value_bigger_than_max',
          message: `Value ${pyStr(val)} bigger than max of ${pyStr(extra.max)}`,
          details: x,
          extra_info: { input_name: x, input_config: info, received_value: val },
        });
        continue;
      }
    }
    if (Array.isArray(inputType) && !inputType.includes(val as string)) {
      const listInfo = inputType.length > 20 ? `(list of length ${inputType.length})` : pyStr(inputType);
      errors.push({
        type: 'value_not_in_list',
        message: 'Value not in list',
        details: `${x}: '${pyStr(val)}' not in ${listInfo}`,
        extra_info: { input_name: x, input_config: info, received_value: val },
      });
    }
  }

  const ret: [boolean, PromptError[], string] =
    errors.length > 0 || !valid ? [false, errors, uniqueId] : [true, [], uniqueId];
  validated.set(uniqueId, ret);
  return ret;
}

class KeyError extends Error {
  override name = 'KeyError';
}
class IndexErrorPy extends Error {
  override name = 'IndexError';
}

function pyExceptionType(ex: unknown): string {
  if (ex instanceof KeyError) return 'KeyError';
  if (ex instanceof IndexErrorPy) return 'IndexError';
  return 'Exception';
}

export function isOutputNode(classType: string): boolean {
  return NODES[classType]?.outputNode === true;
}

/**
 * Validate a prompt (mutating primitive inputs like the server). `prompt` must already be an object;
 * non-object node entries raise, which the HTTP layer turns into a 500 as aiohttp would.
 */
export function validatePrompt(prompt: Prompt, partialTargets: unknown[] | null): ValidationResult {
  const outputs: string[] = [];
  for (const x of Object.keys(prompt)) {
    const node = prompt[x];
    if (node === null || typeof node !== 'object')
      throw new TypeError("argument of type 'int' is not iterable");
    if (!('class_type' in node)) {
      return [
        false,
        {
          type: 'invalid_prompt',
          message: 'Cannot execute because a node is missing the class_type property.',
          details: `Node ID '#${x}'`,
          extra_info: {},
        },
        [],
        {},
      ];
    }
    const classType = node.class_type;
    if (typeof classType !== 'string' || !(classType in NODES)) {
      return [
        false,
        {
          type: 'invalid_prompt',
          message: `Cannot execute because node ${pyStr(classType)} does not exist.`,
          details: `Node ID '#${x}'`,
          extra_info: {},
        },
        [],
        {},
      ];
    }
    if (isOutputNode(classType) && (partialTargets === null || partialTargets.includes(x))) outputs.push(x);
  }
  if (outputs.length === 0) {
    return [
      false,
      { type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '', extra_info: {} },
      [],
      {},
    ];
  }

  const goodOutputs: string[] = [];
  const errors: [string, PromptError[]][] = [];
  const nodeErrors: Record<string, NodeErrors> = {};
  const validated: Validated = new Map();
  for (const o of outputs) {
    let valid = false;
    let reasons: PromptError[] = [];
    try {
      const m = validateInputs(prompt, o, validated);
      valid = m[0];
      reasons = m[1];
    } catch (ex) {
      const msg = ex instanceof Error ? ex.message : String(ex);
      reasons = [
        {
          type: 'exception_during_validation',
          message: 'Exception when validating node',
          details: msg,
          extra_info: { exception_type: pyExceptionType(ex), traceback: [] },
        },
      ];
      validated.set(o, [false, reasons, o]);
    }
    if (valid) {
      goodOutputs.push(o);
      continue;
    }
    if (reasons.length > 0) errors.push([o, reasons]);
    for (const [nodeId, result] of validated) {
      // Downstream nodes of a failing node are invalid without reasons; the server leaves them out.
      if (result[0] !== true && result[1].length > 0) {
        if (!(nodeId in nodeErrors)) {
          nodeErrors[nodeId] = {
            errors: result[1],
            dependent_outputs: [],
            class_type: prompt[nodeId]!.class_type as string,
          };
        }
        nodeErrors[nodeId]!.dependent_outputs.push(o);
      }
    }
  }
  if (goodOutputs.length === 0) {
    const details = errors.flatMap(([, errs]) => errs.map((e) => `${e.message}: ${e.details}`)).join('\n');
    return [
      false,
      {
        type: 'prompt_outputs_failed_validation',
        message: 'Prompt outputs failed validation',
        details,
        extra_info: {},
      },
      goodOutputs,
      nodeErrors,
    ];
  }
  return [true, null, goodOutputs, nodeErrors];
}
