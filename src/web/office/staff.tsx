/**
 * 人员与权限 (issue 15 "Staff and audit"): the accounts with their role and state, adding one, and
 * on each account's page: deactivate or activate, reset the password, sign out everywhere, and a
 * new API token for programs, shown once in the answer to the post itself (never in a redirect
 * or a cookie). Over the staff services, as /api/staff, with its permission (staff:manage); each
 * service audits its own action.
 */
import { Hono, type Context } from 'hono';
import { AppError } from '../../errors.ts';
import type { AppEnv } from '../../http/env.ts';
import { localizeError } from '../../i18n/localize.ts';
import { ROLES, type Role } from '../../staff/permissions.ts';
import { activateStaff, addStaff, deactivateStaff, issueToken, listStaff, type StaffMember } from '../../staff/repository.ts';
import { signOutStaffEverywhere } from '../../staff/sessions.ts';
import { resetPassword } from '../../staff/sign-in.ts';
import { fieldErrors } from '../form.ts';
import { Layout, type PageContext } from '../components/layout.tsx';
import { DataTable, type Column } from '../components/table.tsx';
import { CsrfField, ErrorSummary, Field, StatusBadge, TimeText, type Crumb } from '../components/ui.tsx';
import { count } from '../format.ts';
import { ROLE_LABELS } from '../labels.ts';
import { clearSessionCookie, pageContext, pagePermission, setFlash } from '../session.tsx';
import { AUDIT_PATH } from './audit.tsx';

/** The /api/staff routes' permission: the pages show accounts to the same roles only. */
export const STAFF_PERMISSION = 'staff:manage' as const;

const LIST = '/console/staff';
const HOME: Crumb = { label: '工作台', href: '/console' };
const LIST_CRUMB: Crumb = { label: '人员与权限', href: LIST };
/** The API's limit on a name (POST /api/staff). */
const NAME_MAX = 50;

/** What each role may do, in a sentence (DESIGN.md "Staff roles"). */
const ROLE_HINTS: Record<Role, string> = {
  admin: '导入、筛查、通知、12123 提交、账户管理，可查看完整身份证号（每次查看都记入审计）',
  dispatcher: '排班、上门计划、预约和路线单；身份证号遮挡，看不到体检结果',
  examiner: '本人班次的上门和体检录入',
  postal: '本人班次的上门、到达或未见到、委托书；看不到体检信息',
};

const roleName = (role: Role) => ROLE_LABELS[role] ?? role;
const memberPath = (id: string) => `${LIST}/${encodeURIComponent(id)}`;

function StateBadges(props: { member: StaffMember }) {
  const m = props.member;
  return (
    <>
      <StatusBadge status={m.active ? 'active' : 'inactive'} /> {m.lockedUntil ? <StatusBadge status="locked" /> : null}
    </>
  );
}

const listColumns: Column<StaffMember>[] = [
  { header: '姓名', cell: (m) => <a href={memberPath(m.id)}>{m.name}</a> },
  { header: '用户名', cell: (m) => m.username ?? <span class="muted">仅接口令牌</span> },
  { header: '角色', cell: (m) => roleName(m.role) },
  { header: '状态', cell: (m) => <StateBadges member={m} /> },
  { header: '最近登录', cell: (m) => <TimeText at={m.lastSignInAt} /> },
  { header: '创建时间', cell: (m) => <TimeText at={m.createdAt} /> },
];

/** What the add form keeps after a failed post: never the password. */
interface AddValues {
  name: string;
  username: string;
  role: string;
}

function AddForm(props: { ctx: PageContext; values?: AddValues; errors?: Record<string, string> }) {
  const v = props.values ?? { name: '', username: '', role: '' };
  const errors = props.errors ?? {};
  return (
    <section class="card" aria-labelledby="add-title">
      <h2 id="add-title">添加账户</h2>
      <ErrorSummary errors={errors} />
      <form method="post" action={LIST} class="stack">
        <CsrfField token={props.ctx.csrfToken} />
        <Field label="姓名" name="name" error={errors.name}>
          <input id="name" name="name" required maxlength={NAME_MAX} value={v.name} autocomplete="off" />
        </Field>
        <Field label="用户名" name="username" error={errors.username} hint="登录网页用：2-40 个字符，小写字母、数字和 . _ -。只给程序使用的账户（通过接口令牌访问）不填用户名和密码。">
          <input id="username" name="username" maxlength={64} value={v.username} autocomplete="off" autocapitalize="none" spellcheck={false} />
        </Field>
        <Field label="角色" name="role" error={errors.role}>
          <select id="role" name="role" required>
            <option value="">请选择</option>
            {ROLES.map((role) => (
              <option value={role} selected={v.role === role}>
                {roleName(role)}
              </option>
            ))}
          </select>
          <ul class="hint">
            {ROLES.map((role) => (
              <li>
                {roleName(role)}：{ROLE_HINTS[role]}
              </li>
            ))}
          </ul>
        </Field>
        <Field label="初始密码" name="password" error={errors.password} hint="至少 10 个字符，不能与用户名相同。请当面或电话告知本人，并提醒其登录后在“账户”页修改。">
          <input id="password" name="password" type="password" autocomplete="new-password" />
        </Field>
        <Field label="再次输入初始密码" name="repeat" error={errors.repeat}>
          <input id="repeat" name="repeat" type="password" autocomplete="new-password" />
        </Field>
        <button type="submit">添加账户</button>
      </form>
    </section>
  );
}

async function listPage(c: Context<AppEnv>, form?: { values: AddValues; errors: Record<string, string> }) {
  const deps = c.get('deps');
  const ctx = pageContext(c);
  const staff = await listStaff(deps.db, deps.clock.now());
  const active = staff.filter((s) => s.active).length;
  return (
    <Layout ctx={ctx} title="人员与权限" crumbs={[HOME, { label: '人员与权限' }]}>
      <p class="section-hint">
        共 {count(staff.length)} 个账户，其中 {count(active)} 个启用。停用的账户不能登录，其接口令牌也立即失效；账户不会被删除，审计记录中仍能看到其姓名。
      </p>
      <DataTable caption="工作人员账户" columns={listColumns} rows={staff} empty="还没有账户。" path={LIST} query={{}} />
      <AddForm ctx={ctx} {...(form ?? {})} />
    </Layout>
  );
}

type FormText = (name: string) => string;

async function formText(c: Context<AppEnv>): Promise<FormText> {
  const form = await c.req.parseBody();
  return (name) => (typeof form[name] === 'string' ? (form[name] as string) : '');
}

/** The form's own checks (the API's schema: a name of 1-50 characters, a role); the service checks the rest. */
function addFormErrors(v: AddValues, password: string, repeat: string): Record<string, string> {
  const errors: Record<string, string> = {};
  if (v.name === '') errors.name = '请填写姓名。';
  else if (v.name.length > NAME_MAX) errors.name = `姓名最多 ${NAME_MAX} 个字。`;
  if (!(ROLES as readonly string[]).includes(v.role)) errors.role = '请选择角色。';
  if (v.username !== '' && password === '') errors.password = '请设置初始密码，本人才能登录。';
  else if (password !== repeat) errors.repeat = '两次输入的密码不一致。';
  return errors;
}

/** A service's refusal of the form's input as `{ field: text }`; other errors are not the form's. */
function serviceFieldErrors(err: unknown): Record<string, string> | null {
  if (!(err instanceof AppError)) return null;
  if (err.code === 'validation_failed') return fieldErrors(err);
  if (err.code === 'conflict') return { username: localizeError(err, 'zh-CN').message };
  return null;
}

async function postAdd(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const me = c.get('session').staff;
  const text = await formText(c);
  const values: AddValues = { name: text('name').trim().slice(0, 200), username: text('username').trim().slice(0, 200), role: text('role') };
  const password = text('password');
  const again = async (errors: Record<string, string>) => {
    c.status(400);
    return c.html(await listPage(c, { values, errors }));
  };
  const errors = addFormErrors(values, password, text('repeat'));
  if (Object.keys(errors).length > 0) return again(errors);
  let added: Awaited<ReturnType<typeof addStaff>>;
  try {
    added = await addStaff(deps, {
      name: values.name,
      role: values.role as Role,
      createdBy: me.id,
      ...(values.username !== '' ? { username: values.username } : {}),
      ...(password !== '' ? { password } : {}),
    });
  } catch (err) {
    const fields = serviceFieldErrors(err);
    if (fields) return again(fields);
    throw err;
  }
  // A program's account is its token: shown now or never. A person signs in; a token can be issued later.
  if (added.staff.username === null) return tokenPage(c, added.staff, added.token, 'created');
  setFlash(c, { tone: 'good', text: `已添加账户“${added.staff.name}”（用户名 ${added.staff.username}），可以用初始密码登录。` });
  return c.redirect(memberPath(added.staff.id), 303);
}

async function requireMember(c: Context<AppEnv>): Promise<StaffMember> {
  const deps = c.get('deps');
  const id = c.req.param('id') ?? '';
  const member = id.length <= 64 ? (await listStaff(deps.db, deps.clock.now())).find((s) => s.id === id) : undefined;
  if (!member) throw AppError.keyed('not_found', { key: 'unknown_staff' });
  return member;
}

function Facts(props: { member: StaffMember }) {
  const m = props.member;
  return (
    <dl class="facts card">
      <dt>姓名</dt>
      <dd>{m.name}</dd>
      <dt>用户名</dt>
      <dd>{m.username ?? <span class="muted">无（仅供程序通过接口令牌使用）</span>}</dd>
      <dt>角色</dt>
      <dd>
        {roleName(m.role)}
        <span class="muted">：{ROLE_HINTS[m.role]}</span>
      </dd>
      <dt>状态</dt>
      <dd>
        <StateBadges member={m} />
        {m.lockedUntil ? (
          <span class="muted">
            {' '}
            连续输错密码，锁定到 <TimeText at={m.lockedUntil} />
          </span>
        ) : null}
      </dd>
      <dt>最近登录</dt>
      <dd>
        <TimeText at={m.lastSignInAt} />
      </dd>
      <dt>密码设置于</dt>
      <dd>{m.hasPassword ? <TimeText at={m.passwordChangedAt} /> : <span class="muted">未设置</span>}</dd>
      <dt>创建时间</dt>
      <dd>
        <TimeText at={m.createdAt} />
      </dd>
    </dl>
  );
}

function ActionForm(props: { ctx: PageContext; action: string; label: string; confirm?: string | undefined; tone?: 'secondary' | 'danger' }) {
  return (
    <form method="post" action={props.action} data-confirm={props.confirm}>
      <CsrfField token={props.ctx.csrfToken} />
      <button type="submit" class={props.tone}>
        {props.label}
      </button>
    </form>
  );
}

function ResetForm(props: { ctx: PageContext; member: StaffMember; errors: Record<string, string> }) {
  const { member, errors } = props;
  return (
    <section class="card" aria-labelledby="reset-title">
      <h2 id="reset-title">重置密码</h2>
      <p>本人忘记密码或账户被锁定时使用。重置后锁定解除，该账户在所有设备上的登录立即失效，需要用新密码重新登录。</p>
      <ErrorSummary errors={errors} />
      <form method="post" action={`${memberPath(member.id)}/password`} class="stack">
        <CsrfField token={props.ctx.csrfToken} />
        <Field label="新密码" name="password" error={errors.password ?? errors.username} hint="至少 10 个字符，不能与用户名相同。请当面或电话告知本人。">
          <input id="password" name="password" type="password" autocomplete="new-password" required />
        </Field>
        <Field label="再次输入新密码" name="repeat" error={errors.repeat}>
          <input id="repeat" name="repeat" type="password" autocomplete="new-password" required />
        </Field>
        <button type="submit">重置密码</button>
      </form>
    </section>
  );
}

async function memberPage(c: Context<AppEnv>, resetErrors: Record<string, string> = {}) {
  const ctx = pageContext(c);
  const member = await requireMember(c);
  const self = member.id === ctx.staff.id;
  const path = memberPath(member.id);
  return (
    <Layout ctx={ctx} title={`账户：${member.name}`} crumbs={[HOME, LIST_CRUMB, { label: member.name }]}>
      {self ? <p class="flash flash-info">这是您自己的账户。修改自己的密码请到“账户”页。</p> : null}
      <Facts member={member} />
      <p>
        <a href={`${AUDIT_PATH}?staffId=${encodeURIComponent(member.id)}`}>该账户做过的操作</a> ·{' '}
        <a href={`${AUDIT_PATH}?subject=${encodeURIComponent(member.id)}`}>对该账户的操作（登录、锁定、停用等）</a>
      </p>
      <section class="card" aria-labelledby="state-title">
        <h2 id="state-title">{member.active ? '停用账户' : '启用账户'}</h2>
        {self ? (
          <p class="muted">不能停用自己的账户。</p>
        ) : member.active ? (
          <>
            <p>停用后，此人不能再登录，所有登录和接口令牌立即失效。账户和审计记录会保留，以后可以重新启用。</p>
            <ActionForm ctx={ctx} action={`${path}/deactivate`} label="停用账户" tone="danger" confirm={`确定停用“${member.name}”的账户吗？`} />
          </>
        ) : (
          <>
            <p>启用后，此人可以重新登录（以前的登录不会恢复）。接口令牌如已遗失，请另行生成。</p>
            <ActionForm ctx={ctx} action={`${path}/activate`} label="启用账户" />
          </>
        )}
      </section>
      {member.username !== null && !self ? <ResetForm ctx={ctx} member={member} errors={resetErrors} /> : null}
      <section class="card" aria-labelledby="signout-title">
        <h2 id="signout-title">在所有设备上退出</h2>
        <p>怀疑账户被他人使用，或此人在公用电脑上忘记退出时使用。接口令牌不受影响。</p>
        <ActionForm ctx={ctx} action={`${path}/sign-out-everywhere`} label="在所有设备上退出" tone="secondary" confirm={self ? '您自己也会被退出，需要重新登录。确定吗？' : undefined} />
      </section>
      <section class="card" aria-labelledby="token-title">
        <h2 id="token-title">接口令牌（给程序用）</h2>
        <p>程序通过接口令牌访问系统，权限与该账户的角色相同。生成新令牌后，旧令牌立即失效；新令牌只在生成后显示一次。</p>
        <ActionForm ctx={ctx} action={`${path}/token`} label="生成新的接口令牌" tone="secondary" confirm="旧令牌会立即失效，使用它的程序需要换上新令牌。确定生成吗？" />
      </section>
    </Layout>
  );
}

/**
 * The token in the answer to the post itself, 200 and never stored by any cache: the token never
 * travels in a redirect's URL or a flash cookie, so it is on this one page and nowhere else.
 */
function tokenPage(c: Context<AppEnv>, member: StaffMember, token: string, why: 'created' | 'issued') {
  const ctx = pageContext(c);
  c.header('Cache-Control', 'no-store');
  c.status(200);
  return c.html(
    <Layout ctx={ctx} title={why === 'created' ? '账户已添加' : '新的接口令牌'} crumbs={[HOME, LIST_CRUMB, { label: member.name, href: memberPath(member.id) }, { label: '接口令牌' }]}>
      <section class="card token-card" aria-labelledby="token-now">
        <h2 id="token-now">请现在复制这个令牌，它只显示这一次</h2>
        <p>
          {why === 'created' ? `已添加程序账户“${member.name}”（${roleName(member.role)}）。` : `已为“${member.name}”生成新的接口令牌，旧令牌已经失效。`}
          系统只保存令牌的摘要：离开或刷新本页后，谁也无法再看到它。请把它填进使用它的程序的配置，不要通过聊天或邮件发送。
        </p>
        <Field label="接口令牌" name="token">
          <input id="token" class="token" readonly value={token} autocomplete="off" spellcheck={false} />
        </Field>
        <p class="muted">如果遗失，在账户页重新生成即可（旧令牌随即失效）。</p>
        <p>
          <a class="button" href={memberPath(member.id)}>
            我已复制，返回账户页
          </a>
        </p>
      </section>
    </Layout>,
  );
}

/** A refusal of the service (not yourself...) as the flash of the account page; a missing account stays a 404. */
async function accountAction(c: Context<AppEnv>, run: (member: StaffMember, by: string) => Promise<string>) {
  const member = await requireMember(c);
  try {
    setFlash(c, { tone: 'good', text: await run(member, c.get('session').staff.id) });
  } catch (err) {
    if (!(err instanceof AppError) || err.code === 'not_found') throw err;
    setFlash(c, { tone: 'bad', text: `没有执行：${localizeError(err, 'zh-CN').message}` });
  }
  return c.redirect(memberPath(member.id), 303);
}

async function postReset(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const me = c.get('session').staff;
  const member = await requireMember(c);
  const text = await formText(c);
  const again = async (errors: Record<string, string>) => {
    c.status(400);
    return c.html(await memberPage(c, errors));
  };
  if (member.username === null) return again({ password: '该账户没有用户名，不能用密码登录。' });
  if (text('password') !== text('repeat')) return again({ repeat: '两次输入的新密码不一致。' });
  let ended: number;
  try {
    ended = (await resetPassword(deps, { username: member.username, password: text('password'), by: me.id })).endedSessions;
  } catch (err) {
    const fields = serviceFieldErrors(err);
    if (fields) return again(fields);
    throw err;
  }
  // One's own reset ended one's own session too.
  if (member.id === me.id) {
    clearSessionCookie(c);
    return c.redirect('/sign-in?done=password', 303);
  }
  setFlash(c, { tone: 'good', text: `已为“${member.name}”设置新密码，并结束了该账户的 ${count(ended)} 个登录。` });
  return c.redirect(memberPath(member.id), 303);
}

async function postSignOutEverywhere(c: Context<AppEnv>) {
  const me = c.get('session').staff;
  const member = await requireMember(c);
  const ended = await signOutStaffEverywhere(c.get('deps'), { id: member.id, by: me.id });
  if (member.id === me.id) {
    clearSessionCookie(c);
    return c.redirect('/sign-in?done=signed-out', 303);
  }
  setFlash(c, { tone: 'good', text: `已结束“${member.name}”在所有设备上的 ${count(ended)} 个登录。` });
  return c.redirect(memberPath(member.id), 303);
}

async function postToken(c: Context<AppEnv>) {
  const member = await requireMember(c);
  const issued = await issueToken(c.get('deps'), { id: member.id, by: c.get('session').staff.id });
  return tokenPage(c, issued.staff, issued.token, 'issued');
}

export function staffPages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const may = pagePermission(STAFF_PERMISSION);
  app.get(LIST, may, async (c) => c.html(await listPage(c)));
  app.post(LIST, may, postAdd);
  app.get(`${LIST}/:id`, may, async (c) => c.html(await memberPage(c)));
  app.post(`${LIST}/:id/deactivate`, may, (c) =>
    accountAction(c, async (m, by) => {
      await deactivateStaff(c.get('deps'), { id: m.id, by });
      return `已停用“${m.name}”的账户：其登录和接口令牌已失效。`;
    }),
  );
  app.post(`${LIST}/:id/activate`, may, (c) =>
    accountAction(c, async (m, by) => {
      await activateStaff(c.get('deps'), { id: m.id, by });
      return `已启用“${m.name}”的账户。`;
    }),
  );
  app.post(`${LIST}/:id/password`, may, postReset);
  app.post(`${LIST}/:id/sign-out-everywhere`, may, postSignOutEverywhere);
  app.post(`${LIST}/:id/token`, may, postToken);
  return app;
}
