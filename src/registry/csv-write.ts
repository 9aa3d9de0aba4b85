/** One CSV line (RFC 4180): quoted only where a cell needs it, LF-terminated. */
export function toCsvLine(cells: readonly string[]): string {
  return cells.map((cell) => (/[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell)).join(',') + '\n';
}
