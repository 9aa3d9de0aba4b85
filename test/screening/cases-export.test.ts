import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, postCsv, postJson, type TestApp } from '../helpers/app.ts';
import { seedDrivers } from '../helpers/outreach.ts';
import { csv, row } from '../helpers/registry-csv.ts';

let t: TestApp;

// Downgrade at 63 (Art 65 para 1), due 30 days after the 63rd birthday: three due dates.
beforeAll(async () => {
  t = await createTestApp();
  await seedDrivers(t, [
    ['200000000001', { birth: '1963-12-10', name: '张伟', address: '山东省聊城市东昌府区柳园路8号', community: '柳园新村' }],
    ['200000000002', { birth: '1963-12-20', name: '=HYPERLINK("x")', address: '聊城市莘县燕塘路3号', community: '' }],
    ['200000000003', { birth: '1963-12-30', name: '刘芳', address: '山东省聊城市东昌府区东昌路12号', community: '水城花园' }],
  ]);
});
afterAll(() => t.cleanup());

interface Case {
  fileNumber: string;
  dueOn: string;
  articles: string[];
}

async function list(query: string) {
  const res = await t.request(`/api/cases${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { items: Case[]; nextCursor: string | null };
}

async function csvOf(query: string, headers: Record<string, string> = {}) {
  const res = await t.request(`/api/cases.csv${query}`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { bytes, text: new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes) };
}

describe('the case list', () => {
  it('filters by district as the address names it', async () => {
    const { items } = await list('?district=东昌府区');
    expect(items.map((c) => c.fileNumber)).toEqual(['200000000001', '200000000003']);
    expect((await list('?district=莘县')).items.map((c) => c.fileNumber)).toEqual(['200000000002']);
  });

  it('sorts by due date latest first and pages in that order', async () => {
    const first = await list('?sort=due_desc&limit=2');
    expect(first.items.map((c) => c.dueOn)).toEqual(['2027-01-29', '2027-01-19']);
    const next = await list(`?sort=due_desc&limit=2&cursor=${first.nextCursor}`);
    expect(next).toEqual({ items: [expect.objectContaining({ dueOn: '2027-01-09' })], nextCursor: null });
  });

  it('names the article each case rests on', async () => {
    const { items } = await list('?fileNumber=200000000001');
    expect(items[0]?.articles).toEqual(['Art 65 para 1']);
  });
});

describe('GET /api/cases.csv', () => {
  it('writes UTF-8 with a BOM, a Chinese header, and the same cases as the list with the same filters', async () => {
    const { bytes, text } = await csvOf('?district=东昌府区&sort=due_desc');
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = text.slice(1).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^业务编号,档案编号,身份证明号码（打码）,姓名,/);
    expect(lines.slice(1).map((l) => l.split(',')[1])).toEqual(['200000000003', '200000000001']);
    expect(lines[1]).toContain('刘芳');
    expect(lines[1]).toContain('Art 65 para 1');
  });

  it('masks ID numbers and makes a formula-like cell inert', async () => {
    const { text } = await csvOf('?fileNumber=200000000002');
    const line = text.trimEnd().split('\n')[1]!;
    expect(line).toContain(`"'=HYPERLINK(""x"")"`);
    expect(line).toMatch(/,371502\*{8}\d{3}[\dX],/);
    const ids = await t.deps.db.selectFrom('licences').select('id_cipher').execute();
    const full = ids.map((r) => t.deps.cipher.decrypt(r.id_cipher));
    expect(full).toHaveLength(3);
    for (const id of full) expect(text).not.toContain(id);
  });

  it('streams every matching case past one batch of reads, in order, each once', async () => {
    const big = await createTestApp();
    try {
      const rows = Array.from({ length: 1203 }, (_, i) => row(String(300000000000 + i), { birth: `1963-12-${String(1 + (i % 28)).padStart(2, '0')}`, classes: 'B2' }));
      expect((await postCsv(big, csv(rows))).status).toBe(201);
      expect((await postJson(big, '/api/screenings', { asOf: '2026-11-26' })).status).toBe(201);
      const text = await (await big.request('/api/cases.csv')).text();
      const body = text.trimEnd().split('\n').slice(1).map((l) => l.split(','));
      expect(body).toHaveLength(1203);
      expect(new Set(body.map((cells) => cells[0])).size).toBe(1203);
      const due = body.map((cells) => cells[11]!);
      expect(due).toEqual([...due].sort());
    } finally {
      await big.cleanup();
    }
  });

  it('speaks English on request, and is refused to a role without cases:read', async () => {
    const { text } = await csvOf('', { 'accept-language': 'en' });
    expect(text.slice(1).split('\n')[0]).toMatch(/^case_id,file_number,id_number_masked,name,phone,/);
    expect((await t.request('/api/cases.csv', { as: 'examiner' })).status).toBe(403);
    expect((await t.request('/api/cases.csv', { as: 'dispatcher' })).status).toBe(200);
    expect((await t.request('/api/cases.csv?limit=5')).status).toBe(400);
  });
});
