/** A `Translate` over the real `locales/<locale>.yml`, strict about keys and substitution counts. */
import { resolve } from 'node:path';
import { parseMessagesFile } from '@wxt-dev/i18n/build';
import type { Translate } from '../i18n';

export async function loadTranslator(locale = 'en'): Promise<Translate> {
  const messages = await parseMessagesFile(resolve(__dirname, `../../../locales/${locale}.yml`));
  const byKey = new Map(messages.map((m) => [m.key.join('_'), m]));
  return (key, subs = []) => {
    const m = byKey.get(key);
    if (!m || m.type === 'plural') throw new Error(`no message ${key} in ${locale}.yml`);
    if (m.substitutions !== subs.length) {
      throw new Error(`${key} takes ${m.substitutions} substitutions, got ${subs.length}`);
    }
    return m.message.replace(/\$(\d)/g, (_, n: string) => String(subs[Number(n) - 1]));
  };
}
