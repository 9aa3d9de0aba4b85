/**
 * Every CSV the service writes goes through this module, so that no cell can run as a formula
 * when a member of staff opens the file in a spreadsheet (issue 13; OWASP "CSV Injection"): a
 * cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a leading
 * apostrophe (the spreadsheet's "this is text" mark) and quoted. The registry import removes
 * that apostrophe again (`unescapeFormulaCell`), so a downloaded file imports as it was sent.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One cell, made inert and quoted where it needs it (RFC 4180). */
export function csvCell(cell: string): string {
  const inert = FORMULA_START.test(cell);
  const text = inert ? `'${cell}` : cell;
  return inert || NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV line (RFC 4180) of inert cells, LF-terminated. */
export function toCsvLine(cells: readonly string[]): string {
  return cells.map(csvCell).join(',') + '\n';
}

/** A cell as read back: the apostrophe `csvCell` put before a formula character is removed. */
export function unescapeFormulaCell(cell: string): string {
  return cell.charCodeAt(0) === 39 && FORMULA_START.test(cell.slice(1)) ? cell.slice(1) : cell;
}
