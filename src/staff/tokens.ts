import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'sdc_';

/** A new API token: shown once, stored only as its hash. */
export function newToken(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

/** SHA-256 is enough here: tokens are 256 random bits, not passwords. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Whether `token` is the one whose hash was stored, compared in constant time. The row was
 * found by this very hash, so this is defence in depth: if a look-up ever matched otherwise (a
 * collation, a prefix index, a future cache) no byte-by-byte timing of the comparison would show.
 * The look-up's own timing leaks nothing usable: the database compares SHA-256 digests, not
 * tokens, and learning how many leading bytes of a stored digest a guess's digest shares does not
 * help find a token that hashes to it (preimage resistance; tokens carry 256 random bits).
 */
export function tokenMatchesHash(token: string, storedHash: string): boolean {
  const presented = Buffer.from(hashToken(token), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}

/** Far longer than any token we issue (`sdc_` and 43 characters); longer ones are not hashed. */
const MAX_TOKEN_CHARS = 256;

/** The token of an `Authorization: Bearer TOKEN` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m && m[1]!.length <= MAX_TOKEN_CHARS ? m[1]! : null;
}
