import { describe, expect, it } from 'vitest';
import { formatChromeMessage, loadRuntimeTranslator, localeCandidates } from './i18n-runtime';

describe('runtime translator (offscreen documents have no chrome.i18n)', () => {
  it.each([
    [
      ['pt-BR', 'en-US'],
      ['pt_BR', 'pt', 'en_US', 'en'],
    ],
    [['de'], ['de', 'en']],
    [[], ['en']],
  ])('tries locales %o in the order %o', (langs, expected) => {
    expect(localeCandidates(langs)).toEqual(expected);
  });

  it('substitutes positional and named placeholders as Chrome does', () => {
    expect(formatChromeMessage({ message: 'Job on $1 took $2 ($$5)' }, ['Box', '3 s'])).toBe(
      'Job on Box took 3 s ($5)',
    );
    expect(
      formatChromeMessage({ message: 'Hi $name$', placeholders: { name: { content: '$1' } } }, ['Ana']),
    ).toBe('Hi Ana');
  });

  it('reads the shipped messages, falling back from the user locale to the default one', async () => {
    const files: Record<string, unknown> = {
      '/_locales/pt_BR/messages.json': { a: { message: 'olá $1' } },
      '/_locales/en/messages.json': { a: { message: 'hello $1' }, b: { message: 'only english' } },
    };
    const fetchFn = (async (url: string) => {
      const body = files[new URL(url).pathname];
      return body ? new Response(JSON.stringify(body)) : new Response('', { status: 404 });
    }) as unknown as typeof fetch;
    const t = await loadRuntimeTranslator((p) => `chrome-extension://x/${p}`, ['pt-BR'], fetchFn);
    expect(t('a', ['mundo'])).toBe('olá mundo');
    expect(t('b')).toBe('only english');
    expect(t('missing')).toBe('missing');
  });
});
