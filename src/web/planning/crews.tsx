/**
 * 人员 (issue 16 "Crews and shifts"): the postal workers and examiners the dispatchers build
 * crews from (their post office or hospital, phone, whether their sign-in account is linked),
 * adding one, and a link to each person's shifts. Over listFieldStaff and addFieldStaff, with the
 * API's schema and permissions (/api/field-staff).
 */
import { Hono, type Context } from 'hono';
import { AppError, validationError } from '../../errors.ts';
import type { AppEnv } from '../../http/env.ts';
import { issuesFromZod } from '../../http/route.ts';
import { localizeError } from '../../i18n/localize.ts';
import { FieldStaffBody, fieldStaffView, type FieldStaffView } from '../../scheduling/shift-schemas.ts';
import { addFieldStaff, listFieldStaff } from '../../scheduling/shifts.ts';
import { can } from '../../staff/permissions.ts';
import { listStaff, type StaffMember } from '../../staff/repository.ts';
import { Layout, type PageContext } from '../components/layout.tsx';
import { DataTable, FilterForm, type Column } from '../components/table.tsx';
import { Badge, CsrfField, ErrorSummary, Field, StatusBadge, type Crumb } from '../components/ui.tsx';
import { count } from '../format.ts';
import { fieldErrors } from '../form.ts';
import { pageContext, pagePermission, setFlash } from '../session.tsx';
import { pageQuery } from '../office/query.ts';
import { FIELD_KIND_LABELS, formText, shiftsPath } from './words.ts';

export const CREWS_PATH = '/console/crews';
const HOME: Crumb = { label: '工作台', href: '/console' };

const columns: Column<FieldStaffView>[] = [
  { header: '姓名', cell: (p) => p.name },
  { header: '类别', cell: (p) => FIELD_KIND_LABELS[p.kind] },
  { header: '单位', cell: (p) => p.organisation },
  { header: '电话', cell: (p) => <a href={`tel:${p.phone}`}>{p.phoneDisplay}</a> },
  { header: '登录账户', cell: (p) => (p.staffId ? <Badge tone="good">已关联</Badge> : <span class="muted">未关联</span>) },
  { header: '状态', cell: (p) => <StatusBadge status={p.active ? 'active' : 'inactive'} /> },
  { header: '班次', cell: (p) => <a href={shiftsPath({ person: p.id })}>
        查看班次<span class="visually-hidden">：{p.name}</span>
      </a> },
];

type Values = Record<'kind' | 'name' | 'phone' | 'organisation' | 'staffId', string>;
const EMPTY: Values = { kind: '', name: '', phone: '', organisation: '', staffId: '' };

/** The words of a field the API's schema refused, as office staff read them. */
const FIELD_HELP: Record<string, string> = {
  kind: '请选择类别：邮政投递员或体检医生。',
  name: '请填写姓名（最多 50 个字）。',
  phone: '请填写电话号码：手机号或带区号的固定电话。',
  organisation: '请填写所在单位（邮政网点或医院，最多 100 个字）。',
  staffId: '请选择要关联的登录账户。',
};

/** Accounts a person may be linked to: crew roles, not linked yet (only those who manage accounts see them). */
function linkableAccounts(accounts: readonly StaffMember[], people: readonly FieldStaffView[]) {
  const linked = new Set(people.map((p) => p.staffId).filter(Boolean));
  return accounts.filter((a) => a.active && (a.role === 'postal' || a.role === 'examiner') && !linked.has(a.id));
}

function AddForm(props: { ctx: PageContext; accounts: StaffMember[] | null; values: Values; errors: Record<string, string> }) {
  const { values: v, errors } = props;
  return (
    <section class="card" aria-labelledby="add-title">
      <h2 id="add-title">添加人员</h2>
      <ErrorSummary errors={errors} />
      <form method="post" action={CREWS_PATH} class="stack">
        <CsrfField token={props.ctx.csrfToken} />
        <Field label="类别" name="kind" error={errors.kind}>
          <select id="kind" name="kind" required>
            <option value="">请选择</option>
            {(['postal', 'examiner'] as const).map((k) => (
              <option value={k} selected={v.kind === k}>
                {FIELD_KIND_LABELS[k]}
              </option>
            ))}
          </select>
        </Field>
        <Field label="姓名" name="name" error={errors.name}>
          <input id="name" name="name" required maxlength={50} value={v.name} autocomplete="off" />
        </Field>
        <Field label="电话" name="phone" error={errors.phone} hint="手机号，或带区号的固定电话，如 0635-2904665。">
          <input id="phone" name="phone" type="tel" required maxlength={20} value={v.phone} autocomplete="off" />
        </Field>
        <Field label="所在单位" name="organisation" error={errors.organisation} hint="邮政网点或医院，如 聊城市邮政分公司。">
          <input id="organisation" name="organisation" required maxlength={100} value={v.organisation} />
        </Field>
        {props.accounts ? (
          <Field label="登录账户（可不选）" name="staffId" error={errors.staffId} hint="关联后，本人登录即可看到自己的班次和路线单；体检医生只能关联体检医生账户。">
            <select id="staffId" name="staffId">
              <option value="">暂不关联</option>
              {props.accounts.map((a) => (
                <option value={a.id} selected={v.staffId === a.id}>
                  {a.name}（{a.username ?? '无用户名'}）
                </option>
              ))}
            </select>
          </Field>
        ) : (
          <p class="muted">关联登录账户由车管所管理员在这里添加人员时选择。</p>
        )}
        <div>
          <button type="submit">添加</button>
        </div>
      </form>
    </section>
  );
}

async function crewsPage(c: Context<AppEnv>, form: { values: Values; errors: Record<string, string> } = { values: EMPTY, errors: {} }) {
  const deps = c.get('deps');
  const ctx = pageContext(c);
  const query = pageQuery(c, ['kind']);
  const kind = query.kind === 'postal' || query.kind === 'examiner' ? query.kind : undefined;
  const everyone = (await listFieldStaff(deps.db)).map(fieldStaffView);
  const shown = kind ? everyone.filter((p) => p.kind === kind) : everyone;
  const accounts = can(ctx.staff.role, 'staff:manage') ? linkableAccounts(await listStaff(deps.db, deps.clock.now()), everyone) : null;
  const postal = everyone.filter((p) => p.kind === 'postal').length;
  return (
    <Layout ctx={ctx} title="人员" crumbs={[HOME, { label: '人员' }]} actions={<a href={shiftsPath({})}>排班</a>}>
      <p class="section-hint">
        共 {count(everyone.length)} 人：邮政投递员 {count(postal)} 人，体检医生 {count(everyone.length - postal)} 人。每个班次由一名投递员和一名体检医生组成。
      </p>
      <FilterForm
        action={CREWS_PATH}
        values={query}
        fields={[{ name: 'kind', label: '类别', type: 'select', options: [{ value: 'postal', label: '邮政投递员' }, { value: 'examiner', label: '体检医生' }] }]}
      />
      <DataTable caption="上门人员" columns={columns} rows={shown} empty="还没有人员，请在下面添加。" path={CREWS_PATH} query={query} />
      {can(ctx.staff.role, 'scheduling:manage') ? <AddForm ctx={ctx} accounts={accounts} {...form} /> : null}
    </Layout>
  );
}

async function postAdd(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const text = await formText(c);
  const values: Values = { kind: text('kind'), name: text('name').trim(), phone: text('phone').trim(), organisation: text('organisation').trim(), staffId: text('staffId') };
  const again = async (errors: Record<string, string>) => {
    c.status(400);
    return c.html(await crewsPage(c, { values, errors }));
  };
  const parsed = FieldStaffBody.safeParse({ ...values, staffId: values.staffId || undefined });
  if (!parsed.success) {
    const fields = fieldErrors(validationError(issuesFromZod(parsed.error, 'form')));
    return again(Object.fromEntries(Object.keys(fields).map((f) => [f, FIELD_HELP[f] ?? fields[f]!])));
  }
  try {
    const row = await addFieldStaff(deps, parsed.data, c.get('session').staff.id);
    setFlash(c, { tone: 'good', text: `已添加${FIELD_KIND_LABELS[row.kind]}“${row.name}”。` });
    return c.redirect(CREWS_PATH, 303);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    if (err.code === 'validation_failed') return again(fieldErrors(err));
    if (err.code === 'conflict') return again({ staffId: '这个登录账户已经关联到另一个人。' });
    return again({ name: localizeError(err, 'zh-CN').message });
  }
}

export function crewPages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get(CREWS_PATH, pagePermission('scheduling:read'), async (c) => c.html(await crewsPage(c)));
  app.post(CREWS_PATH, pagePermission('scheduling:manage'), postAdd);
  return app;
}
