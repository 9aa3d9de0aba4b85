import { FieldProblem, parsePhone } from '../registry/validate.ts';

/**
 * The number a webhook came from, normalised the way the registry stores numbers (E.164), so a
 * reply finds its driver's conversation (issue 3). Twilio already sends E.164; a landline comes
 * as +86 + area code without its trunk 0. Anything else is kept as sent and matches nobody.
 */
export function normaliseNumber(raw: string): string {
  const direct = parsePhone(raw);
  if (!(direct instanceof FieldProblem)) return direct.phone;
  const trimmed = raw.replace(/[\s-]/g, '');
  const domestic = /^\+86(\d+)$/.exec(trimmed);
  if (domestic) {
    const landline = parsePhone(`0${domestic[1]}`);
    if (!(landline instanceof FieldProblem)) return landline.phone;
  }
  return trimmed;
}
