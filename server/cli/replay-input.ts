// Parsing `gradpilot replay` input: one norm per line, or CSV with a gradNorm column.

/** An input line that cannot be read; the message starts with its line number. */
export class ReplayInputError extends Error {
  override name = 'ReplayInputError';
}

export type InputFormat =
  | { kind: 'plain' }
  | { kind: 'csv'; gradNorm: number; step: number | null; columns: number };

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A norm: a decimal number, or nan / inf / -inf / infinity in any case. Throws ReplayInputError. */
export function parseNormLine(text: string, lineNo: number, what: string): number {
  const t = text.trim().replace(/^"(.*)"$/, '$1');
  const lower = t.toLowerCase();
  if (lower === 'nan' || lower === '+nan' || lower === '-nan') return Number.NaN;
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity' || lower === '+infinity') return Number.POSITIVE_INFINITY;
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  if (NUMBER.test(t)) return Number(t);
  throw new ReplayInputError(
    `line ${lineNo}: cannot read ${what} ${JSON.stringify(text.length > 60 ? text.slice(0, 60) + '...' : text)}: expected a number, nan, inf or -inf`,
  );
}

/** Decides from the first non-empty line whether the input is plain norms or CSV with a header. */
export function detectFormat(line: string, lineNo: number): InputFormat {
  const cells = splitCsvLine(line).map((c) => c.trim());
  const gradNorm = cells.indexOf('gradNorm');
  if (gradNorm >= 0) {
    const step = cells.indexOf('step');
    return { kind: 'csv', gradNorm, step: step >= 0 ? step : null, columns: cells.length };
  }
  if (cells.length === 1) {
    parseNormLine(line, lineNo, 'the gradient norm');
    return { kind: 'plain' };
  }
  throw new ReplayInputError(
    `line ${lineNo}: expected one norm per line, or a CSV header with a "gradNorm" column; got ${JSON.stringify(line.slice(0, 80))}`,
  );
}

/** Splits a CSV line; double-quoted cells may hold commas and "" escapes. */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cell);
      cell = '';
    } else cell += c;
  }
  out.push(cell);
  return out;
}
