/**
 * A translator for contexts without `chrome.i18n` (offscreen documents only get `chrome.runtime`): it
 * reads the same `_locales/<locale>/messages.json` the browser uses, from the extension's own files.
 */
import type { Translate } from './i18n';

interface ChromeMessages {
  [key: string]: { message: string; placeholders?: Record<string, { content: string }> };
}

/** `pt-BR` → `pt_BR`; candidates from the most to the least specific, then the default locale. */
export function localeCandidates(languages: readonly string[], fallback = 'en'): string[] {
  const out: string[] = [];
  for (const lang of languages) {
    const [base, region] = lang.split('-');
    if (base && region) out.push(`${base.toLowerCase()}_${region.toUpperCase()}`);
    if (base) out.push(base.toLowerCase());
  }
  out.push(fallback);
  return [...new Set(out)];
}

/** Applies Chrome's substitution rules: named placeholders map to `$n`, then `$n` to the values. */
export function formatChromeMessage(m: ChromeMessages[string], subs: readonly (string | number)[]): string {
  let text = m.message;
  for (const [name, ph] of Object.entries(m.placeholders ?? {})) {
    text = text.replace(new RegExp(`\\$${name}\\$`, 'gi'), ph.content);
  }
  // one pass, so a literal `$$` before a digit stays a dollar sign
  return text.replace(/\$(\$|\d)/g, (_, c: string) => (c === '$' ? '$' : String(subs[Number(c) - 1] ?? '')));
}

export async function loadRuntimeTranslator(
  getUrl: (path: string) => string,
  languages: readonly string[],
  fetchFn: typeof fetch = fetch,
): Promise<Translate> {
  const tables: ChromeMessages[] = [];
  for (const locale of localeCandidates(languages)) {
    try {
      const res = await fetchFn(getUrl(`_locales/${locale}/messages.json`));
      if (res.ok) tables.push((await res.json()) as ChromeMessages);
    } catch {
      // a locale the extension does not ship
    }
  }
  return (key, subs = []) => {
    for (const table of tables) {
      const m = table[key];
      if (m) return formatChromeMessage(m, subs);
    }
    return key;
  };
}
