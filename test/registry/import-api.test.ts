import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { bulkLoadIndexes, createStagingTable, stageRows, stagingTable, stagingTables } from '../../src/registry/repository.ts';
import { createTestApp, integrityCheck, postCsv, type TestApp } from '../helpers/app.ts';
import { csv, HEADER, row, syntheticId } from '../helpers/registry-csv.ts';

interface ImportBody {
  id: string;
  status: string;
  totalRows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  warnings: string[];
  errors: Array<{ line: number; field: string; code: string; message: string }>;
}
interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

const GOOD = [row('371500000001'), row('371500000002', { classes: 'A2 D', birth: '1962-01-15' }), row('371500000003')];

describe('POST /api/registry/imports', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(async () => t.cleanup());

  const count = async (table: 'licences' | 'import_rejected_rows') =>
    Number((await t.deps.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const staging = () => stagingTables(t.deps.db);

  it('stores every valid row and reports the counts', async () => {
    const res = await postCsv(t, csv(GOOD));
    expect(res.status).toBe(201);
    const body = (await res.json()) as ImportBody;
    expect(body).toMatchObject({ status: 'completed', totalRows: 3, inserted: 3, updated: 0, unchanged: 0, rejected: 0, errors: [] });
    expect(await count('licences')).toBe(3);
    expect(await staging()).toEqual([]);
    const shown = (await (await t.request(`/api/registry/imports/${body.id}`)).json()) as ImportBody;
    expect(shown).toMatchObject({ inserted: 3, status: 'completed' });
  });

  it('keeps the ID number encrypted, with its hash, mask, birth date and sex in plain columns', async () => {
    const id = syntheticId('1962-01-15', 'F', 77);
    await postCsv(t, csv([row('371500000009', { id_number: id.toLowerCase() })]));
    const stored = await t.deps.db.selectFrom('licences').selectAll().executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(id);
    expect(stored).toMatchObject({ birth_date: '1962-01-15', sex: 'F', id_masked: `${id.slice(0, 6)}********${id.slice(-4)}` });
    expect(stored.id_hash).toBe(t.deps.cipher.hash(id));
    expect(t.deps.cipher.decrypt(stored.id_cipher)).toBe(id);
  });

  it('rebuilds the licence indexes around a first load, leaving them as the migrations made them', async () => {
    const indexes = () => sql<{ name: string; sql: string }>`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'licences' ORDER BY name`.execute(t.deps.db);
    const before = (await indexes()).rows;
    expect(before.map((i) => i.name)).toContain('licences_id_hash');
    expect((await bulkLoadIndexes(t.deps.db, 3)).map((i) => i.name)).toEqual(['licences_id_hash']);
    await postCsv(t, csv(GOOD));
    expect(await bulkLoadIndexes(t.deps.db, 3)).toEqual([]); // as many staged as held: updated in place
    expect((await bulkLoadIndexes(t.deps.db, 7)).map((i) => i.name)).toEqual(['licences_id_hash']);
    const id = syntheticId('1950-01-01', 'M', 5);
    const body = (await (await postCsv(t, csv([...GOOD, row('371500000004', { id_number: id }), row('371500000005'), row('371500000006'), row('371500000007')]))).json()) as ImportBody;
    expect(body).toMatchObject({ inserted: 4, unchanged: 3 });
    expect((await indexes()).rows).toEqual(before);
    expect(await integrityCheck(t.deps.db)).toBe('ok');
    const found = await t.deps.db.selectFrom('licences').select('file_number').where('id_hash', '=', t.deps.cipher.hash(id)).execute();
    expect(found).toEqual([{ file_number: '371500000004' }]);
  });

  it('stores coordinates bit for bit as parsed, and optional columns left empty as NULL', async () => {
    // Doubles whose shortest text SQLite could read back a bit off; on D1 the rows travel as JSON.
    const coords: Array<[string, string]> = [['36.123456789012345', '115.98765432109876'], ['36.000000000000007', '115.1'], ['35.99999999999999', '116.00000000000001']];
    const file = csv(coords.map(([lat, lng], i) => row(`37150000008${i}`, { lat, lng, community: i === 0 ? '' : '水城花园' })));
    expect((await postCsv(t, file)).status).toBe(201);
    const stored = await t.deps.db.selectFrom('licences').select(['file_number', 'lat', 'lng', 'community', 'extension_until']).orderBy('file_number').execute();
    expect(stored.map((r) => [r.lat, r.lng])).toEqual(coords.map(([lat, lng]) => [Number(lat), Number(lng)]));
    expect(stored.map((r) => [r.community, r.extension_until])).toEqual([[null, null], ['水城花园', null], ['水城花园', null]]);
  });

  it('changes nothing when the same file is imported again', async () => {
    const file = csv(GOOD);
    await postCsv(t, file);
    const before = await t.deps.db.selectFrom('licences').select(['file_number', 'updated_at', 'import_id']).orderBy('file_number').execute();
    t.clock.set('2026-11-26T03:00:00.000Z');
    const body = (await (await postCsv(t, file)).json()) as ImportBody;
    expect(body).toMatchObject({ inserted: 0, updated: 0, unchanged: 3 });
    const after = await t.deps.db.selectFrom('licences').select(['file_number', 'updated_at', 'import_id']).orderBy('file_number').execute();
    expect(after).toEqual(before);
  });

  it('updates a re-imported record whose data changed', async () => {
    await postCsv(t, csv(GOOD));
    const changed = [...GOOD];
    changed[1] = [...GOOD[1]!];
    changed[1][HEADER.indexOf('phone')] = '13900000002';
    const body = (await (await postCsv(t, csv(changed))).json()) as ImportBody;
    expect(body).toMatchObject({ inserted: 0, updated: 1, unchanged: 2 });
    const stored = await t.deps.db.selectFrom('licences').select('phone').where('file_number', '=', '371500000002').executeTakeFirstOrThrow();
    expect(stored.phone).toBe('+8613900000002');
  });

  it('counts new, changed and unchanged records of one file apart', async () => {
    await postCsv(t, csv(GOOD.slice(0, 2)));
    const changed = GOOD.map((r) => [...r]);
    changed[0]![HEADER.indexOf('phone')] = '13900000009';
    const body = (await (await postCsv(t, csv(changed))).json()) as ImportBody;
    expect(body).toMatchObject({ inserted: GOOD.length - 2, updated: 1, unchanged: 1 });
  });

  it('rejects bad rows by line and field and stores the good ones', async () => {
    const rows = [
      row('371500000001'),
      row('371500000002', { id_number: '110105194912310021', phone: '12345' }),
      row('371500000003', { classes: 'C1 Z' }),
      row('371500000001'),
    ];
    const body = (await (await postCsv(t, csv(rows))).json()) as ImportBody;
    expect(body).toMatchObject({ totalRows: 4, inserted: 1, rejected: 3 });
    expect(body.errors.map((e) => [e.line, e.field])).toEqual([
      [3, 'id_number'],
      [3, 'phone'],
      [4, 'classes'],
      [5, 'file_number'],
    ]);
    expect(body.errors.find((e) => e.line === 5)?.code).toBe('duplicate');
    expect(await count('licences')).toBe(1);
  });

  it('pages through every row error and lets an admin download the rejected rows, audited', async () => {
    const rows = Array.from({ length: 7 }, (_, i) => row(`3715000001${String(i).padStart(2, '0')}`, { status: 'lost' }));
    const { id } = (await (await postCsv(t, csv(rows))).json()) as ImportBody;
    const first = (await (await t.request(`/api/registry/imports/${id}/errors?limit=5`)).json()) as { items: unknown[]; nextCursor: string };
    expect(first.items).toHaveLength(5);
    const second = (await (await t.request(`/api/registry/imports/${id}/errors?limit=5&cursor=${first.nextCursor}`)).json()) as {
      items: Array<{ line: number }>;
      nextCursor: string | null;
    };
    expect(second.items.map((e) => e.line)).toEqual([7, 8]);
    expect(second.nextCursor).toBeNull();

    const res = await t.request(`/api/registry/imports/${id}/rejected.csv`);
    const text = await res.text();
    const lines = text.replace(/^\uFEFF/, '').trim().split('\n');
    expect(lines[0]).toBe(['line', ...HEADER, 'errors'].join(','));
    expect(lines).toHaveLength(8);
    expect(lines[1]).toContain(rows[0]![1]!); // the full ID number, for correction
    expect(lines[1]).toMatch(/status：.+ \(unknown_value\)/); // zh-CN words, the stable code
    const audit = await t.deps.db.selectFrom('audit_log').select('action').where('action', '=', 'registry.rejected_rows.download').execute();
    expect(audit).toHaveLength(1);
  });

  it('rejects a file with an unbalanced quote and keeps nothing of it', async () => {
    const rows = Array.from({ length: 6000 }, (_, i) => row(`3715${String(i).padStart(8, '0')}`));
    const text = csv(rows) + '371599999999,"unterminated\n';
    const res = await postCsv(t, text);
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe('invalid_file');
    expect(body.error.details).toMatchObject({ line: 6002, code: 'unbalanced_quote' });
    expect(await count('licences')).toBe(0);
    expect(await staging()).toEqual([]);
    const imp = await t.deps.db.selectFrom('imports').selectAll().executeTakeFirstOrThrow();
    expect(imp.status).toBe('failed');
  });

  it('clears an import abandoned by a stopped process when the next one starts, and spares one still running', async () => {
    // 'stale' has no heartbeat (started_at stands in, hours ago); 'busy' beat 10 s ago (lease: 30 s).
    const started = (id: string, at: string, heartbeat: string | null = null) =>
      t.deps.atomic([
        t.deps.db.insertInto('imports').values({ id, staff_id: null, source: 'cli', filename: null, status: 'running', started_at: at, heartbeat_at: heartbeat }).compile(),
        createStagingTable(id),
        ...stageRows(t.deps.sqlLimits, id, [['371500000099', 'x', '1', 'x', '1950-01-01', 'M', 'x', 'x', 'mobile', 'x', '', 'C1', '1970-01-01', '', '', '', 'active', '', '', '1', '0']]),
      ]);
    await started('stale', '2026-11-25T18:00:00.000Z');
    await started('busy', '2026-11-26T01:59:00.000Z', '2026-11-26T01:59:50.000Z');
    expect(await staging()).toEqual([stagingTable('busy'), stagingTable('stale')].sort());
    expect((await postCsv(t, csv(GOOD))).status).toBe(201);
    const stale = await t.deps.db.selectFrom('imports').select(['status', 'error']).where('id', '=', 'stale').executeTakeFirstOrThrow();
    expect(stale.status).toBe('failed');
    expect(JSON.parse(stale.error!)).toMatchObject({ code: 'abandoned' });
    expect(await staging()).toEqual([stagingTable('busy')]);
    expect(await count('licences')).toBe(3);
  });

  it('rejects a row with the wrong number of cells, naming its line', async () => {
    const res = await postCsv(t, csv([row('371500000001')]) + '371500000002,x\n');
    const body = (await res.json()) as ErrorBody;
    expect(res.status).toBe(400);
    expect(body.error.details).toMatchObject({ line: 3, code: 'cell_count' });
    expect(await count('licences')).toBe(0);
  });

  it('rejects an empty file and a header missing a required column', async () => {
    const empty = await postCsv(t, '');
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as ErrorBody).error.details).toMatchObject({ code: 'empty_file' });
    const header = HEADER.filter((h) => h !== 'classes');
    const missing = await postCsv(t, header.join(',') + '\n');
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as ErrorBody).error.message).toContain('classes');
  });

  it('ignores an unknown column with a warning', async () => {
    const file = csv(GOOD.map((r) => [...r, 'x']), [...HEADER, '备注']);
    const body = (await (await postCsv(t, file)).json()) as ImportBody;
    expect(body.inserted).toBe(3);
    expect(body.warnings.join(' ')).toContain('备注');
  });

  it('reads Chinese headers, a BOM and CRLF line ends', async () => {
    const chinese = ['档案编号', '身份证明号码', '姓名', '联系电话', '联系地址', '社区', '准驾车型', '初次领证日期', '有效期止', '延长驾驶资格期限', '最近提交身体条件证明日期', '状态', '纬度', '经度'];
    const file = '\uFEFF' + csv(GOOD, chinese).replaceAll('\n', '\r\n');
    const body = (await (await postCsv(t, file)).json()) as ImportBody;
    expect(body).toMatchObject({ inserted: 3, rejected: 0 });
  });

  it('takes the file from a multipart upload and records its name', async () => {
    const form = new FormData();
    form.append('note', 'ignored');
    form.append('file', new Blob([csv(GOOD)], { type: 'text/csv' }), 'registry.csv');
    const res = await t.request('/api/registry/imports', { method: 'POST', body: form });
    expect(res.status).toBe(201);
    const body = (await res.json()) as ImportBody & { filename: string };
    expect(body).toMatchObject({ inserted: 3, filename: 'registry.csv' });
  });

  it('rejects a multipart body without a file field', async () => {
    const form = new FormData();
    form.append('other', 'x');
    const res = await t.request('/api/registry/imports', { method: 'POST', body: form });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.message).toContain('file');
  });

  it('answers a JSON body with 415 and binary junk with a file error', async () => {
    const json = await t.request('/api/registry/imports', { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
    expect(json.status).toBe(415);
    const junk = await postCsv(t, new Uint8Array([0x66, 0x69, 0xff, 0xfe, 0x0a, 0x80]));
    expect(junk.status).toBe(400);
    expect(((await junk.json()) as ErrorBody).error.details).toMatchObject({ code: 'not_utf8' });
  });

  it('rejects a single 50 MB line quickly as too long', async () => {
    const big = new Uint8Array(50 * 1024 * 1024).fill(0x61);
    const started = Date.now();
    const res = await postCsv(t, big);
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.details).toMatchObject({ line: 1, code: 'record_too_large' });
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('rejects an upload over MAX_IMPORT_BYTES with 413 and keeps nothing', async () => {
    const small = await createTestApp({ env: { MAX_IMPORT_BYTES: '2048' } });
    try {
      const rows = Array.from({ length: 40 }, (_, i) => row(`3715000002${String(i).padStart(2, '0')}`));
      const res = await postCsv(small, csv(rows));
      expect(res.status).toBe(413);
      expect(((await res.json()) as ErrorBody).error.code).toBe('payload_too_large');
      const n = await small.deps.db.selectFrom('licences').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      expect(Number(n.n)).toBe(0);
      expect(await stagingTables(small.deps.db)).toEqual([]);
    } finally {
      await small.cleanup();
    }
  });

  it('never puts an ID number, phone or name in an error message', async () => {
    const id = syntheticId('1950-01-01', 'M', 5);
    const bad = [row('371500000001', { id_number: id.slice(0, 17) + (id.endsWith('1') ? '2' : '1'), phone: '99999', name: '' })];
    const text = await (await postCsv(t, csv(bad))).text();
    expect(text).not.toContain(id.slice(0, 17));
    expect(text).not.toContain('99999');
  });

  it('shows an admin the full ID number of a licence and audits the view', async () => {
    const id = syntheticId('1956-03-10', 'M', 900);
    await postCsv(t, csv([row('371500000042', { id_number: id })]));
    const res = await t.request('/api/licences/371500000042');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ idNumber: id, birthDate: '1956-03-10', sex: 'M', classes: ['C1'], phone: '+8613800000001' });
    const audit = await t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', 'licence.view_full_id').execute();
    expect(audit.map((a) => a.subject)).toEqual(['371500000042']);
    expect(JSON.stringify(audit)).not.toContain(id);
    expect((await t.request('/api/licences/371500000043')).status).toBe(404);
  });

  it('records who imported, and when, for every import', async () => {
    await postCsv(t, csv(GOOD));
    await postCsv(t, '');
    const list = (await (await t.request('/api/registry/imports')).json()) as { items: Array<{ status: string; staffId: string }> };
    expect(list.items.map((i) => i.status).sort()).toEqual(['completed', 'failed']);
    const me = (await (await t.request('/api/me')).json()) as { id: string };
    expect(list.items.every((i) => i.staffId === me.id)).toBe(true);
    const audit = await t.deps.db.selectFrom('audit_log').select('action').where('action', '=', 'registry.import').execute();
    expect(audit).toHaveLength(2);
  });
});
