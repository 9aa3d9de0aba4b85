/**
 * 驾驶人数据导入 (issue 15 "Imports"): upload the registry file (drag-and-drop with a progress bar,
 * or a plain form), the import's summary, its rejected rows with line, field and reason, the
 * rejected rows as CSV to correct, and the history of imports. Over the registry's own services.
 */
import { Hono, type Context } from 'hono';
import { stream } from 'hono/streaming';
import { AppError } from '../../errors.ts';
import type { AppEnv } from '../../http/env.ts';
import { requireId } from '../params.ts';
import { localizeError } from '../../i18n/localize.ts';
import { importRegistry } from '../../registry/import-service.ts';
import { importRowErrors, importView, listImports, rejectedRowsCsv, requireImport, requireImportView, type ImportView } from '../../registry/import-views.ts';
import { handOffImport, readUpload, sentFilename } from '../../registry/upload.ts';
import { CHINESE_HEADERS } from '../../registry/columns.ts';
import { auditEntry } from '../../staff/audit.ts';
import { can } from '../../staff/permissions.ts';
import { Layout, type PageContext } from '../components/layout.tsx';
import { DataTable, type Column } from '../components/table.tsx';
import { Stat, StatusBadge, TimeText, type Crumb } from '../components/ui.tsx';
import { count } from '../format.ts';
import { pageContext, pagePermission, setFlash } from '../session.tsx';
import { pageQuery } from './query.ts';

const SOURCE_LABELS: Record<string, string> = { api: '网页或接口', cli: '命令行' };
const HOME: Crumb = { label: '工作台', href: '/console' };
const CRUMBS: Crumb[] = [HOME, { label: '驾驶人数据导入', href: '/console/imports' }];

function UploadForm(props: { ctx: PageContext; error?: string | undefined }) {
  return (
    <form
      method="post"
      action={`/console/imports?_csrf=${encodeURIComponent(props.ctx.csrfToken)}`}
      enctype="multipart/form-data"
      class="card"
      data-upload
    >
      <h2>上传驾驶人信息文件</h2>
      <p class="muted">CSV 文件（UTF-8 或 GBK 编码），第一行为表头，格式见导入说明。有问题的行会被单独列出，其余行照常导入；整个文件格式错误时什么也不会写入。</p>
      {props.error ? (
        <div class="error-summary" role="alert">
          <p>{props.error}</p>
        </div>
      ) : null}
      <div class="dropzone">
        <label for="file">把文件拖到这里，或选择文件：</label>
        <input id="file" name="file" type="file" accept=".csv,text/csv" required />
        <p data-file-name class="muted"></p>
      </div>
      <progress hidden value={0} max={1}></progress>
      <p data-upload-status role="status" class="muted"></p>
      <button type="submit">开始导入</button>
    </form>
  );
}

const historyColumns: Column<ImportView>[] = [
  { header: '开始时间', cell: (r) => <a href={`/console/imports/${r.id}`}><TimeText at={r.startedAt} /></a> },
  { header: '文件', cell: (r) => r.filename ?? '—' },
  { header: '来源', cell: (r) => SOURCE_LABELS[r.source] ?? r.source },
  { header: '状态', cell: (r) => <StatusBadge status={r.status} kind="run" /> },
  { header: '总行数', kind: 'num', cell: (r) => count(r.totalRows) },
  { header: '新增', kind: 'num', cell: (r) => count(r.inserted) },
  { header: '更新', kind: 'num', cell: (r) => count(r.updated) },
  { header: '未变', kind: 'num', cell: (r) => count(r.unchanged) },
  { header: '拒绝', kind: 'num', cell: (r) => count(r.rejected) },
];

async function importsPage(c: Context<AppEnv>, error?: string) {
  const ctx = pageContext(c);
  const query = pageQuery(c, ['cursor']);
  const history = await listImports(c.get('deps').db, { limit: 20, cursor: query.cursor });
  return (
    <Layout ctx={ctx} title="驾驶人数据导入" crumbs={[HOME, { label: '驾驶人数据导入' }]}>
      <UploadForm ctx={ctx} error={error} />
      <h2>导入记录</h2>
      <DataTable caption="导入记录（最新在前）" columns={historyColumns} rows={history.items} empty="还没有导入过文件。" path="/console/imports" query={query} next={history.nextCursor} />
    </Layout>
  );
}

async function postImport(c: Context<AppEnv>) {
  const deps = c.get('deps');
  try {
    const staffId = c.get('session').staff.id;
    // The upload script sends the file itself as text/csv (its name in X-Filename): on a Worker a
    // large one goes to the queue, as through the API; the plain form's multipart is read here.
    const filename = sentFilename(c.req.raw);
    const queued = await handOffImport(deps, c.req.raw, { staffId, filename });
    if (queued) {
      setFlash(c, { tone: 'info', text: '文件已上传。文件较大，已交给后台排队导入；导入开始后本页显示进度。' });
      return afterUpload(c, `/console/imports/${queued}`);
    }
    const upload = await readUpload(c.req.raw, deps.config.MAX_IMPORT_BYTES);
    const outcome = await importRegistry(deps, { ...upload, filename: upload.filename ?? filename, staffId, origin: 'api' });
    const done = importView(await requireImport(deps.db, outcome.id));
    setFlash(c, {
      tone: done.rejected > 0 ? 'info' : 'good',
      text: `导入完成：共 ${count(done.totalRows)} 行，新增 ${count(done.inserted)}，更新 ${count(done.updated)}，未变 ${count(done.unchanged)}，拒绝 ${count(done.rejected)}。`,
    });
    return afterUpload(c, `/console/imports/${done.id}`);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const importId = (err.details as { importId?: unknown } | undefined)?.importId;
    const message = localizeError(err, 'zh-CN').message;
    if (typeof importId === 'string') {
      // A file error: the import is on record as failed, with the reason; nothing was stored.
      setFlash(c, { tone: 'bad', text: `文件没有导入：${message}` });
      return afterUpload(c, `/console/imports/${importId}`);
    }
    c.status(err.status);
    return c.html(await importsPage(c, `文件没有导入：${message}`));
  }
}

/**
 * Where the browser goes after an upload: a redirect for the plain form; for the script's upload
 * (which would follow a redirect itself and use up the flash message) the address in JSON.
 */
function afterUpload(c: Context<AppEnv>, location: string) {
  return c.req.header('x-console-upload') === '1' ? c.json({ location }, 200) : c.redirect(location, 303);
}

function Summary(props: { view: ImportView }) {
  const v = props.view;
  return (
    <div class="grid">
      <Stat label="状态" value={<StatusBadge status={v.status} kind="run" />} />
      <Stat label="总行数" value={count(v.totalRows)} />
      <Stat label="新增" value={count(v.inserted)} />
      <Stat label="更新" value={count(v.updated)} />
      <Stat label="未变" value={count(v.unchanged)} />
      <Stat label="拒绝" value={count(v.rejected)} note={v.rejected > 0 ? '见下方列表' : undefined} />
    </div>
  );
}

type RowErrorView = { line: number; field: string; code: string; message: string };

/** A column's name as the data platform's export writes it (联系电话), with the English one. */
const FIELD_LABELS = new Map<string, string>();
for (const [chinese, field] of CHINESE_HEADERS) if (!FIELD_LABELS.has(field)) FIELD_LABELS.set(field, chinese);

/** `phone：必须是…` → `必须是…`: the stored words start with the field's name (no pattern built from data). */
function withoutFieldName(message: string, field: string): string {
  for (const prefix of [`${field}：`, `${field}:`]) if (message.startsWith(prefix)) return message.slice(prefix.length).trimStart();
  return message;
}

const errorColumns: Column<RowErrorView>[] = [
  { header: '行号', kind: 'num', cell: (r) => String(r.line) },
  { header: '字段', cell: (r) => (FIELD_LABELS.has(r.field) ? `${FIELD_LABELS.get(r.field)}（${r.field}）` : r.field) },
  // The stored words start with the field's name, which the column before already shows.
  { header: '原因', cell: (r) => withoutFieldName(r.message, r.field) },
];

async function importPage(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const ctx = pageContext(c);
  const id = requireId(c.req.param('id'), { key: 'import_not_found' });
  const view = await requireImportView(deps.db, id);
  const query = pageQuery(c, ['cursor']);
  const errors = await importRowErrors(deps.db, id, { limit: 50, cursor: query.cursor }, 'zh-CN');
  const mayDownload = can(ctx.staff.role, 'licences:read-full');
  return (
    <Layout ctx={ctx} title={`导入：${view.filename ?? '未命名文件'}`} crumbs={[...CRUMBS, { label: '导入详情' }]}>
      {view.status === 'queued' ? (
        <p class="muted">
          上传于 <TimeText at={view.startedAt} />：文件较大，已交给后台排队导入，尚未开始；开始后本页显示进度，刷新即可查看。
        </p>
      ) : (
        <p class="muted">
          开始于 <TimeText at={view.startedAt} />，{view.finishedAt ? <>结束于 <TimeText at={view.finishedAt} /></> : '尚未结束'}；来源：{SOURCE_LABELS[view.source] ?? view.source}
        </p>
      )}
      <Summary view={view} />
      {view.error ? (
        <div class="error-summary" role="alert">
          <h2>整个文件没有导入</h2>
          <p>
            {view.error.line ? `第 ${view.error.line} 行：` : ''}
            {view.error.message}
          </p>
          <p>请修正文件后重新上传；本次没有写入任何数据。</p>
        </div>
      ) : null}
      {view.warnings.length > 0 ? (
        <div class="card">
          <h2>提示</h2>
          <ul>
            {view.warnings.map((w) => (
              <li>{w}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <div class="title-row">
        <h2>被拒绝的行</h2>
        {view.rejected > 0 && mayDownload ? (
          <div class="actions">
            <a class="button secondary" href={`/console/imports/${view.id}/rejected.csv`}>
              下载被拒绝的行（CSV，含完整身份证号，将记入审计）
            </a>
          </div>
        ) : null}
      </div>
      <DataTable caption="被拒绝的行与原因" columns={errorColumns} rows={errors.items} empty="没有被拒绝的行。" path={`/console/imports/${view.id}`} query={query} next={errors.nextCursor} />
    </Layout>
  );
}

async function downloadRejected(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const row = await requireImport(deps.db, c.req.param('id') ?? '');
  await deps.atomic([
    auditEntry(deps, { staffId: c.get('session').staff.id, action: 'registry.rejected_rows.download', subject: row.id, details: { rows: row.rejected, via: 'console' } }),
  ]);
  c.header('Content-Type', 'text/csv; charset=utf-8');
  c.header('Content-Disposition', `attachment; filename="rejected-${row.id}.csv"`);
  return stream(c, async (out) => {
    for await (const text of rejectedRowsCsv(deps, row, 'zh-CN')) await out.write(text);
  });
}

export function importPages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/console/imports', pagePermission('registry:import'), async (c) => c.html(await importsPage(c)));
  app.post('/console/imports', pagePermission('registry:import'), postImport);
  app.get('/console/imports/:id', pagePermission('registry:read'), async (c) => c.html(await importPage(c)));
  app.get('/console/imports/:id/rejected.csv', pagePermission('licences:read-full'), downloadRejected);
  return app;
}
