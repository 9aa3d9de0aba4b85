import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, ERROR_STATUS } from '../../src/errors.ts';
import { localizeError } from '../../src/i18n/localize.ts';
import { localeFromEnv, negotiateLocale } from '../../src/i18n/locale.ts';
import { MESSAGES, render, templateParams, type MessageKey } from '../../src/i18n/messages.ts';
import { refusalError } from '../../src/scheduling/visit-lifecycle.ts';
import { createTestApp, postCsv, postJson, type TestApp } from '../helpers/app.ts';
import { csv, row } from '../helpers/registry-csv.ts';

const CJK = /[\u4e00-\u9fff]/;
const keys = Object.keys(MESSAGES) as MessageKey[];

describe('the message catalogue', () => {
  it('has every key in zh-CN and in English, Chinese words in the one and none in the other', () => {
    for (const key of keys) {
      const { 'zh-CN': zh, en } = MESSAGES[key];
      expect(zh.trim(), key).not.toBe('');
      expect(en.trim(), key).not.toBe('');
      expect(CJK.test(zh), `${key} zh-CN`).toBe(true);
      // row_status quotes the Chinese values a registry cell may hold (正常, 注销, 吊销).
      if (key !== 'row_status') expect(CJK.test(en), `${key} en`).toBe(false);
    }
  });

  it('names in zh-CN only parameters the English sentence names too (one set of params per key)', () => {
    // The typed params are the union of both templates' names (MessageParams): every one must be
    // given at the call site. Here: zh-CN introduces none that an English reader would miss.
    for (const key of keys) {
      const en = new Set(templateParams(MESSAGES[key].en));
      for (const p of templateParams(MESSAGES[key]['zh-CN'])) {
        const wordedInEnglish = en.has(p) || /^(detail|rule)$/.test([...en][0] ?? '');
        expect(wordedInEnglish, `${key}: {${p}}`).toBe(true);
      }
    }
  });

  it('renders every template whole when given the params its templates name (no `{name}` left)', () => {
    for (const key of keys) {
      const names = new Set([...templateParams(MESSAGES[key].en), ...templateParams(MESSAGES[key]['zh-CN'])]);
      const params = Object.fromEntries([...names].map((n) => [n, 'x']));
      for (const locale of ['zh-CN', 'en'] as const) expect(render(locale, key, params), `${key} ${locale}`).not.toMatch(/\{\w+\}/);
    }
  });

  it('has a generic sentence for every error code (the fallback of an error without a key)', () => {
    for (const code of Object.keys(ERROR_STATUS)) expect(Object.hasOwn(MESSAGES, `error_${code}`), code).toBe(true);
  });

  it('has no AppError site without a catalogue key but the class itself and the HTTPException bridge', () => {
    const files = sourceFiles('src').filter((f) => /new AppError\(/.test(readFileSync(f, 'utf8')));
    // The class itself (AppError.keyed) and the HTTPException bridge (hono's own texts): any other
    // unkeyed site (a `new AppError(` without a key) fails here.
    expect(files.sort()).toEqual(['src/errors.ts', 'src/http/errors.ts']);
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

describe('choosing the language', () => {
  it.each([
    [undefined, 'zh-CN'],
    ['', 'zh-CN'],
    ['en', 'en'],
    ['en-US,en;q=0.9', 'en'],
    ['zh-CN,zh;q=0.9,en;q=0.8', 'zh-CN'],
    ['en;q=0.5,zh-CN;q=0.9', 'zh-CN'],
    ['zh;q=0.2, en;q=0.7', 'en'],
    ['fr-FR,de;q=0.9', 'zh-CN'],
    ['fr, en;q=0.1', 'en'],
    ['*', 'zh-CN'],
    ['en;q=0', 'zh-CN'],
    ['en;q=abc', 'zh-CN'],
    ['en-GB;q=1.0', 'en'],
  ])('Accept-Language %s -> %s', (header, locale) => {
    expect(negotiateLocale(header)).toBe(locale);
  });

  it.each([
    [{}, 'zh-CN'],
    [{ LANG: 'zh_CN.UTF-8' }, 'zh-CN'],
    [{ LANG: 'en_US.UTF-8' }, 'en'],
    [{ LANG: 'C' }, 'en'],
    [{ LANG: 'POSIX' }, 'en'],
    [{ LANG: 'C.UTF-8' }, 'en'],
    [{ LANG: 'de_DE.UTF-8' }, 'zh-CN'],
    [{ LANG: 'en_US.UTF-8', LC_ALL: 'zh_CN.UTF-8' }, 'zh-CN'],
    [{ LANG: 'zh_CN.UTF-8', LC_MESSAGES: 'en_GB' }, 'en'],
  ])('environment %j -> %s', (env, locale) => {
    expect(localeFromEnv(env)).toBe(locale);
  });
});

interface ErrorBody {
  error: { code: string; message: string; details?: { issues?: Array<{ field: string; code: string; message: string; text?: unknown }> } };
}

describe('error messages on real requests', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.cleanup());

  const ask = async (path: string, lang?: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (lang !== undefined) headers.set('accept-language', lang);
    const res = await t.request(path, { ...init, headers });
    return { res, body: (await res.json()) as ErrorBody };
  };

  it('a validation error: zh-CN by default, English on request, the same codes in both', async () => {
    const zh = await ask('/api/registry/imports?bogus=1&limit=1&limit=2');
    const en = await ask('/api/registry/imports?bogus=1&limit=1&limit=2', 'en-US,en;q=0.9,zh;q=0.5');
    for (const { res } of [zh, en]) expect(res.status).toBe(400);
    expect(zh.res.headers.get('content-language')).toBe('zh-CN');
    expect(en.res.headers.get('content-language')).toBe('en');
    const codes = (b: ErrorBody) => b.error.details?.issues?.map((i) => [i.field, i.code]);
    expect(codes(zh.body)).toEqual([
      ['bogus', 'unknown_parameter'],
      ['limit', 'repeated_parameter'],
    ]);
    expect(codes(en.body)).toEqual(codes(zh.body));
    expect(zh.body.error.code).toBe('validation_failed');
    expect(zh.body.error.message).toBe('请求无效：bogus：未知参数（query）；limit：给出了 2 次；只能给一次');
    expect(en.body.error.message).toBe('invalid request: bogus: unknown query parameter; limit: given 2 times; give it once');
    expect(zh.body.error.details?.issues?.[1]?.message).toBe('给出了 2 次；只能给一次');
    // The catalogue reference is not part of the answer.
    expect(zh.body.error.details?.issues?.[0]).not.toHaveProperty('text');
  });

  it("zod's own checks and our refinements: worded in both languages, zod's codes kept", async () => {
    const zh = await ask('/api/registry/imports?limit=abc');
    const en = await ask('/api/registry/imports?limit=abc', 'en');
    expect(zh.res.status).toBe(400);
    expect(zh.body.error.details?.issues?.[0]?.code).toBe(en.body.error.details?.issues?.[0]?.code);
    expect(zh.body.error.details?.issues?.[0]?.message).toMatch(/[\u4e00-\u9fff]/);
    expect(en.body.error.details?.issues?.[0]?.message).not.toMatch(/[\u4e00-\u9fff]/);
  });

  it('a 404 in both languages', async () => {
    const path = '/api/registry/imports/00000000-0000-4000-8000-000000000000';
    const zh = await ask(path);
    const en = await ask(path, 'en');
    expect([zh.res.status, en.res.status]).toEqual([404, 404]);
    expect([zh.body.error.code, en.body.error.code]).toEqual(['not_found', 'not_found']);
    expect(zh.body.error.message).toBe('没有这个编号的导入');
    expect(en.body.error.message).toBe('no import with this id');
  });

  it('an unknown route in both languages, its path masked as before', async () => {
    const zh = await ask('/api/no-such-thing');
    const en = await ask('/api/no-such-thing', 'en');
    expect(zh.body.error.message).toBe('没有这个接口：GET /api/no-such-thing');
    expect(en.body.error.message).toBe('no route GET /api/no-such-thing');
  });

  it('a 409 of a plan commit in both languages, its date a parameter', async () => {
    const init = { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } };
    const zh = await ask('/api/plans/2026-11-27/commit', undefined, init);
    const en = await ask('/api/plans/2026-11-27/commit', 'en', init);
    expect([zh.res.status, en.res.status]).toEqual([409, 409]);
    expect([zh.body.error.code, en.body.error.code]).toEqual(['conflict', 'conflict']);
    expect(zh.body.error.message).toBe('2026-11-27 没有可提交的内容：请先预览计划');
    expect(en.body.error.message).toBe('nothing to commit on 2026-11-27: preview a plan first');
  });

  it('an error without a key (e.g. a new site) reads as the generic sentence of its code, then the English detail', () => {
    const err = new AppError('conflict', 'the detail');
    expect(localizeError(err, 'zh-CN').message).toBe('与当前状态冲突：the detail');
    expect(localizeError(err, 'en').message).toBe('the detail');
  });

  it("a visit's refusal: the event, the state and why, each in the caller's language", () => {
    const err = refusalError('arrived', 'cancel_by_staff', 'refused_at_the_door');
    expect(err.message).toBe('cannot cancel (staff): the visit is arrived at the door; the crew is at the door: record the exam or the no-show');
    expect(localizeError(err, 'zh-CN').message).toBe('不能取消（工作人员）：预约当前已到门口；工作人员已到门口：请记录体检或未到场');
    expect(localizeError(err, 'en').message).toBe(err.message);
  });

  it("a registry import's row errors in both languages, codes unchanged, and in the rejected-rows CSV", async () => {
    const posted = await postCsv(t, csv([row('371500000901', { status: 'lost' })]));
    expect(posted.status).toBe(201);
    const { id, errors } = (await posted.json()) as { id: string; errors: Array<{ field: string; code: string; message: string }> };
    expect(errors[0]).toMatchObject({ field: 'status', code: 'unknown_value', message: 'status：必须是 active/正常、cancelled/注销 或 revoked/吊销' });
    expect(errors[0]).not.toHaveProperty('text');
    const page = async (lang?: string) => {
      const res = await t.request(`/api/registry/imports/${id}/errors`, { headers: lang ? { 'accept-language': lang } : {} });
      return ((await res.json()) as { items: Array<{ code: string; message: string }> }).items;
    };
    const [zh, en] = [await page(), await page('en')];
    expect(zh.map((e) => e.code)).toEqual(en.map((e) => e.code));
    expect(zh[0]!.message).toBe('status：必须是 active/正常、cancelled/注销 或 revoked/吊销');
    expect(en[0]!.message).toBe('status must be active/正常, cancelled/注销 or revoked/吊销.');
    const rejected = await (await t.request(`/api/registry/imports/${id}/rejected.csv`, { headers: { 'accept-language': 'en' } })).text();
    expect(rejected).toContain('status must be active/正常, cancelled/注销 or revoked/吊销. (unknown_value)');
  });

  it('a registry file rejected as a whole: the line and what is wrong in zh-CN, the line-numbered English on request', async () => {
    const post = (body: string, lang?: string) =>
      t.request('/api/registry/imports', { method: 'POST', body, headers: { 'content-type': 'text/csv', ...(lang ? { 'accept-language': lang } : {}) } });
    const messageOf = async (res: Response) => ((await res.json()) as ErrorBody).error.message;
    expect(await messageOf(await post(''))).toBe('第 1 行：文件为空，没有表头行');
    expect(await messageOf(await post('', 'en'))).toBe('Line 1: the file is empty: it has no header line.');
    const header = csv([]).split('\n')[0]!.split(',').filter((h) => h !== 'classes').join(',');
    const [zh, en] = [await post(`${header}\n`), await post(`${header}\n`, 'en')];
    expect([zh.status, en.status]).toEqual([400, 400]);
    expect(await messageOf(zh)).toBe('第 1 行：缺少必需的列：classes (准驾车型)');
    expect(await messageOf(en)).toBe('Line 1: missing required column: classes (准驾车型).');
  });

  it('a 401 and a 403 in both languages', async () => {
    const noToken = await t.app.request('/api/registry/imports');
    expect(((await noToken.json()) as ErrorBody).error.message).toBe('需要有效的 API 令牌：Authorization: Bearer TOKEN');
    const forbidden = await postJson(t, '/api/registry/imports', {}, 'examiner');
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as ErrorBody).error.message).toMatch(/^角色 examiner 不能执行此操作/);
  });
});
