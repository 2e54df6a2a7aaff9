import { resolve } from 'node:path';
import { parseMessagesFile } from '@wxt-dev/i18n/build';
import { describe, expect, it } from 'vitest';

const PREFIXES = ['notify_', 'doctor_', 'bg_'];

async function load(locale: string) {
  const messages = await parseMessagesFile(resolve(__dirname, `../../locales/${locale}.yml`));
  return new Map(
    messages
      .filter((m) => PREFIXES.some((p) => m.key.join('_').startsWith(p)))
      .map((m) => [m.key.join('_'), m.substitutions]),
  );
}

describe('background messages', () => {
  it('exist in pt-BR exactly as in English, with the same substitutions', async () => {
    const [en, pt] = await Promise.all([load('en'), load('pt-BR')]);
    expect(en.size).toBeGreaterThan(20);
    expect([...pt.entries()].sort()).toEqual([...en.entries()].sort());
  });
});
