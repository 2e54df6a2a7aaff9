import { describe, expect, it } from 'vitest';
import { JsonParseError, parseJsonLenient, replacePythonNonFinite } from './json';

describe('parseJsonLenient', () => {
  it('parses standard JSON exactly like JSON.parse', () => {
    const text = '{"a":[1,2.5,-3e2,null,true,"x"],"b":{"c":"NaN"}}';
    expect(parseJsonLenient(text)).toEqual(JSON.parse(text));
  });

  it.each([
    ['NaN', '{"v":NaN}', { v: null }],
    ['Infinity', '{"v":Infinity}', { v: null }],
    ['-Infinity', '{"v":-Infinity}', { v: null }],
    ['tokens in a list with spaces', '[NaN, Infinity , -Infinity,1]', [null, null, null, 1]],
    ['top-level token', 'NaN', null],
  ])('maps the Python token %s outside strings to null', (_name, text, expected) => {
    expect(parseJsonLenient(text)).toEqual(expected);
  });

  it('never alters string contents that look like the tokens, escaped quotes included', () => {
    const text = '{"s":"NaN Infinity -Infinity \\" NaN","v":NaN,"k":"\\\\","w":Infinity}';
    expect(parseJsonLenient(text)).toEqual({ s: 'NaN Infinity -Infinity " NaN', v: null, k: '\\', w: null });
  });

  it('parses NaN inside execution_error.current_inputs as Python emits it', () => {
    const text =
      '{"type":"execution_error","data":{"prompt_id":"p","current_inputs":{"cfg":[NaN],"denoise":[Infinity],"shift":[-Infinity]}}}';
    const parsed = parseJsonLenient(text) as { data: { current_inputs: Record<string, unknown[]> } };
    expect(parsed.data.current_inputs).toEqual({ cfg: [null], denoise: [null], shift: [null] });
  });

  it.each([
    ['truncated object', '{"type":"progress","data":{'],
    ['bare word', 'keepalive'],
    ['empty', ''],
    ['token glued to identifier', '{"v":NaNx}'],
    ['trailing comma', '[1,]'],
  ])('throws a JsonParseError for %s', (_name, text) => {
    expect(() => parseJsonLenient(text)).toThrow(JsonParseError);
    try {
      parseJsonLenient(text);
    } catch (e) {
      expect((e as JsonParseError).message).toMatch(/^malformed JSON: /);
      expect((e as JsonParseError).sample).toBe(text.slice(0, 200));
    }
  });
});

describe('replacePythonNonFinite', () => {
  it('returns null when nothing needs replacing, so the caller skips a second parse', () => {
    expect(replacePythonNonFinite('{"a":"NaN","b":-1}')).toBeNull();
  });

  it('leaves identifier-like words alone', () => {
    expect(replacePythonNonFinite('[NaNa, Infinity1, xNaN]')).toBeNull();
  });
});
