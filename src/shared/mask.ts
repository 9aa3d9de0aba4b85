/**
 * Masking for anyone who does not need the full value (RULES.md §6), and for every log line and
 * error message (DESIGN.md "Logs").
 */
import { formatPhone } from './phone-display.ts';

/** `371502********123X`: first 6, last 4. */
export function maskIdNumber(id: string): string {
  if (id.length <= 10) return '*'.repeat(id.length);
  return id.slice(0, 6) + '*'.repeat(id.length - 10) + id.slice(-4);
}

/** `138****5678` for a mobile, `0635-***3456` for a landline: the display of phone-display.ts, masked. */
export function maskPhone(phone: string): string {
  return formatPhone(phone, { masked: true });
}

/** `张*`, `张**`: the surname (first character) and one star per other character. */
export function maskName(name: string): string {
  const chars = Array.from(name);
  if (chars.length === 0) return '';
  return chars[0] + '*'.repeat(Math.max(1, chars.length - 1));
}
