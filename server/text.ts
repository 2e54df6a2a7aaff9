// What PostgreSQL cannot store as text or jsonb: U+0000, and UTF-16 surrogates without their pair (JSON can
// carry both as escapes; PostgreSQL refuses the whole statement). Record content is made storable on
// purpose: both become U+FFFD, so a record keeps its length and is stored rather than lost. Values that
// only select (query parameters, path segments) are refused with a 400 that names the parameter instead.
import { z } from 'zod';

/**
 * An escaped backslash, or the escape of U+0000 or of a surrogate. `JSON.stringify` writes a surrogate as
 * an escape only when it is unpaired (ES2019 well-formed stringify), and always writes lowercase hex, so
 * in its output every surrogate escape this matches is a lone one. Escaped backslashes are matched (and
 * kept) so that a literal `\\u0000` in the text is never mistaken for an escape.
 */
const UNSTORABLE_ESCAPE = /\\(?:\\|u(?:0000|d[89a-f][0-9a-f]{2}))/g;
const MAY_HOLD_UNSTORABLE = /\\u(?:0000|d[89a-f])/;

/**
 * Rewrites JSON text produced by `JSON.stringify` so that PostgreSQL's jsonb accepts it: U+0000 and
 * lone surrogates become U+FFFD, in keys and values alike. Text without such an escape is returned as is.
 */
export function storableJson(json: string): string {
  if (!MAY_HOLD_UNSTORABLE.test(json)) return json;
  return json.replace(UNSTORABLE_ESCAPE, (m) => (m === '\\\\' ? m : '\\ufffd'));
}

/** Whether PostgreSQL can hold this string as text. */
export const isStorableText = (s: string) => !s.includes('\u0000') && s.isWellFormed();

/**
 * A query or path parameter that reaches SQL: refused (400 naming it) when PostgreSQL could not hold it,
 * since a selector that was silently changed would select something else.
 */
export const storableText = (max: number) =>
  z.string().max(max).refine(isStorableText, 'must not contain NUL (U+0000) or unpaired UTF-16 surrogates');

/** The string as PostgreSQL will store it: U+0000 and lone surrogates become U+FFFD (same length). */
export const storableString = (s: string) =>
  isStorableText(s) ? s : s.replaceAll('\u0000', '\uFFFD').toWellFormed();
