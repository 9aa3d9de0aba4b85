/**
 * Phone numbers as people in China write them (issue 14), from the E.164 form the registry stores
 * (RULES.md §2): a mobile in groups of 3-4-4 (`138 0000 0001`), a landline with its trunk 0 and
 * area code before a dash (`0635-2904665`, `010-12345678`). The one function every output that a
 * person reads goes through; programs get E.164. Masked (RULES.md §6): a mobile `138****0001`
 * as RULES.md writes it, a landline `0635-***4665`; logs use the same.
 */

/** Area codes of three digits with the trunk 0: Beijing 010 and 020-029; every other one has four. */
const THREE_DIGIT_AREA = /^(10|2\d)/;

interface Parts {
  kind: 'mobile' | 'landline' | 'other';
  /** Digits before the subscriber number: `138` of a mobile, `0635` of a landline. */
  head: string;
  /** The rest, which masking hides but for its last four digits. */
  rest: string;
}

function parts(phone: string): Parts {
  const compact = phone.replace(/[\s-]/g, '');
  const national = /^(?:\+86|0086)(\d+)$/.exec(compact)?.[1] ?? (/^\d+$/.test(compact) ? compact.replace(/^0(?=[1-9]\d{8,10}$)/, '') : null);
  if (national === null) return { kind: 'other', head: '', rest: compact };
  if (/^1[3-9]\d{9}$/.test(national)) return { kind: 'mobile', head: national.slice(0, 3), rest: national.slice(3) };
  if (/^[1-9]\d{8,10}$/.test(national)) {
    const area = THREE_DIGIT_AREA.test(national) ? 2 : 3;
    return { kind: 'landline', head: `0${national.slice(0, area)}`, rest: national.slice(area) };
  }
  return { kind: 'other', head: '', rest: compact };
}

/** All but the last four characters as stars; one of fewer than `shortest` is all stars. */
function stars(rest: string, shortest = 5): string {
  if (rest.length < shortest) return '*'.repeat(rest.length);
  return '*'.repeat(rest.length - 4) + rest.slice(-4);
}

/**
 * `+8613800000001` -> `138 0000 0001`, `+866352904665` -> `0635-2904665`; `masked` hides the
 * middle. Anything that is not a Chinese mobile or landline is shown as given (masked: all but
 * its last four characters).
 */
export function formatPhone(phone: string, options: { masked?: boolean } = {}): string {
  const p = parts(phone);
  if (p.kind === 'mobile') return options.masked ? p.head + stars(p.rest) : `${p.head} ${p.rest.slice(0, 4)} ${p.rest.slice(4)}`;
  if (p.kind === 'landline') return `${p.head}-${options.masked ? stars(p.rest) : p.rest}`;
  return options.masked ? stars(p.rest, 8) : p.rest;
}
