// A text cell of an exported CSV. RFC 4180: a field with a comma, quote or line break is
// quoted, quotes doubled. And a spreadsheet must not run it: Excel, LibreOffice and Sheets
// evaluate a cell starting with = + - @ (and tab or CR, which they skip first) as a formula,
// so a layer named `=HYPERLINK(...)` would become a live link or a DDE command. OWASP's
// remedy: prefix a single quote, which shows the text as text.
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvText(text: string): string {
  const safe = FORMULA_START.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
