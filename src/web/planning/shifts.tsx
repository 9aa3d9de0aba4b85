/**
 * 排班 (issue 16 "Crews and shifts"): the week of shifts, crew by day (hours, start point, the
 * cancelled ones struck through), the weeks before and after, a new shift; each shift's page with
 * its visits counted, its route sheet, the change of its hours, start point or area while no
 * driver has been told, and its cancellation with a confirmation (told drivers get an SMS). Over
 * the shift services and schemas of /api/shifts, with the same permissions.
 */
import { Hono, type Context } from 'hono';
import type { ShiftRow } from '../../db/schema/scheduling.ts';
import { AppError, validationError } from '../../errors.ts';
import type { AppEnv } from '../../http/env.ts';
import { dateOf } from '../../http/date-input.ts';
import { issuesFromZod } from '../../http/route.ts';
import { localizeError } from '../../i18n/localize.ts';
import { ShiftBody, ShiftPatchBody, fieldStaffView, type FieldStaffView } from '../../scheduling/shift-schemas.ts';
import { cancelShift, createShift, knownStartPoints, listFieldStaff, listShifts, requireShift, shiftTally, updateShift, type Place, type ShiftTally } from '../../scheduling/shifts.ts';
import { clock } from '../../scheduling/templates.ts';
import { addDays, type CivilDate } from '../../shared/civil-date.ts';
import { can } from '../../staff/permissions.ts';
import { Layout, type PageContext } from '../components/layout.tsx';
import { withQuery } from '../components/table.tsx';
import { Badge, CsrfField, DateText, ErrorSummary, Field, Stat, type Crumb } from '../components/ui.tsx';
import { count, longDate, shortDate } from '../format.ts';
import { fieldErrors } from '../form.ts';
import { pageContext, pagePermission, setFlash } from '../session.tsx';
import { pageQuery } from '../office/query.ts';
import { BOARD } from './board.tsx';
import { CREWS_PATH } from './crews.tsx';
import { routeSheetPath } from './route-sheet.tsx';
import { SHIFTS_PATH, formText, mondayOf, shiftPath, shiftsPath, weekDays, weekOf, type FormText } from './words.ts';

const HOME: Crumb = { label: '工作台', href: '/console' };
const LIST_CRUMB: Crumb = { label: '排班', href: SHIFTS_PATH };
const WEEKDAY_SHORT = ['周一', '周二', '周三', '周四', '周五', '周六', '周日'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const hours = (s: ShiftRow) => `${clock(s.starts_at)}-${clock(s.ends_at)}`;
const monthDay = (date: CivilDate) => shortDate(date).replace(/^\d+年/, '');

interface People {
  byId: Map<string, FieldStaffView>;
  postal: FieldStaffView[];
  examiners: FieldStaffView[];
}

async function people(c: Context<AppEnv>): Promise<People> {
  const all = (await listFieldStaff(c.get('deps').db)).map(fieldStaffView);
  return { byId: new Map(all.map((p) => [p.id, p])), postal: all.filter((p) => p.kind === 'postal'), examiners: all.filter((p) => p.kind === 'examiner') };
}

const nameOf = (p: People, id: string) => p.byId.get(id)?.name ?? '（已删除）';

// ---------------------------------------------------------------------------------------------
// The week

interface CrewRow {
  key: string;
  postalId: string;
  examinerId: string;
  byDay: Map<CivilDate, ShiftRow[]>;
}

function crewRows(shifts: readonly ShiftRow[], p: People): CrewRow[] {
  const rows = new Map<string, CrewRow>();
  for (const s of shifts) {
    const key = `${s.postal_id}|${s.examiner_id}`;
    const row = rows.get(key) ?? { key, postalId: s.postal_id, examinerId: s.examiner_id, byDay: new Map() };
    row.byDay.set(s.date, [...(row.byDay.get(s.date) ?? []), s]);
    rows.set(key, row);
  }
  return [...rows.values()].sort((a, b) => nameOf(p, a.postalId).localeCompare(nameOf(p, b.postalId), 'zh-CN') || a.key.localeCompare(b.key));
}

function ShiftChip(props: { shift: ShiftRow }) {
  const s = props.shift;
  const cancelled = s.status === 'cancelled';
  const body = (
    <>
      <a href={shiftPath(s.id)}>{hours(s)}</a>
      <br />
      <small>{s.start_label}</small>
    </>
  );
  return (
    <li class={cancelled ? 'shift-chip shift-cancelled' : 'shift-chip'}>
      {cancelled ? (
        <>
          <s>{body}</s> <Badge>已取消</Badge>
        </>
      ) : (
        body
      )}
    </li>
  );
}

/** The same week day by day, for a phone (the stylesheet shows one of the two). */
function WeekList(props: { days: CivilDate[]; shifts: readonly ShiftRow[]; people: People; today: CivilDate }) {
  return (
    <ol class="plain week-list" aria-label="本周班次（按日期）">
      {props.days.map((d, i) => {
        const list = props.shifts.filter((s) => s.date === d);
        return (
          <li class="card">
            <h3>
              {WEEKDAY_SHORT[i]} {monthDay(d)}
              {d === props.today ? <span class="muted">（今天）</span> : null}
            </h3>
            {list.length === 0 ? (
              <p class="muted">没有班次</p>
            ) : (
              <ul class="plain">
                {list.map((s) => (
                  <li class={s.status === 'cancelled' ? 'shift-chip shift-cancelled' : 'shift-chip'}>
                    {s.status === 'cancelled' ? (
                      <>
                        <s>
                          <a href={shiftPath(s.id)}>{hours(s)}</a> {nameOf(props.people, s.postal_id)} / {nameOf(props.people, s.examiner_id)}
                        </s>{' '}
                        <Badge>已取消</Badge>
                      </>
                    ) : (
                      <>
                        <a href={shiftPath(s.id)}>{hours(s)}</a> {nameOf(props.people, s.postal_id)} / {nameOf(props.people, s.examiner_id)}
                      </>
                    )}
                    <br />
                    <small>{s.start_label}</small>
                  </li>
                ))}
              </ul>
            )}
          </li>
        );
      })}
    </ol>
  );
}

function WeekTable(props: { days: CivilDate[]; rows: CrewRow[]; people: People; today: CivilDate }) {
  return (
    <div class="table-wrap week-table" tabindex={0} role="region" aria-label="本周班次（班组 × 日期）">
      <table class="week">
        <caption>班次：每行一个班组（投递员 / 体检医生），每列一天</caption>
        <thead>
          <tr>
            <th scope="col">班组</th>
            {props.days.map((d, i) => (
              <th scope="col" class={d === props.today ? 'today-col' : undefined}>
                {WEEKDAY_SHORT[i]}
                {d === props.today ? <span class="muted">（今天）</span> : null}
                <br />
                <time datetime={d}>{monthDay(d)}</time>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.length === 0 ? (
            <tr>
              <td colspan={8} class="empty">
                这一周还没有班次。
              </td>
            </tr>
          ) : (
            props.rows.map((row) => (
              <tr>
                <th scope="row" class="crew-cell">
                  {nameOf(props.people, row.postalId)}
                  <br />
                  <small>{nameOf(props.people, row.examinerId)}</small>
                </th>
                {props.days.map((d) => {
                  const list = row.byDay.get(d) ?? [];
                  return (
                    <td class={d === props.today ? 'today-col' : undefined}>
                      {list.length > 0 ? (
                        <ul class="plain">
                          {list.map((s) => (
                            <ShiftChip shift={s} />
                          ))}
                        </ul>
                      ) : null}
                    </td>
                  );
                })}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// The form: hours, crew, start point, area

type Values = Record<'date' | 'startsAt' | 'endsAt' | 'postalId' | 'examinerId' | 'place' | 'startLabel' | 'startLat' | 'startLng' | 'communities', string>;
const FIELDS = ['date', 'startsAt', 'endsAt', 'postalId', 'examinerId', 'place', 'startLabel', 'startLat', 'startLng', 'communities'] as const;

export interface FormState {
  values: Values;
  errors: Record<string, string>;
  problem?: string | undefined;
}

const NEW_PLACE = 'new';
const placeValue = (p: Place) => `${p.lat}|${p.lng}|${p.label}`;

/** The words for a field the API's schema refused, as office staff read them. */
const FIELD_HELP: Record<string, string> = {
  date: '请选择日期。',
  startsAt: '请填写开始时间，如 08:30。',
  endsAt: '请填写结束时间，如 12:00。',
  postalId: '请选择投递员。',
  examinerId: '请选择体检医生。',
  startLabel: '请填写出发地点的名称（最多 100 个字），或在上面选择常用地点。',
  startLat: '请填写出发地点的纬度：-90 到 90 之间的数字，如 36.456。',
  startLng: '请填写出发地点的经度：-180 到 180 之间的数字，如 115.985。',
  communities: '小区名称每个最多 100 个字，最多 500 个。',
};

/** The API's field names as the form's. */
function formField(field: string): string {
  if (field === 'start' || field.startsWith('start.')) return { 'start.lat': 'startLat', 'start.lng': 'startLng' }[field] ?? 'startLabel';
  if (field.startsWith('area')) return 'communities';
  return field;
}

function formErrors(err: AppError, fromSchema: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, text] of Object.entries(fieldErrors(err))) {
    const name = formField(field);
    out[name] ??= fromSchema ? (FIELD_HELP[name] ?? text) : name === 'endsAt' || name === 'startsAt' ? '结束时间必须晚于开始时间。' : text;
  }
  return out;
}

const numberOrText = (text: string): unknown => (text.trim() === '' ? undefined : /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text.trim()) : text);

/** The start point: one of the known ones, or the one typed in. */
function placeOf(v: Values): unknown {
  if (v.place && v.place !== NEW_PLACE) {
    const [latText, lngText, ...label] = v.place.split('|');
    return { label: label.join('|'), lat: numberOrText(latText ?? ''), lng: numberOrText(lngText ?? '') };
  }
  return { label: v.startLabel.trim(), lat: numberOrText(v.startLat), lng: numberOrText(v.startLng) };
}

const communitiesOf = (text: string) => text.split(/[,，、;；\n\r]+/).map((s) => s.trim()).filter(Boolean);

function valuesOf(text: FormText): Values {
  return Object.fromEntries(FIELDS.map((name) => [name, text(name)])) as Values;
}

function PlaceFields(props: { known: Place[]; v: Values; errors: Record<string, string> }) {
  const { v, errors } = props;
  return (
    <fieldset class="place">
      <legend>出发地点</legend>
      {props.known.length > 0 ? (
        <Field label="常用地点" name="place" hint="选一个以前用过的地点；选“新地点”则在下面填写。">
          <select id="place" name="place">
            <option value={NEW_PLACE}>新地点（在下面填写）</option>
            {props.known.map((p) => (
              <option value={placeValue(p)} selected={v.place === placeValue(p)}>
                {p.label}
              </option>
            ))}
          </select>
        </Field>
      ) : null}
      <Field label="地点名称" name="startLabel" error={errors.startLabel}>
        <input id="startLabel" name="startLabel" maxlength={100} value={v.startLabel} />
      </Field>
      <div class="form-row">
        <Field label="纬度" name="startLat" error={errors.startLat} hint="如 36.456">
          <input id="startLat" name="startLat" inputmode="decimal" value={v.startLat} />
        </Field>
        <Field label="经度" name="startLng" error={errors.startLng} hint="如 115.985">
          <input id="startLng" name="startLng" inputmode="decimal" value={v.startLng} />
        </Field>
      </div>
      <p class="hint muted">坐标可在地图软件中长按该地点查看。班次结束时回到出发地点。</p>
    </fieldset>
  );
}

function HoursFields(props: { v: Values; errors: Record<string, string> }) {
  return (
    <div class="form-row">
      <Field label="开始时间" name="startsAt" error={props.errors.startsAt}>
        <input id="startsAt" name="startsAt" type="time" required value={props.v.startsAt} />
      </Field>
      <Field label="结束时间" name="endsAt" error={props.errors.endsAt}>
        <input id="endsAt" name="endsAt" type="time" required value={props.v.endsAt} />
      </Field>
    </div>
  );
}

function AreaField(props: { v: Values; errors: Record<string, string> }) {
  return (
    <Field label="负责的小区（可不填）" name="communities" error={props.errors.communities} hint="只给这个班次排这些小区的驾驶人，小区名之间用逗号或顿号隔开；不填则不限。">
      <textarea id="communities" name="communities" rows={2}>
        {props.v.communities}
      </textarea>
    </Field>
  );
}

function Problem(props: { text?: string | undefined }) {
  return props.text ? (
    <div class="error-summary" role="alert">
      <p>{props.text}</p>
    </div>
  ) : null;
}

function AddForm(props: { ctx: PageContext; people: People; known: Place[]; form: FormState }) {
  const { values: v, errors } = props.form;
  const active = (list: FieldStaffView[]) => list.filter((p) => p.active);
  return (
    <section class="card" aria-labelledby="add-title">
      <h2 id="add-title">新建班次</h2>
      <ErrorSummary errors={errors} />
      <Problem text={props.form.problem} />
      <form method="post" action={SHIFTS_PATH} class="stack">
        <CsrfField token={props.ctx.csrfToken} />
        <Field label="日期" name="date" error={errors.date}>
          <input id="date" name="date" type="date" required min={props.ctx.today} value={v.date} />
        </Field>
        <HoursFields v={v} errors={errors} />
        <Field label="投递员" name="postalId" error={errors.postalId}>
          <select id="postalId" name="postalId" required>
            <option value="">请选择</option>
            {active(props.people.postal).map((p) => (
              <option value={p.id} selected={v.postalId === p.id}>
                {p.name}（{p.organisation}）
              </option>
            ))}
          </select>
        </Field>
        <Field label="体检医生" name="examinerId" error={errors.examinerId}>
          <select id="examinerId" name="examinerId" required>
            <option value="">请选择</option>
            {active(props.people.examiners).map((p) => (
              <option value={p.id} selected={v.examinerId === p.id}>
                {p.name}（{p.organisation}）
              </option>
            ))}
          </select>
        </Field>
        <PlaceFields known={props.known} v={v} errors={errors} />
        <AreaField v={v} errors={errors} />
        <p class="muted">
          没有要选的人？先到<a href={CREWS_PATH}>人员</a>页添加。
        </p>
        <div>
          <button type="submit">新建班次</button>
        </div>
      </form>
    </section>
  );
}

function blankValues(today: CivilDate): Values {
  return { date: addDays(today, 1), startsAt: '08:30', endsAt: '12:00', postalId: '', examinerId: '', place: '', startLabel: '', startLat: '', startLng: '', communities: '' };
}

async function weekPage(c: Context<AppEnv>, form?: FormState) {
  const deps = c.get('deps');
  const ctx = pageContext(c);
  const query = pageQuery(c, ['week', 'person']);
  const monday = weekOf(query.week, ctx.today);
  const person = query.person && UUID.test(query.person) ? query.person : undefined;
  const days = weekDays(monday);
  const [all, p, known] = await Promise.all([listShifts(deps.db, { from: monday, to: addDays(monday, 6) }), people(c), knownStartPoints(deps.db)]);
  const shifts = person ? all.filter((s) => s.postal_id === person || s.examiner_id === person) : all;
  const cancelled = shifts.filter((s) => s.status === 'cancelled').length;
  const keep = { person };
  return (
    <Layout ctx={ctx} title="排班" crumbs={[HOME, { label: '排班' }]} actions={<a href={CREWS_PATH}>人员</a>}>
      <nav class="week-nav" aria-label="选择周">
        <a href={shiftsPath({ ...keep, week: addDays(monday, -7) })} rel="prev">
          ← 上一周
        </a>
        <strong>
          {longDate(monday)} 至 {monthDay(addDays(monday, 6))}
        </strong>
        <a href={shiftsPath({ ...keep, week: addDays(monday, 7) })} rel="next">
          下一周 →
        </a>
        {monday !== mondayOf(ctx.today) ? <a href={shiftsPath(keep)}>回到本周</a> : null}
      </nav>
      {person ? (
        <p class="flash flash-info">
          只显示 {nameOf(p, person)} 的班次。<a href={shiftsPath({ week: monday })}>显示全部</a>
        </p>
      ) : null}
      <p class="section-hint">
        本周 {count(shifts.length)} 个班次{cancelled > 0 ? `，其中 ${count(cancelled)} 个已取消（划线）` : ''}。点时间进入班次：查看路线单、修改或取消。
      </p>
      <WeekTable days={days} rows={crewRows(shifts, p)} people={p} today={ctx.today} />
      <WeekList days={days} shifts={shifts} people={p} today={ctx.today} />
      {can(ctx.staff.role, 'scheduling:manage') ? <AddForm ctx={ctx} people={p} known={known} form={form ?? { values: blankValues(ctx.today), errors: {} }} /> : null}
    </Layout>
  );
}

async function postCreate(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const values = valuesOf(await formText(c));
  const again = async (state: Omit<FormState, 'values'>) => {
    c.status(400);
    return c.html(await weekPage(c, { values, ...state }));
  };
  const communities = communitiesOf(values.communities);
  const body = { date: values.date, startsAt: values.startsAt, endsAt: values.endsAt, postalId: values.postalId, examinerId: values.examinerId, start: placeOf(values), ...(communities.length ? { area: { communities } } : {}) };
  const parsed = ShiftBody.safeParse(body);
  if (!parsed.success) return again({ errors: formErrors(validationError(issuesFromZod(parsed.error, 'form')), true) });
  try {
    const row = await createShift(deps, { ...parsed.data, date: dateOf(deps, parsed.data.date) }, c.get('session').staff.id);
    const p = await people(c);
    setFlash(c, { tone: 'good', text: `已新建班次：${longDate(row.date)} ${hours(row)}，${nameOf(p, row.postal_id)} / ${nameOf(p, row.examiner_id)}。` });
    return c.redirect(shiftsPath({ week: mondayOf(row.date) }), 303);
  } catch (err) {
    if (!(err instanceof AppError) || err.status >= 500) throw err;
    if (err.code === 'validation_failed') return again({ errors: formErrors(err, false) });
    return again({ errors: {}, problem: localizeError(err, 'zh-CN').message });
  }
}

// ---------------------------------------------------------------------------------------------
// One shift

interface ShiftForms {
  edit?: FormState;
  cancel?: string;
}

function editValues(s: ShiftRow): Values {
  const communities = s.area_communities ? (JSON.parse(s.area_communities) as string[]).join('、') : '';
  return { date: s.date, startsAt: s.starts_at, endsAt: s.ends_at, postalId: s.postal_id, examinerId: s.examiner_id, place: NEW_PLACE, startLabel: s.start_label, startLat: String(s.start_lat), startLng: String(s.start_lng), communities };
}

/** Why a shift cannot be changed any more, or null. The service refuses the same (updateShift). */
function frozenWhy(s: ShiftRow, tally: ShiftTally, today: CivilDate): string | null {
  if (s.status === 'cancelled') return '这个班次已取消。';
  if (s.date < today) return '这个班次的日期已过，不能再修改。';
  const told = tally.told + tally.finished;
  if (told > 0) return `已有 ${count(told)} 位驾驶人收到了这个班次的预约通知，时间和地点不能再改。如需调整，请取消这个班次（他们会收到取消短信）后新建。`;
  return null;
}

function Facts(props: { shift: ShiftRow; people: People; tally: ShiftTally }) {
  const { shift: s, people: p } = props;
  const communities = s.area_communities ? (JSON.parse(s.area_communities) as string[]) : [];
  return (
    <>
      <dl class="facts card">
        <dt>日期</dt>
        <dd>
          <DateText date={s.date} long />
        </dd>
        <dt>时间</dt>
        <dd>{hours(s)}</dd>
        <dt>投递员</dt>
        <dd>{nameOf(p, s.postal_id)}</dd>
        <dt>体检医生</dt>
        <dd>{nameOf(p, s.examiner_id)}</dd>
        <dt>出发地点</dt>
        <dd>{s.start_label}</dd>
        <dt>返回地点</dt>
        <dd>{s.end_label}</dd>
        <dt>负责区域</dt>
        <dd>
          {communities.length > 0 ? communities.join('、') : s.area_radius_km !== null ? `以某点为中心 ${s.area_radius_km} 公里内` : <span class="muted">不限</span>}
        </dd>
        <dt>最多上门</dt>
        <dd>{count(s.capacity)} 人</dd>
        <dt>状态</dt>
        <dd>{s.status === 'cancelled' ? <Badge tone="bad">已取消</Badge> : <Badge tone="good">有效</Badge>}</dd>
      </dl>
      <div class="grid">
        <Stat label="计划草案" value={count(props.tally.drafts)} note="还没有通知驾驶人" />
        <Stat label="已通知驾驶人" value={count(props.tally.told)} note="已预约、已确认或在途" />
        <Stat label="已完成" value={count(props.tally.finished)} note="已体检或未见到" />
      </div>
    </>
  );
}

function EditForm(props: { ctx: PageContext; shift: ShiftRow; known: Place[]; form: FormState; drafts: number }) {
  const { values: v, errors } = props.form;
  return (
    <section class="card" aria-labelledby="edit-title">
      <h2 id="edit-title">修改班次</h2>
      <p class="section-hint">可以改时间、出发地点和负责的小区；日期和人员不能改（请取消后新建）。{props.drafts > 0 ? `修改后，本班次的 ${count(props.drafts)} 个计划草案会被删除，需要重新预览计划。` : ''}</p>
      <ErrorSummary errors={errors} />
      <Problem text={props.form.problem} />
      <form method="post" action={shiftPath(props.shift.id)} class="stack">
        <CsrfField token={props.ctx.csrfToken} />
        <HoursFields v={v} errors={errors} />
        <PlaceFields known={props.known} v={v} errors={errors} />
        <AreaField v={v} errors={errors} />
        <div>
          <button type="submit">保存修改</button>
        </div>
      </form>
    </section>
  );
}

function CancelForm(props: { ctx: PageContext; shift: ShiftRow; tally: ShiftTally; error?: string | undefined }) {
  const { tally } = props;
  const warning =
    tally.told > 0
      ? `已收到预约通知的 ${count(tally.told)} 位驾驶人会收到取消短信（座机用户请电话告知），并回到待安排的名单。`
      : '还没有驾驶人收到这个班次的通知。';
  return (
    <section class="card" aria-labelledby="cancel-title">
      <h2 id="cancel-title">取消班次</h2>
      <p>
        {warning}
        {tally.drafts > 0 ? ` 本班次的 ${count(tally.drafts)} 个计划草案会被删除。` : ''}取消后不能恢复。
      </p>
      <form method="post" action={`${shiftPath(props.shift.id)}/cancel`} class="stack" data-confirm={`确定取消这个班次吗？${warning}`}>
        <CsrfField token={props.ctx.csrfToken} />
        <div class={props.error ? 'field field-error' : 'field'}>
          {props.error ? (
            <p class="error-text" id="confirm-error">
              {props.error}
            </p>
          ) : null}
          <label class="choice">
            <input id="confirm" type="checkbox" name="confirm" value="yes" required aria-describedby={props.error ? 'confirm-error' : undefined} />
            我确认要取消这个班次{tally.told > 0 ? `，并通知 ${count(tally.told)} 位驾驶人` : ''}
          </label>
        </div>
        <div>
          <button type="submit" class="danger">
            取消班次
          </button>
        </div>
      </form>
    </section>
  );
}

async function loadShift(c: Context<AppEnv>): Promise<ShiftRow> {
  const id = c.req.param('id') ?? '';
  if (!UUID.test(id)) throw AppError.keyed('not_found', { key: 'shift_not_found' });
  return requireShift(c.get('deps').db, id);
}

async function shiftPage(c: Context<AppEnv>, forms: ShiftForms = {}) {
  const deps = c.get('deps');
  const ctx = pageContext(c);
  const shift = await loadShift(c);
  const [tally, p, known] = await Promise.all([shiftTally(deps.db, shift.id), people(c), knownStartPoints(deps.db)]);
  const frozen = frozenWhy(shift, tally, ctx.today);
  const manage = can(ctx.staff.role, 'scheduling:manage');
  const title = `班次：${monthDay(shift.date)} ${hours(shift)} ${nameOf(p, shift.postal_id)} / ${nameOf(p, shift.examiner_id)}`;
  const week = shiftsPath({ week: mondayOf(shift.date) });
  return (
    <Layout
      ctx={ctx}
      title={title}
      crumbs={[HOME, { ...LIST_CRUMB, href: week }, { label: '班次' }]}
      actions={
        <>
          <a class="button secondary" href={routeSheetPath(shift.id)}>
            路线单（打印）
          </a>
          <a class="button secondary" href={`${routeSheetPath(shift.id)}.ics`}>
            日历文件（.ics）
          </a>
        </>
      }
    >
      <Facts shift={shift} people={p} tally={tally} />
      {manage && frozen === null ? (
        <EditForm ctx={ctx} shift={shift} known={known} drafts={tally.drafts} form={forms.edit ?? { values: editValues(shift), errors: {} }} />
      ) : frozen ? (
        <>
          {/* A change posted from a page that was open before a commit or a cancel: the service's refusal. */}
          <Problem text={forms.edit?.problem} />
          <p class="card">{frozen}</p>
        </>
      ) : null}
      {manage && shift.status === 'open' ? <CancelForm ctx={ctx} shift={shift} tally={tally} error={forms.cancel} /> : null}
      <p class="week-nav">
        <a href={week}>← 回到这一周的排班</a>
        <a href={withQuery(BOARD, { date: shift.date })}>这一天的排班计划（预览、调整和确定上门）</a>
      </p>
    </Layout>
  );
}

function patchOf(shift: ShiftRow, v: Values): unknown {
  const communities = communitiesOf(v.communities);
  const circle = shift.area_lat !== null && shift.area_lng !== null && shift.area_radius_km !== null ? { center: { lat: shift.area_lat, lng: shift.area_lng }, radiusKm: shift.area_radius_km } : null;
  // The form shows the communities only: a circle set through the API stays as it was.
  const area = communities.length > 0 || circle ? { ...(communities.length > 0 ? { communities } : {}), ...(circle ?? {}) } : null;
  return { startsAt: v.startsAt, endsAt: v.endsAt, start: placeOf(v), area };
}

async function postEdit(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const shift = await loadShift(c);
  const values = valuesOf(await formText(c));
  const again = async (state: Omit<FormState, 'values'>) => {
    c.status(400);
    return c.html(await shiftPage(c, { edit: { values, ...state } }));
  };
  const parsed = ShiftPatchBody.safeParse(patchOf(shift, values));
  if (!parsed.success) return again({ errors: formErrors(validationError(issuesFromZod(parsed.error, 'form')), true) });
  try {
    const { droppedDrafts } = await updateShift(deps, shift.id, parsed.data, c.get('session').staff.id);
    setFlash(c, { tone: 'good', text: `班次已修改。${droppedDrafts > 0 ? `原有的 ${count(droppedDrafts)} 个计划草案已删除，请重新预览这一天的计划。` : ''}` });
    return c.redirect(shiftPath(shift.id), 303);
  } catch (err) {
    if (!(err instanceof AppError) || err.status >= 500 || err.code === 'not_found') throw err;
    if (err.code === 'validation_failed') return again({ errors: formErrors(err, false) });
    return again({ errors: {}, problem: `没有修改：${localizeError(err, 'zh-CN').message}` });
  }
}

async function postCancel(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const shift = await loadShift(c);
  const text = await formText(c);
  if (text('confirm') !== 'yes') {
    c.status(400);
    return c.html(await shiftPage(c, { cancel: '请勾选确认后再取消班次。' }));
  }
  try {
    const { cancelledVisits } = await cancelShift(deps, shift.id, c.get('session').staff.id);
    setFlash(c, {
      tone: 'good',
      text: cancelledVisits > 0 ? `班次已取消。${count(cancelledVisits)} 位已收到预约的驾驶人会收到取消短信（座机用户请电话告知），并回到待安排的名单。` : '班次已取消。没有驾驶人需要通知。',
    });
  } catch (err) {
    if (!(err instanceof AppError) || err.status >= 500 || err.code === 'not_found') throw err;
    setFlash(c, { tone: 'bad', text: `班次没有取消：${localizeError(err, 'zh-CN').message}` });
  }
  return c.redirect(shiftPath(shift.id), 303);
}

export function shiftPages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const read = pagePermission('scheduling:read');
  const manage = pagePermission('scheduling:manage');
  app.get(SHIFTS_PATH, read, async (c) => c.html(await weekPage(c)));
  app.post(SHIFTS_PATH, manage, postCreate);
  app.get(`${SHIFTS_PATH}/:id`, read, async (c) => c.html(await shiftPage(c)));
  app.post(`${SHIFTS_PATH}/:id`, manage, postEdit);
  app.post(`${SHIFTS_PATH}/:id/cancel`, manage, postCancel);
  return app;
}
