import { CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import { sqlScript } from '../../src/db/sql-script.ts';
import { openTempDatabase } from '../helpers/temp-db.ts';

describe('sqlScript', () => {
  it('writes values in where the placeholders are, quoting strings, and leaves quoted question marks alone', () => {
    const q = CompiledQuery.raw(`INSERT INTO "t?" (a, b, c, d) VALUES (?, ?, ?, '?')`, ["it's 体检", 7, null]);
    expect(sqlScript([q])).toBe(`INSERT INTO "t?" (a, b, c, d) VALUES ('it''s 体检', 7, NULL, '?');\n`);
  });

  it('refuses a query whose values and placeholders do not match, and a value SQL cannot hold', () => {
    expect(() => sqlScript([CompiledQuery.raw('SELECT ?, ?', [1])])).toThrow(/more placeholders/);
    expect(() => sqlScript([CompiledQuery.raw('SELECT ?', [1, 2])])).toThrow(/more values/);
    expect(() => sqlScript([CompiledQuery.raw('SELECT ?', [new Date()])])).toThrow(/object/);
  });

  it('stores, when run, exactly what the bound query stores', async () => {
    const database = await openTempDatabase();
    try {
      const values = ["O'Brien 测试", 'admin', 'h'.repeat(64), 1, '2026-12-07T00:00:00.000Z'];
      const insert = (id: string) => CompiledQuery.raw('INSERT INTO staff (id, name, role, token_hash, active, created_at) VALUES (?, ?, ?, ?, ?, ?)', [id, ...values]);
      await database.db.executeQuery(insert('bound'));
      const script = sqlScript([insert('script')]).replace("'" + 'h'.repeat(64) + "'", "'" + 'g'.repeat(64) + "'");
      await database.db.executeQuery(CompiledQuery.raw(script.trim().replace(/;$/, '')));
      const rows = await database.db.selectFrom('staff').select(['id', 'name', 'role', 'active', 'created_at']).orderBy('id').execute();
      expect(rows.map((r) => r.id)).toEqual(['bound', 'script']);
      const [bound, written] = rows.map(({ name, role, active, created_at }) => ({ name, role, active, created_at }));
      expect(written).toEqual(bound);
      expect(bound!.name).toBe("O'Brien 测试");
    } finally {
      await database.cleanup();
    }
  });
});
