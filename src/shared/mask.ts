/**
 * Masking for anyone who does not need the full value (RULES.md §6), and for every log line and
 * error message (DESIGN.md "Logs").
 */

/** `371502********123X`: first 6, last 4. */
export function maskIdNumber(id: string): string {
  if (id.length <= 10) return '*'.repeat(id.length);
  return id.slice(0, 6) + '*'.repeat(id.length - 10) + id.slice(-4);
}

/** `138****5678` for a mobile; a landline in its domestic form, `0635****3456`. Accepts E.164. */
export function maskPhone(phone: string): string {
  const national = phone.startsWith('+86') ? phone.slice(3) : phone;
  const domestic = national.startsWith('1') || national.startsWith('0') ? national : `0${national}`;
  if (domestic.length < 8) return '*'.repeat(domestic.length);
  const head = domestic.startsWith('1') ? 3 : 4;
  return domestic.slice(0, head) + '*'.repeat(domestic.length - head - 4) + domestic.slice(-4);
}

/** `张*`, `张**`: the surname (first character) and one star per other character. */
export function maskName(name: string): string {
  const chars = Array.from(name);
  if (chars.length === 0) return '';
  return chars[0] + '*'.repeat(Math.max(1, chars.length - 1));
}
