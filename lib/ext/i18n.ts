/**
 * The translator the background modules take as a dependency. In the extension it is `i18n.t` from
 * `#i18n` (messages in `locales/*.yml`); tests pass one built from the same files, so a missing key or a
 * wrong substitution count fails a test instead of showing the raw key to a user.
 */
export type Translate = (key: string, substitutions?: (string | number)[]) => string;

/** Adapts `@wxt-dev/i18n`'s typed `t` (its key union is generated) to `Translate`. */
export function fromWxtI18n(t: (key: never, subs?: never) => string): Translate {
  return (key, subs) =>
    (t as unknown as (k: string, s?: string[]) => string)(
      key,
      subs?.map((s) => String(s)),
    );
}
