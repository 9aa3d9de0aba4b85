/**
 * Masking for anyone who does not need the full value (RULES.md §6), and for every log line and
 * error message (DESIGN.md "Logs").
 */

/** `371502********123X`: first 6, last 4. */
export function maskIdNumber(id: string): string {
  if (id.length <= 10) return '*'.repeat(id.length);
  return id.slice(0, 6) + '*'.repeat(id.length - 10) + id.slice(-4);
}

/** `138****5678` for a mobile; a landline keeps its area code and last 4. Accepts E.164. */
export function maskPhone(phone: string): string {
  const national = phone.startsWith('+86') ? phone.slice(3) : phone;
  if (national.length < 7) return '*'.repeat(national.length);
  const head = national.startsWith('1') ? 3 : Math.min(4, national.length - 4);
  return national.slice(0, head) + '*'.repeat(national.length - head - 4) + national.slice(-4);
}

/** `张*`, `张**`: the surname (first character) and one star per other character. */
export function maskName(name: string): string {
  const chars = Array.from(name);
  if (chars.length === 0) return '';
  return chars[0] + '*'.repeat(Math.max(1, chars.length - 1));
}
