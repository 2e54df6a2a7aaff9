/**
 * Python's `json.dumps` as aiohttp uses it (`send_json`, `web.json_response`): `", "` and `": "`
 * separators, `ensure_ascii`, `NaN`/`Infinity` tokens, and floats that keep their `.0`.
 * The simulator serialises through this so that its bytes on the wire match the real server's,
 * e.g. `progress_state` start values `0.0`/`1.0` stay floats for clients that care (Python, strict parsers).
 */

/** A number that Python holds as a float: serialised with a fractional part (`1.0`, not `1`). */
export class PyFloat {
  constructor(readonly value: number) {}
  toJSON(): number {
    return this.value;
  }
}

export const pyFloat = (value: number): PyFloat => new PyFloat(value);

function floatRepr(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'Infinity';
  if (v === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.0`;
  const s = String(v);
  // Python writes exponents with a sign and at least two digits: 1e+16, 1e-07.
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function numberRepr(v: number): string {
  if (!Number.isFinite(v)) return floatRepr(v);
  return Number.isInteger(v) ? String(v) : floatRepr(v);
}

function stringRepr(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** `json.dumps(value)` with Python's default settings. `undefined` members are skipped like JSON.stringify. */
export function pyDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof PyFloat) return floatRepr(value.value);
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return numberRepr(value);
    case 'string':
      return stringRepr(value);
    case 'bigint':
      return value.toString();
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => pyDumps(v)).join(', ')}]`;
      const parts: string[] = [];
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined || typeof v === 'function') continue;
        parts.push(`${stringRepr(k)}: ${pyDumps(v)}`);
      }
      return `{${parts.join(', ')}}`;
    }
    default:
      return 'null';
  }
}

/**
 * Python's `json.loads`: accepts the `NaN`/`Infinity`/`-Infinity` tokens that JSON.parse rejects.
 * Throws SyntaxError on malformed input.
 */
export function pyLoads(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (!/NaN|Infinity/.test(text)) throw err;
    // Replace the bare tokens outside strings with sentinels, parse, then restore.
    const sentinel = '__pyjson_special__';
    let out = '';
    let inString = false;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (inString) {
        out += ch;
        if (ch === '\\') {
          out += text[i + 1] ?? '';
          i++;
        } else if (ch === '"') inString = false;
        continue;
      }
      if (ch === '"') {
        inString = true;
        out += ch;
        continue;
      }
      const rest = text.slice(i);
      const m = /^(-?Infinity|NaN)/.exec(rest);
      if (m) {
        out += `"${sentinel}${m[1]}"`;
        i += m[1]!.length - 1;
        continue;
      }
      out += ch;
    }
    return JSON.parse(out, (_k, v) => {
      if (typeof v === 'string' && v.startsWith(sentinel)) {
        const tok = v.slice(sentinel.length);
        return tok === 'NaN' ? Number.NaN : tok === 'Infinity' ? Infinity : -Infinity;
      }
      return v;
    });
  }
}

/** Python's `str()` for the JSON values a client can send (used where the server does `str(x)`). */
export function pyStr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return numberRepr(value);
  if (value instanceof PyFloat) return floatRepr(value.value);
  return pyRepr(value);
}

/** Python's `repr()` for JSON-like values. */
export function pyRepr(value: unknown): string {
  if (typeof value === 'string') {
    const q = value.includes("'") && !value.includes('"') ? '"' : "'";
    const body = value
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r')
      .replace(/\t/g, '\\t');
    return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
  }
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (value !== null && typeof value === 'object' && !(value instanceof PyFloat)) {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`)
      .join(', ')}}`;
  }
  return pyStr(value);
}

/** Deep copy of JSON-like data that keeps PyFloat instances (structuredClone would drop the class). */
export function pyClone<T>(value: T): T {
  if (value === null || typeof value !== 'object' || value instanceof PyFloat) return value;
  if (Array.isArray(value)) return value.map((v) => pyClone(v)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = pyClone(v);
  return out as T;
}

const PY_TYPE: Record<string, string> = { boolean: 'bool', number: 'int', string: 'str' };

/** `type(value).__name__` for a decoded JSON value, as it appears in Python's error messages. */
export function pyTypeName(value: unknown): string {
  if (value === null) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  return PY_TYPE[typeof value] ?? 'object';
}

/** Python's `x in container` for a decoded JSON body; raises (→ 500) where Python would. */
export function pyIn(key: string, container: unknown): boolean {
  if (typeof container === 'string') return container.includes(key);
  if (Array.isArray(container)) {
    if (container.includes(key)) throw new TypeError('list indices must be integers or slices, not str');
    return false;
  }
  if (container !== null && typeof container === 'object') return key in (container as object);
  throw new TypeError(`argument of type '${pyTypeName(container)}' is not iterable`);
}

/** Iterates a JSON value like Python's `for x in value` (dict keys, list items, string chars). */
export function pyIter(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return [...value];
  if (value !== null && typeof value === 'object') return Object.keys(value);
  throw new TypeError('object is not iterable');
}
