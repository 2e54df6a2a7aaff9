import { describe, expect, it } from 'vitest';
import { errorAnswer, unwrapAnswer } from './error-answer';

describe('the { error } answer convention', () => {
  it.each<[string, unknown, string]>([
    ['an Error answers its message', new Error('engine not ready'), 'engine not ready'],
    ['a string answers itself', 'boom', 'boom'],
    ['anything else answers itself as text', 42, '42'],
  ])('a handler that threw %s', (_what, thrown, text) => {
    expect(errorAnswer(thrown)).toStrictEqual({ error: text });
  });

  it.each<[string, unknown]>([
    ['a result', { ok: true }],
    ['a result with an error field among others', { ok: false, error: 'duplicate' }],
    ['an empty object', {}],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'error'],
    ['a list', ['error']],
  ])('unwrapping %s returns it as it is', (_what, answer) => {
    expect(unwrapAnswer(answer)).toBe(answer);
  });

  it('unwrapping an { error } answer throws an Error with its text', () => {
    expect(() => unwrapAnswer({ error: 'engine not ready' })).toThrow(new Error('engine not ready'));
  });

  it('an answer made from a thrown error unwraps to that error again', () => {
    expect(() => unwrapAnswer(errorAnswer(new Error('no such server')))).toThrow('no such server');
  });
});
