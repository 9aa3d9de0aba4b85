import { maskName, maskPhone } from '../shared/mask.ts';
import { formatPhone } from '../shared/phone-display.ts';
import { can, type Role } from '../staff/permissions.ts';

/**
 * Names and numbers in the outreach lists, by role (RULES.md §6): whoever may read outreach
 * (`outreach:read`) sees them whole; anyone else who reaches such a list gets them masked.
 */
export function phoneFor(phone: string, role: Role): { phone: string; phoneDisplay: string } {
  if (can(role, 'outreach:read')) return { phone, phoneDisplay: formatPhone(phone) };
  const masked = maskPhone(phone);
  return { phone: masked, phoneDisplay: masked };
}

export function nameFor(name: string, role: Role): string {
  return can(role, 'outreach:read') ? name : maskName(name);
}

/** `1000****0003`: a file number is no secret, but a list of strangers' replies shows no more than it must. */
export function maskFileNumber(fileNumber: string): string {
  if (fileNumber.length <= 8) return '*'.repeat(fileNumber.length);
  return fileNumber.slice(0, 4) + '*'.repeat(fileNumber.length - 8) + fileNumber.slice(-4);
}
