import type { MessageKey } from '../i18n/messages.ts';

/**
 * Password hashes (issue 15): PBKDF2-HMAC-SHA256 through WebCrypto, which Node and Workers both
 * have. A hash names its algorithm and iteration count, so verifying replays the count it was
 * made with and raising PASSWORD_PBKDF2_ITERATIONS leaves existing passwords valid.
 */
const ALGORITHM = 'pbkdf2-sha256';
/** OWASP's Password Storage Cheat Sheet (2023) for PBKDF2-HMAC-SHA256. */
export const DEFAULT_PBKDF2_ITERATIONS = 600_000;
const SALT_BYTES = 16;
const HASH_BITS = 256;
/** A stored count above this is refused unverified: a tampered row must not cost minutes of CPU. */
const MAX_ITERATIONS = 10_000_000;

export const PASSWORD_MIN_CHARS = 10;
export const PASSWORD_MAX_CHARS = 256;

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  try {
    return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
}

async function derive(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, HASH_BITS);
  return new Uint8Array(bits);
}

/** `pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>`, with a fresh random salt. */
export async function hashPassword(password: string, iterations: number): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(password, salt, iterations);
  return `${ALGORITHM}$${iterations}$${toBase64(salt)}$${toBase64(hash)}`;
}

interface ParsedHash {
  iterations: number;
  salt: Uint8Array<ArrayBuffer>;
  hash: Uint8Array;
}

function parseHash(stored: string): ParsedHash | null {
  const [algorithm, count, salt64, hash64, ...rest] = stored.split('$');
  if (algorithm !== ALGORITHM || rest.length > 0 || !count || !/^\d{1,8}$/.test(count)) return null;
  const iterations = Number(count);
  const salt = fromBase64(salt64 ?? '');
  const hash = fromBase64(hash64 ?? '');
  if (iterations < 1 || iterations > MAX_ITERATIONS || !salt || salt.length === 0 || hash?.length !== HASH_BITS / 8) return null;
  return { iterations, salt, hash };
}

/** The iteration count a stored hash was made with (null if it is not one of ours). */
export function hashIterations(stored: string): number | null {
  return parseHash(stored)?.iterations ?? null;
}

/** Whether `password` is the one `stored` was made from; the bytes are compared in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const presented = await derive(password, parsed.salt, parsed.iterations);
  return constantTimeEqual(presented, parsed.hash);
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * What is wrong with a new password, as a catalogue key, or null. Length in characters (a Chinese
 * passphrase counts its characters, not its bytes); no composition rules (NIST SP 800-63B).
 */
export type PasswordProblem = Extract<MessageKey, 'password_too_short' | 'password_too_long' | 'password_is_username'>;

export function passwordProblem(password: string, username?: string): PasswordProblem | null {
  const chars = Array.from(password).length;
  if (chars < PASSWORD_MIN_CHARS) return 'password_too_short';
  if (chars > PASSWORD_MAX_CHARS) return 'password_too_long';
  if (username !== undefined && password.trim().toLowerCase() === username.trim().toLowerCase()) return 'password_is_username';
  return null;
}
