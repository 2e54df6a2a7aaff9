/**
 * JSON parsing that survives what Python's `json.dumps` emits.
 *
 * ComfyUI serialises with `allow_nan=True`, so frames can carry the bare tokens `NaN`, `Infinity` and
 * `-Infinity` (comfyui-protocol.md §10 item 17, typically inside `execution_error.current_inputs`).
 * `JSON.parse` rejects them. Choice: those tokens become `null`, exactly what `JSON.stringify` does with the
 * same numbers, so a lenient parse round-trips through JS and a schema expecting a finite number rejects the
 * field instead of silently accepting a non-finite value. String contents are never touched.
 */

export class JsonParseError extends Error {
  override readonly name = 'JsonParseError';
  constructor(
    message: string,
    /** The first characters of the offending text, for diagnostics. */
    readonly sample: string,
  ) {
    super(message);
  }
}

const SAMPLE_CHARS = 200;

/** `JSON.parse` first (the common case costs nothing extra); the Python-token rewrite only on failure. */
export function parseJsonLenient(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (first) {
    const rewritten = replacePythonNonFinite(text);
    if (rewritten !== null) {
      try {
        return JSON.parse(rewritten);
      } catch {
        // fall through: report the original error, which refers to the text the caller gave us
      }
    }
    const reason = first instanceof Error ? first.message : String(first);
    throw new JsonParseError(`malformed JSON: ${reason}`, text.slice(0, SAMPLE_CHARS));
  }
}

const TOKENS = ['NaN', 'Infinity', '-Infinity'] as const;

/**
 * Replaces `NaN`, `Infinity` and `-Infinity` outside string literals by `null`.
 * Returns null when the text holds none of them (so the caller need not parse again).
 */
export function replacePythonNonFinite(text: string): string | null {
  let out = '';
  let copiedUpTo = 0;
  let inString = false;
  let replaced = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    if (c !== 0x4e /* N */ && c !== 0x49 /* I */ && c !== 0x2d /* - */) continue;
    const token = TOKENS.find((t) => text.startsWith(t, i));
    if (token === undefined) continue;
    // A token glued to an identifier character (`NaNx`, `Infinity2`) is not the Python literal.
    if (isIdentChar(text.charCodeAt(i + token.length)) || isIdentChar(text.charCodeAt(i - 1))) continue;
    out += `${text.slice(copiedUpTo, i)}null`;
    i += token.length - 1;
    copiedUpTo = i + 1;
    replaced = true;
  }
  return replaced ? out + text.slice(copiedUpTo) : null;
}

function isIdentChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x5f ||
    c === 0x2e
  );
}
