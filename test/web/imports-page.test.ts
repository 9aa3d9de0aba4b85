import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { FAST_PASSWORDS, signedIn, type ConsoleAgent } from '../helpers/console.ts';
import { csv, row } from '../helpers/registry-csv.ts';
import { queueImport } from '../../src/registry/repository.ts';

let t: TestApp;
let admin: ConsoleAgent;
beforeEach(async () => {
  t = await createTestApp({ env: FAST_PASSWORDS });
  admin = await signedIn(t, 'admin');
});
afterEach(async () => t.cleanup());

function fileForm(text: string, name = 'registry.csv'): FormData {
  const form = new FormData();
  form.set('file', new File([text], name, { type: 'text/csv' }));
  return form;
}

const good = () => [row('371500000001'), row('371500000002', { birth: '1950-01-02' })];

describe('the imports page', () => {
  it('imports an uploaded file, shows its summary, and lists each rejected row with line, field and reason', async () => {
    await admin.page('/console/imports');
    const bad = row('371500000003', { phone: '12345' });
    const res = await admin.upload('/console/imports', fileForm(csv([...good(), bad])));
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    expect(location).toMatch(/^\/console\/imports\/[0-9a-f-]{36}$/);

    const page = await admin.page(location);
    expect(page).toContain('导入完成：共 3 行，新增 2，更新 0，未变 0，拒绝 1。');
    expect(page).toContain('registry.csv');
    // Line 4: the header is line 1.
    const reason = /<td class="num">4<\/td><td>联系电话（phone）<\/td><td>([^<]+)<\/td>/.exec(page)?.[1];
    expect(reason).toContain('手机号');
    expect(reason).not.toMatch(/^phone/);
    // Shown once: the flash is gone on the next visit.
    expect(await admin.page(location)).not.toContain('导入完成');

    const list = await admin.page('/console/imports');
    expect(list).toContain(`href="${location}"`);
    const count = await t.deps.db.selectFrom('licences').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(2);
  });

  it('shows a large upload waiting in the Worker’s queue, first in the history, with what happens next', async () => {
    const id = t.deps.ids.next();
    await t.deps.atomic([queueImport(t.deps.db, { importId: id, staffId: null, filename: null, bytes: 9_000_000, at: t.deps.clock.now().toISOString() })]);
    await admin.page('/console/imports');
    await admin.upload('/console/imports', fileForm(csv(good())));
    const list = await admin.page('/console/imports');
    const listed = [...list.matchAll(/href="\/console\/imports\/([0-9a-f-]{36})"/g)].map((m) => m[1]);
    expect(listed).toHaveLength(2);
    expect(listed[0]).toBe(id);
    expect(list).toContain('排队中');
    const page = await admin.page(`/console/imports/${id}`);
    expect(page).toContain('已交给后台排队导入，尚未开始');
    expect(page).toContain('没有被拒绝的行');
  });

  it('takes the file itself from the upload script (text/csv, its name in X-Filename), as it takes the form', async () => {
    await admin.page('/console/imports');
    const headers = { 'x-console-upload': '1', 'content-type': 'text/csv', 'x-filename': encodeURIComponent('名册 2026.csv'), 'x-csrf-token': admin.csrf! };
    const res = await admin.upload('/console/imports', csv(good()), headers);
    expect(res.status).toBe(200);
    const { location } = (await res.json()) as { location: string };
    const page = await admin.page(location);
    expect(page).toContain('导入完成：共 2 行');
    expect(page).toContain('导入：名册 2026.csv');
    // Without the token, nothing is imported.
    const refused = await admin.upload('/console/imports', csv([row('371500000077')]), { ...headers, 'x-csrf-token': 'wrong' });
    expect(refused.status).toBe(303);
    expect(await t.deps.db.selectFrom('licences').select('file_number').where('file_number', '=', '371500000077').execute()).toEqual([]);
  });

  it('hands a large file from the upload script to the queue where the runtime has one (a Worker), and shows it waiting', async () => {
    const handed: Array<{ importId: string; filename: string | null; text: string }> = [];
    t.deps.importHandoff = {
      minBytes: 200,
      hand: async (upload, job) => void handed.push({ importId: job.importId, filename: job.filename, text: await new Response(upload.body).text() }),
    };
    await admin.page('/console/imports');
    const text = csv(Array.from({ length: 5 }, (_, i) => row(`37150000088${i}`)));
    const headers = { 'x-console-upload': '1', 'content-type': 'text/csv', 'content-length': String(Buffer.byteLength(text)), 'x-filename': encodeURIComponent('大文件.csv'), 'x-csrf-token': admin.csrf! };
    const res = await admin.upload('/console/imports', text, headers);
    const { location } = (await res.json()) as { location: string };
    expect(handed).toEqual([{ importId: location.split('/').pop(), filename: '大文件.csv', text }]);
    const page = await admin.page(location);
    expect(page).toContain('已交给后台排队导入');
    expect(page).toContain('排队中');
    expect(await t.deps.db.selectFrom('licences').select('file_number').execute()).toEqual([]);
  });

  it('answers the upload script with the address in JSON, keeping the message for the page it opens', async () => {
    await admin.page('/console/imports');
    const res = await admin.upload('/console/imports', fileForm(csv(good())), { 'x-console-upload': '1' });
    expect(res.status).toBe(200);
    const { location } = (await res.json()) as { location: string };
    expect(await admin.page(location)).toContain('导入完成：共 2 行');
  });

  it('downloads the rejected rows as CSV to correct, and audits the download', async () => {
    await admin.page('/console/imports');
    const res = await admin.upload('/console/imports', fileForm(csv([row('371500000009', { classes: 'Q9' })])));
    const page = await admin.page(res.headers.get('location')!);
    const href = /href="(\/console\/imports\/[^"]+\/rejected\.csv)"/.exec(page)![1]!;
    const download = await admin.get(href);
    expect(download.headers.get('content-type')).toContain('text/csv');
    const bytes = new Uint8Array(await download.arrayBuffer());
    // UTF-8 with its BOM, so that a spreadsheet program reads the Chinese right.
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(bytes);
    expect(text.startsWith('line,file_number')).toBe(true);
    expect(text).toContain('371500000009');
    const audit = await t.deps.db.selectFrom('audit_log').selectAll().where('action', '=', 'registry.rejected_rows.download').execute();
    expect(audit).toHaveLength(1);
  });

  it('keeps a file with a file error on record as failed, stores nothing, and says why', async () => {
    await admin.page('/console/imports');
    const res = await admin.upload('/console/imports', fileForm('not,a,registry\n1,2,3\n'));
    expect(res.status).toBe(303);
    const page = await admin.page(res.headers.get('location')!);
    expect(page).toContain('整个文件没有导入');
    expect(page).toContain('失败');
    const count = await t.deps.db.selectFrom('licences').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  it('refuses an upload without the page token, and imports nothing', async () => {
    await admin.page('/console/imports');
    admin.csrf = 'x'.repeat(43);
    const res = await admin.upload('/console/imports', fileForm(csv(good())));
    expect(res.status).toBe(303);
    expect(await t.deps.db.selectFrom('imports').selectAll().execute()).toHaveLength(0);
  });

  it('answers an upload without a file on the form page, in words', async () => {
    await admin.page('/console/imports');
    const form = new FormData();
    form.set('note', 'no file here');
    const res = await admin.upload('/console/imports', form);
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain('文件没有导入');
    expect(text).toContain('上传驾驶人信息文件');
  });
});
