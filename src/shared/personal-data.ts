import { createDecipheriv, createHmac, hash, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { GcmBatchEncryptor } from './gcm-batch.ts';
import { ShortHmacSha256 } from './hmac-short.ts';

/**
 * Encryption of personal data at rest (issue 2): AES-256-GCM for the ID number (and rejected
 * import rows), plus a keyed hash (truncated HMAC-SHA256) so a full ID number can be looked up
 * without decrypting every row. Both keys are derived from one 32-byte master key with HKDF.
 *
 * Stored format (issue 13): `v2.<key id>.<base64 of IV | tag | ciphertext>`, where the key id
 * (8 hex digits of an HMAC of the master key over a fixed label, never the key) says which master
 * key sealed the value, so that during a key rotation (DATA_KEY_PREVIOUS, `cli rotate-key`) each
 * value is opened with its own key. Values written before key ids (`v1.<base64>`) stay readable:
 * they are tried with the current key, then the previous one (GCM's tag tells which is right).
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
  /**
   * The look-up hashes a stored row may carry for `plain`: under the current key, and during a
   * rotation under the previous one too (a row not re-sealed yet keeps its old hash).
   */
  hashes(plain: string): number[];
  /** The key id of the current key: values it sealed start with `v2.<keyId>.`. */
  readonly keyId: string;
  /** True when `sealed` is sealed by the current key (a rotation has nothing left to do for it). */
  sealedWithCurrentKey(sealed: string): boolean;
}

/** A missing, malformed or wrong DATA_KEY: the message is one line that names the setting. */
export class DataKeyError extends Error {}

const LEGACY = 'v1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** `v2.` + 8 hex digits + `.` */
const PREFIX_LENGTH = 12;

/** 8 hex digits naming a master key in sealed values (32 bits of HMAC-SHA256 over a label). */
export function keyIdOf(masterKey: Buffer): string {
  return createHmac('sha256', masterKey).update('personal-data/key-id').digest('hex').slice(0, 8);
}

/**
 * What the database records of the key it was written with: 128 bits of HMAC-SHA256 of the key
 * over a fixed label. Tells keys apart without revealing anything about them.
 */
export function keyCheckOf(masterKey: Buffer): string {
  return createHmac('sha256', masterKey).update('personal-data/key-check').digest('hex').slice(0, 32);
}

export const KEY_FORMAT_HINT = 'must be 32 bytes written as 64 hex digits or base64 (generate one with: openssl rand -base64 32)';

export function parseMasterKey(text: string, name = 'DATA_KEY'): Buffer {
  const trimmed = text.trim();
  const hex = /^[0-9a-fA-F]{64}$/.test(trimmed);
  const key = hex ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  // Buffer's base64 decoder skips characters it does not know: check the text, not just the length.
  if (key.length !== 32 || (!hex && !/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed))) throw new DataKeyError(`${name} ${KEY_FORMAT_HINT}`);
  return key;
}

/**
 * The cipher of the current master key; with `previousKey` (a rotation in progress) it also
 * opens values the previous key sealed. New values are always sealed with the current key.
 */
export function createCipher(masterKey: Buffer, previousKey?: Buffer): PersonalDataCipher {
  const current = createSealer(masterKey);
  const previous = previousKey ? createSealer(previousKey) : null;
  const keyId = keyIdOf(masterKey);
  const previousId = previousKey ? keyIdOf(previousKey) : null;
  return {
    keyId,
    encrypt: current.encrypt,
    encryptMany: current.encryptMany,
    hash: current.hash,
    hashes: (plain) => (previous ? [current.hash(plain), previous.hash(plain)] : [current.hash(plain)]),
    sealedWithCurrentKey: (sealed) => sealed.startsWith(current.prefix),
    decrypt(sealed) {
      if (sealed.startsWith('v2.') && sealed[PREFIX_LENGTH - 1] === '.') {
        const id = sealed.slice(3, PREFIX_LENGTH - 1);
        const body = sealed.slice(PREFIX_LENGTH);
        if (id === keyId) return current.open(body);
        if (previous && id === previousId) return previous.open(body);
        throw new Error('sealed with a key that is neither DATA_KEY nor DATA_KEY_PREVIOUS');
      }
      if (!sealed.startsWith(LEGACY)) throw new Error('unknown ciphertext version');
      const body = sealed.slice(LEGACY.length);
      if (!previous) return current.open(body);
      try {
        return current.open(body);
      } catch {
        return previous.open(body);
      }
    },
  };
}

interface Sealer {
  prefix: string;
  encrypt(plain: string): string;
  encryptMany(plains: readonly string[]): string[];
  /** The base64 part of a sealed value. */
  open(body: string): string;
  hash(plain: string): number;
}

function createSealer(masterKey: Buffer): Sealer {
  const prefix = `v2.${keyIdOf(masterKey)}.`;
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
  /** `bytes[i]` sealed under IV i of `ivs` (12 bytes each), in the stored format. */
  const seal = (bytes: readonly Buffer[], ivs: Buffer): string[] => {
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
      sealed.push(prefix + record.toString('base64', 0, size));
    }
    return sealed;
  };
  return {
    prefix,
    encrypt(plain) {
      // Through the batch encryptor: Workers' node:crypto fails on an empty message (issue 17's
      // cross-runtime vectors found it), and the bytes are the same (tested against Node's).
      return seal([Buffer.from(plain, 'utf8')], nextIv())[0]!;
    },
    encryptMany: (plains) => seal(plains.map((p) => Buffer.from(p, 'utf8')), randomBytes(IV_BYTES * plains.length)),
    open(body) {
      const raw = Buffer.from(body, 'base64');
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
 * a file under the data folder (created on first use, readable by the owner only). In production
 * (NODE_ENV=production) there is no development key: a missing or obviously non-random key stops
 * the start.
 */
export function loadMasterKey(
  dataKey: string | undefined,
  devKeyPath: string,
  warn: (message: string) => void,
  options: { production?: boolean } = {},
): Buffer {
  if (dataKey) {
    const key = parseMasterKey(dataKey);
    if (options.production && new Set(key).size < 8) {
      throw new DataKeyError('DATA_KEY is not a random key (too few distinct bytes): generate one with openssl rand -base64 32');
    }
    return key;
  }
  if (options.production) {
    throw new DataKeyError(
      'DATA_KEY is not set: NODE_ENV=production needs a real key; set DATA_KEY to the key this database was written with, or to a new one from openssl rand -base64 32',
    );
  }
  warn(`DATA_KEY is not set: using the development key in ${devKeyPath}; set DATA_KEY in production`);
  return parseMasterKey(developmentSecret(devKeyPath));
}

/** The keys of a start: DATA_KEY, and during a rotation DATA_KEY_PREVIOUS (the key being replaced). */
export interface DataKeys {
  current: Buffer;
  previous: Buffer | null;
}

export function loadDataKeys(
  settings: { dataKey: string | undefined; previousKey: string | undefined; production: boolean },
  devKeyPath: string,
  warn: (message: string) => void,
): DataKeys {
  const current = loadMasterKey(settings.dataKey, devKeyPath, warn, { production: settings.production });
  if (!settings.previousKey) return { current, previous: null };
  const previous = parseMasterKey(settings.previousKey, 'DATA_KEY_PREVIOUS');
  if (previous.equals(current)) throw new DataKeyError('DATA_KEY_PREVIOUS is the same key as DATA_KEY: set it to the old key during a rotation, or remove it');
  return { current, previous };
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
