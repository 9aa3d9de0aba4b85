import { createCipheriv, createDecipheriv, hash, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { GcmBatchEncryptor } from './gcm-batch.ts';
import { ShortHmacSha256 } from './hmac-short.ts';

/**
 * Encryption of personal data at rest (issue 2): AES-256-GCM for the ID number (and rejected
 * import rows), plus a keyed hash (truncated HMAC-SHA256) so a full ID number can be looked up
 * without decrypting every row. Both keys are derived from one 32-byte master key with HKDF.
 */
export interface PersonalDataCipher {
  encrypt(plain: string): string;
  /** `encrypt` for many values at once (same format, a fresh random IV each): for bulk imports. */
  encryptMany(plains: readonly string[]): string[];
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
  // HMAC-SHA256 (RFC 2104): an ID number (short ASCII) takes the JavaScript path of hmac-short.ts;
  // anything else is spelt out with one-shot hashes, which cost a sixth of a new Hmac object per
  // value. The key (32 bytes) is zero-padded to the 64-byte block before the pads are applied;
  // tests check both paths against createHmac.
  const block = Buffer.concat([macKey, Buffer.alloc(32)]);
  // Each pad followed by room for the message (inner) or the inner digest (outer), reused per call.
  const inner = Buffer.concat([block.map((b) => b ^ 0x36), Buffer.alloc(64)]);
  const outer = Buffer.concat([block.map((b) => b ^ 0x5c), Buffer.alloc(32)]);
  const batch = new GcmBatchEncryptor(encKey);
  const short = new ShortHmacSha256(macKey);
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
    encryptMany(plains) {
      const bytes = plains.map((p) => Buffer.from(p, 'utf8'));
      const ivs = randomBytes(IV_BYTES * plains.length);
      const { body, tags } = batch.seal(bytes, ivs);
      const sealed: string[] = [];
      let record = Buffer.alloc(0);
      for (let i = 0, at = 0; i < bytes.length; at += bytes[i]!.length, i++) {
        const size = IV_BYTES + TAG_BYTES + bytes[i]!.length;
        if (record.length < size) record = Buffer.allocUnsafe(Math.max(size, 64));
        // Byte loops: Buffer#copy costs more than it moves for a dozen bytes.
        for (let k = 0; k < IV_BYTES; k++) record[k] = ivs[IV_BYTES * i + k]!;
        for (let k = 0; k < TAG_BYTES; k++) record[IV_BYTES + k] = tags[TAG_BYTES * i + k]!;
        for (let k = 0; k < bytes[i]!.length; k++) record[IV_BYTES + TAG_BYTES + k] = body[at + k]!;
        sealed.push(`${VERSION}.${record.toString('base64', 0, size)}`);
      }
      return sealed;
    },
    decrypt(sealed) {
      if (!sealed.startsWith(`${VERSION}.`)) throw new Error('unknown ciphertext version');
      const raw = Buffer.from(sealed.slice(VERSION.length + 1), 'base64');
      const decipher = createDecipheriv('aes-256-gcm', encKey, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    },
    hash(plain) {
      // The first 53 bits: the high 32 bits of the first word and the high 21 of the second.
      const fast = short.digest(plain);
      if (fast) return fast[0] * 2 ** 21 + (fast[1] >>> 11);
      const length = Buffer.byteLength(plain, 'utf8');
      const message = length <= 64 ? inner : Buffer.concat([inner.subarray(0, 64), Buffer.alloc(length)]);
      message.write(plain, 64, 'utf8');
      hash('sha256', message.subarray(0, 64 + length), 'buffer').copy(outer, 64);
      const digest = hash('sha256', outer, 'buffer');
      return digest.readUInt32BE(0) * 2 ** 21 + (digest.readUInt32BE(4) >>> 11);
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
