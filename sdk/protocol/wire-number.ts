/**
 * JSON cannot carry NaN or ±Infinity (JSON.stringify turns them into null), yet a NaN
 * step is the most important step of a run. On the wire a non-finite number is the
 * string "NaN", "Infinity" or "-Infinity"; `null` means "missing". Every reader gives
 * back exactly what was written.
 */
export type WireNumber = number | 'NaN' | 'Infinity' | '-Infinity' | null;

/** Encodes a number (or missing value) for JSON. */
export function encodeNumber(value: number | null | undefined): WireNumber {
  if (value === null || value === undefined) return null;
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

/**
 * Decodes a wire number. Returns `undefined` when the input is not a wire number at all,
 * so callers can report the field by name; `null` stays "missing".
 */
export function decodeNumber(value: unknown): number | null | undefined {
  if (value === null) return null;
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  return undefined;
}

/** Encodes every number of an array for JSON. */
export function encodeNumbers(values: ArrayLike<number | null | undefined>): WireNumber[] {
  const out = new Array<WireNumber>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = encodeNumber(values[i]);
  return out;
}

/**
 * Python's json.dumps writes bare NaN, Infinity and -Infinity tokens by default. This
 * rewrites those tokens (outside strings) into their quoted wire form so that JSON.parse
 * accepts the body. Strings are copied untouched.
 */
export function quoteBareNonFinite(text: string): string {
  if (!/NaN|Infinity/.test(text)) return text;
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (text.startsWith('-Infinity', i)) {
      out += '"-Infinity"';
      i += 9;
    } else if (text.startsWith('Infinity', i)) {
      out += '"Infinity"';
      i += 8;
    } else if (text.startsWith('NaN', i)) {
      out += '"NaN"';
      i += 3;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Formats a number for CSV so that it parses back to the same double. */
export function formatCsvNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return String(value);
}
