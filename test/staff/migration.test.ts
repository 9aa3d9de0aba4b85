import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { describe, expect, it } from 'vitest';
import { loadMigrations, migrate } from '../../src/db/migrate.ts';

// 0011 rebuilds staff (the role CHECK gains postal) under the many tables that reference it:
// every account and every reference must come through, the new columns empty.
const run = (db: sqlite3.Database, sql: string) => new Promise<void>((resolve, reject) => db.exec(sql, (e) => (e ? reject(e) : resolve())));
const all = <T>(db: sqlite3.Database, sql: string) =>
  new Promise<T[]>((resolve, reject) => db.all(sql, (e: Error | null, rows: T[]) => (e ? reject(e) : resolve(rows))));

describe('migration 0011', () => {
  it('keeps the accounts and what references them, and accepts the postal role', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdc-0011-'));
    const raw = new sqlite3.Database(join(dir, 'old.db'));
    try {
      await run(raw, 'PRAGMA foreign_keys = ON;');
      const migrations = await loadMigrations();
      await migrate(raw, migrations.filter((m) => m.name < '0011'));
      const at = '2026-11-20T02:00:00.000Z';
      await run(
        raw,
        `INSERT INTO staff VALUES ('st', '测试admin', 'admin', 'hash-a', 1, '${at}'), ('old', '测试examiner', 'examiner', 'hash-b', 0, '${at}');
         INSERT INTO audit_log VALUES ('a1', '${at}', 'st', 'staff.add', 'old', '{}');
         INSERT INTO imports (id, staff_id, source, status, started_at) VALUES ('imp', 'st', 'cli', 'completed', '${at}');
         INSERT INTO field_staff VALUES ('e', 'examiner', '冯医生', '+8613900000002', '聊城市人民医院', 'old', 1, '${at}', '${at}');`,
      );
      expect(await migrate(raw, migrations)).toContain('0011_staff_sign_in.sql');
      expect(await all(raw, 'SELECT id, role, token_hash, active, username, password_hash, failed_sign_ins, locked_until FROM staff ORDER BY id')).toEqual([
        { id: 'old', role: 'examiner', token_hash: 'hash-b', active: 0, username: null, password_hash: null, failed_sign_ins: 0, locked_until: null },
        { id: 'st', role: 'admin', token_hash: 'hash-a', active: 1, username: null, password_hash: null, failed_sign_ins: 0, locked_until: null },
      ]);
      expect(await all(raw, 'PRAGMA foreign_key_check')).toEqual([]);
      expect(await all(raw, "SELECT staff_id FROM field_staff WHERE id = 'e'")).toEqual([{ staff_id: 'old' }]);
      await run(raw, `INSERT INTO staff (id, name, role, token_hash, created_at, username) VALUES ('p', '测试postal', 'postal', 'hash-c', '${at}', 'post')`);
      // Usernames are one key whatever their case; a password needs a username.
      await expect(run(raw, `INSERT INTO staff (id, name, role, token_hash, created_at, username) VALUES ('q', '测试', 'postal', 'hash-d', '${at}', 'POST')`)).rejects.toThrow(/UNIQUE/);
      await expect(run(raw, `INSERT INTO staff (id, name, role, token_hash, created_at, password_hash) VALUES ('r', '测试', 'postal', 'hash-e', '${at}', 'x')`)).rejects.toThrow(/CHECK/);
      await expect(run(raw, `INSERT INTO staff (id, name, role, token_hash, created_at) VALUES ('s', '测试', 'boss', 'hash-f', '${at}')`)).rejects.toThrow(/CHECK/);
      // A session needs its account.
      await expect(
        run(raw, `INSERT INTO staff_sessions (token_hash, id, staff_id, created_at, last_seen_at, expires_at) VALUES ('h', 's1', 'nobody', '${at}', '${at}', '${at}')`),
      ).rejects.toThrow(/FOREIGN KEY/);
    } finally {
      await new Promise((resolve) => raw.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
