import { createCipheriv, createDecipheriv, hash, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Encryption of personal data at rest (issue 2): AES-256-GCM for the ID number (and rejected
 * import rows), plus a keyed hash (truncated HMAC-SHA256) so a full ID number can be looked up
 * without decrypting every row. Both keys are derived from one 32-byte master key with HKDF.
 */
export interface PersonalDataCipher {
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
  /**
   * Deterministic keyed hash for equality look-ups: the first 53 bits of HMAC-SHA256, a safe
   * integer. Compact enough for the index of a million licences to stay in SQLite's page cache;
   * a look-up confirms its candidates by decrypting (a collision is possible, if unlikely).
   */
  hash(plain: string): number;
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function parseMasterKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new Error('DATA_KEY must be 32 bytes, written as 64 hex digits or base64');
  return key;
}

export function createCipher(masterKey: Buffer): PersonalDataCipher {
  const encKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'personal-data/aes-256-gcm', 32));
  const macKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'personal-data/hmac-sha256', 32));
  // HMAC-SHA256 (RFC 2104) spelt out with one-shot hashes, which cost a sixth of a new Hmac
  // object per value - it counts for a million ID numbers. The key (32 bytes) is zero-padded to the
  // 64-byte block before the pads are applied; a test checks the result against createHmac.
  const block = Buffer.concat([macKey, Buffer.alloc(32)]);
  const innerPad = block.map((b) => b ^ 0x36);
  const outerPad = block.map((b) => b ^ 0x5c);
  // Random IVs drawn in bulk: one randomBytes call per row would dominate a million-row import.
  let pool = Buffer.alloc(0);
  let offset = 0;
  const nextIv = (): Buffer => {
    if (offset + IV_BYTES > pool.length) {
      pool = randomBytes(IV_BYTES * 4096);
      offset = 0;
    }
    offset += IV_BYTES;
    return pool.subarray(offset - IV_BYTES, offset);
  };
  return {
    encrypt(plain) {
      const iv = nextIv();
      const cipher = createCipheriv('aes-256-gcm', encKey, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
    },
    decrypt(sealed) {
      if (!sealed.startsWith(`${VERSION}.`)) throw new Error('unknown ciphertext version');
      const raw = Buffer.from(sealed.slice(VERSION.length + 1), 'base64');
      const decipher = createDecipheriv('aes-256-gcm', encKey, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    },
    hash(plain) {
      const inner = hash('sha256', Buffer.concat([innerPad, Buffer.from(plain, 'utf8')]), 'buffer');
      return Number(hash('sha256', Buffer.concat([outerPad, inner]), 'buffer').readBigUInt64BE(0) >> 11n);
    },
  };
}

/**
 * The master key from DATA_KEY, or - for the embedded default only - a development key kept in
 * a file under the data folder (created on first use, readable by the owner only).
 */
export function loadMasterKey(
  dataKey: string | undefined,
  devKeyPath: string,
  warn: (message: string) => void,
): Buffer {
  if (dataKey) return parseMasterKey(dataKey);
  warn(`DATA_KEY is not set: using the development key in ${devKeyPath}; set DATA_KEY in production`);
  return parseMasterKey(developmentSecret(devKeyPath));
}

/** 32 random bytes (base64) kept in a file readable by the owner only, created on first use. */
export function developmentSecret(path: string): string {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  return readFileSync(path, 'utf8').trim();
}
