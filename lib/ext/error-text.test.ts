import { describe, expect, it } from 'vitest';
import { errorText } from './error-text';

describe('errorText', () => {
  it.each([
    { thrown: new Error('boom'), text: 'boom' },
    { thrown: new TypeError('bad type'), text: 'bad type' },
    { thrown: 'plain string', text: 'plain string' },
    { thrown: 42, text: '42' },
    { thrown: undefined, text: 'undefined' },
    { thrown: { code: 1 }, text: '[object Object]' },
  ])('$thrown -> $text', ({ thrown, text }) => {
    expect(errorText(thrown)).toBe(text);
  });
});
