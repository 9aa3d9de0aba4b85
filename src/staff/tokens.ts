import { createHash, randomBytes } from 'node:crypto';

const PREFIX = 'sdc_';

/** A new API token: shown once, stored only as its hash. */
export function newToken(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

/** SHA-256 is enough here: tokens are 256 random bits, not passwords. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The token of an `Authorization: Bearer TOKEN` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m ? m[1]! : null;
}
