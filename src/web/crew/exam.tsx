/**
 * The exam form at the door (issue 16, RULES.md §5): the items of Art 14(2) with this driver's
 * thresholds, the 三力测试 only when a case needs it, the certificate number; over the same
 * services as GET /api/visits/{id}/exam-form and POST /api/visits/{id}/exam, the entry checked
 * by the API's own schema. A bad signal loses nothing: with JavaScript the draft is kept on the
 * phone and a submit made offline is sent when the network is back (src/web/assets/console-js.ts);
 * the key rendered into the form makes a double tap or a resend record one exam.
 */
import type { Context } from 'hono';
import type { z } from '@hono/zod-openapi';
import { AppError } from '../../errors.ts';
import type { AppEnv } from '../../http/env.ts';
import { localizeError } from '../../i18n/localize.ts';
import { recordExamOnce, type ExamInput } from '../../exams/record.ts';
import { ExamInputSchema } from '../../exams/routes.ts';
import { examForm } from '../../exams/views.ts';
import { crewStop } from '../../scheduling/my-day.ts';
import { Layout, type PageContext } from '../components/layout.tsx';
import { CsrfField, ErrorSummary, Field } from '../components/ui.tsx';
import { fieldErrors } from '../form.ts';
import { CATEGORY_LABELS } from '../labels.ts';
import { pageContext, setFlash } from '../session.tsx';
import { TODAY_CRUMB, stopHref } from './stop.tsx';
import { clockText } from './words.ts';

export const EXAM_PERMISSION = 'exams:record' as const;

type Form = Awaited<ReturnType<typeof examForm>>;
type Values = Record<string, string>;

const VISION_STEPS = Array.from({ length: 14 }, (_, i) => (4.0 + i / 10).toFixed(1));

/** The service's field paths as the form's field names. */
const FIELD_OF: Record<string, string> = {
  'findings.heightCm': 'heightCm',
  'findings.vision.left': 'visionLeft',
  'findings.vision.right': 'visionRight',
  'findings.redGreenColourBlind': 'colourBlind',
  'findings.hearing.left': 'hearingLeft',
  'findings.hearing.right': 'hearingRight',
  'findings.upperLimbsNormal': 'upperLimbs',
  'findings.lowerLimbs.normal': 'lowerLimbs',
  'findings.lowerLimbs.lengthDifferenceCm': 'legDifference',
  'findings.trunkAndNeckNormal': 'trunkNeck',
  'findings.cognitiveTest': 'cognitiveTest',
  'certificate.number': 'certificateNumber',
  startedAt: 'startedAt',
  endedAt: 'startedAt',
};

const FIELD_WORDS: Record<string, string> = {
  heightCm: '请填写身高（厘米，50-260）',
  visionLeft: '请选择左眼视力',
  visionRight: '请选择右眼视力',
  colourBlind: '请选择有无红绿色盲',
  hearingLeft: '请选择左耳听力',
  hearingRight: '请选择右耳听力',
  upperLimbs: '请选择上肢情况',
  lowerLimbs: '请选择下肢情况',
  legDifference: '请填写双下肢长度差（厘米，0-100）',
  trunkNeck: '请选择躯干和颈部情况',
  cognitiveTest: '请选择三力测试结果',
  certificateNumber: '请填写证明编号（4-40 位字母、数字或短横线）',
  startedAt: '体检时间不对，请重新打开体检表',
};

/** One yes/no item as two big radio buttons. */
function Choice(props: { name: string; legend: string; yes: string; no: string; values: Values; errors: Values; hint?: string }) {
  const error = props.errors[props.name];
  const value = props.values[props.name];
  return (
    <fieldset class={error ? 'choices big-choices field-error' : 'choices big-choices'} id={props.name}>
      <legend>{props.legend}</legend>
      {props.hint ? <p class="hint">{props.hint}</p> : null}
      {error ? <p class="error-text">{error}</p> : null}
      <label class="choice">
        <input type="radio" name={props.name} value="yes" required checked={value === 'yes'} />
        {props.yes}
      </label>
      <label class="choice">
        <input type="radio" name={props.name} value="no" checked={value === 'no'} />
        {props.no}
      </label>
    </fieldset>
  );
}

function VisionSelect(props: { name: string; label: string; values: Values; errors: Values; needed: number }) {
  return (
    <Field label={props.label} name={props.name} error={props.errors[props.name]} hint={`需达到 ${props.needed.toFixed(1)}（可戴眼镜矫正）`}>
      <select id={props.name} name={props.name} required>
        <option value="">请选择</option>
        {VISION_STEPS.map((s) => (
          <option value={s} selected={props.values[props.name] === s}>
            {s}
          </option>
        ))}
      </select>
    </Field>
  );
}

function ExamFormView(props: { ctx: PageContext; visitId: string; form: Form; values: Values; errors: Values }) {
  const { ctx, form, values, errors } = props;
  const t = form.thresholds;
  return (
    <form method="post" action={`${stopHref(props.visitId)}/exam`} class="stack exam-form" data-exam-draft={props.visitId} data-has-errors={Object.keys(errors).length > 0 ? '1' : undefined}>
      <CsrfField token={ctx.csrfToken} />
      <input type="hidden" name="idempotencyKey" value={values['idempotencyKey']} />
      <input type="hidden" name="startedAt" value={values['startedAt']} />
      <input type="hidden" name="endedAt" value="" />
      <ErrorSummary errors={errors} />
      <p class="exam-status" data-exam-status role="status"></p>
      <Field label="身高（厘米）" name="heightCm" error={errors['heightCm']}>
        <input id="heightCm" name="heightCm" type="number" inputmode="decimal" min={50} max={260} step="0.5" required value={values['heightCm'] ?? ''} />
      </Field>
      <VisionSelect name="visionLeft" label="左眼视力（对数视力表）" values={values} errors={errors} needed={t.vision} />
      <VisionSelect name="visionRight" label="右眼视力（对数视力表）" values={values} errors={errors} needed={t.vision} />
      <label class="choice big-choice">
        <input type="checkbox" name="visionCorrected" value="1" checked={values['visionCorrected'] === '1'} />
        戴眼镜矫正后的视力
      </label>
      <Choice name="colourBlind" legend="红绿色盲" yes="有红绿色盲" no="无" values={values} errors={errors} />
      <Choice name="hearingLeft" legend="左耳听力（50 厘米音叉）" yes="能听到" no="听不到" values={values} errors={errors} />
      <Choice name="hearingRight" legend="右耳听力（50 厘米音叉）" yes="能听到" no="听不到" values={values} errors={errors} />
      <label class="choice big-choice">
        <input type="checkbox" name="hearingAid" value="1" checked={values['hearingAid'] === '1'} />
        戴助听器{t.hearingAidAllowed ? '（该驾驶人的准驾车型允许）' : '（该驾驶人的准驾车型不允许戴助听器）'}
      </label>
      <Choice name="upperLimbs" legend="上肢" yes="正常" no="异常" values={values} errors={errors} />
      <Choice name="lowerLimbs" legend="下肢" yes="正常" no="异常" values={values} errors={errors} />
      <Field label="双下肢长度差（厘米）" name="legDifference" error={errors['legDifference']} hint="不超过 5 厘米为合格">
        <input id="legDifference" name="legDifference" type="number" inputmode="decimal" min={0} max={100} step="0.5" required value={values['legDifference'] ?? '0'} />
      </Field>
      <Choice name="trunkNeck" legend="躯干和颈部" yes="正常" no="异常" values={values} errors={errors} />
      {form.needsCognitiveTest ? (
        <Choice name="cognitiveTest" legend="三力测试（记忆力、判断力、反应力）" yes="通过" no="未通过" values={values} errors={errors} hint="驾驶人不愿参加的，记为未通过。" />
      ) : null}
      <Field label="身体条件证明编号" name="certificateNumber" error={errors['certificateNumber']} hint={`出具单位：${form.certificate.institution}；有效期 ${form.certificate.validMonths} 个月`}>
        <input id="certificateNumber" name="certificateNumber" required minlength={4} maxlength={40} pattern="[0-9A-Za-z\-]+" autocomplete="off" value={values['certificateNumber'] ?? ''} />
      </Field>
      <button type="submit" class="big">
        提交体检结果
      </button>
    </form>
  );
}

function DriverFacts(props: { form: Form }) {
  const { form } = props;
  return (
    <div class="card">
      <dl class="facts">
        <dt>驾驶人</dt>
        <dd>
          {form.driver.name}（{form.driver.sex === 'M' ? '男' : '女'}，{form.driver.age} 岁）
        </dd>
        <dt>身份证号</dt>
        <dd>{form.driver.idNumberMasked}</dd>
        <dt>准驾车型</dt>
        <dd>
          {form.driver.classes.join(' ')}
          {form.classesToHold.join(' ') !== form.driver.classes.join(' ') ? `（按换证后的 ${form.classesToHold.join(' ')} 判定）` : ''}
        </dd>
        <dt>要办</dt>
        <dd>{form.cases.map((c) => CATEGORY_LABELS[c.category as keyof typeof CATEGORY_LABELS] ?? c.category).join('、')}</dd>
        <dt>时间</dt>
        <dd>
          {clockText(form.visit.windowStart)}-{clockText(form.visit.windowEnd)}
        </dd>
      </dl>
    </div>
  );
}

async function renderExam(c: Context<AppEnv>, values: Values | null, errors: Values = {}) {
  const deps = c.get('deps');
  const ctx = pageContext(c);
  const visitId = c.req.param('visitId') ?? '';
  let form: Form;
  try {
    form = await examForm(deps, visitId, ctx.staff);
  } catch (err) {
    // Recorded already (a resend, another tab): the page says so rather than an error.
    if (err instanceof AppError && err.code === 'conflict' && (await crewStop(deps, ctx.staff, visitId)).visit.status === 'exam_recorded') return recordedPage(c, visitId);
    throw err;
  }
  const v = values ?? { idempotencyKey: deps.ids.next(), startedAt: deps.clock.now().toISOString() };
  return c.html(
    <Layout ctx={ctx} title={`体检：${form.driver.name}`} crumbs={[TODAY_CRUMB, { label: '这一站', href: stopHref(visitId) }, { label: '体检表' }]}>
      <DriverFacts form={form} />
      <ExamFormView ctx={ctx} visitId={visitId} form={form} values={v} errors={errors} />
    </Layout>,
  );
}

function recordedPage(c: Context<AppEnv>, visitId: string) {
  return c.html(
    <Layout ctx={pageContext(c)} title="体检已记录" crumbs={[TODAY_CRUMB, { label: '这一站', href: stopHref(visitId) }, { label: '体检表' }]}>
      <div class="card" role="status">
        <p>这一站的体检已经记录，不用再提交。</p>
        <p>
          <a class="button big" href={stopHref(visitId)}>
            回到这一站
          </a>
        </p>
      </div>
    </Layout>,
  );
}

export async function examPage(c: Context<AppEnv>) {
  return renderExam(c, null);
}

const yes = (v: string | undefined) => (v === 'yes' ? true : v === 'no' ? false : undefined);
const num = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : Number(v));

/** The form's fields as the API's body; what is missing stays missing, for the schema to name. */
function examBody(f: Values, now: string): unknown {
  return {
    startedAt: f['startedAt'] || now,
    endedAt: f['endedAt'] || now,
    findings: {
      heightCm: num(f['heightCm']),
      vision: { left: num(f['visionLeft']), right: num(f['visionRight']), corrected: f['visionCorrected'] === '1' },
      redGreenColourBlind: yes(f['colourBlind']),
      hearing: { left: yes(f['hearingLeft']), right: yes(f['hearingRight']), aid: f['hearingAid'] === '1' },
      upperLimbsNormal: yes(f['upperLimbs']),
      lowerLimbs: { normal: yes(f['lowerLimbs']), lengthDifferenceCm: num(f['legDifference']) },
      trunkAndNeckNormal: yes(f['trunkNeck']),
      ...(f['cognitiveTest'] ? { cognitiveTest: f['cognitiveTest'] === 'yes' ? 'pass' : 'fail' } : {}),
    },
    certificate: { number: f['certificateNumber'] ?? '' },
  };
}

function schemaErrors(error: z.ZodError): Values {
  const out: Values = {};
  for (const issue of error.issues) {
    const field = FIELD_OF[issue.path.join('.')];
    if (field) out[field] ??= FIELD_WORDS[field] ?? '请检查';
  }
  return Object.keys(out).length > 0 ? out : { certificateNumber: '请检查填写的内容' };
}

/** Where the browser goes after the post: a redirect, or for the page's script the address in JSON. */
function done(c: Context<AppEnv>, location: string) {
  return c.req.header('x-console-fetch') === '1' ? c.json({ location }, 200) : c.redirect(location, 303);
}

export async function postExam(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const staff = c.get('session').staff;
  const visitId = c.req.param('visitId') ?? '';
  const raw = await c.req.parseBody();
  const values: Values = Object.fromEntries(Object.entries(raw).filter((e): e is [string, string] => typeof e[1] === 'string' && e[0] !== '_csrf'));
  const parsed = ExamInputSchema.safeParse(examBody(values, deps.clock.now().toISOString()));
  if (!parsed.success) {
    c.status(400);
    return renderExam(c, values, schemaErrors(parsed.error));
  }
  try {
    // The key rendered into the form, under the API's own route: a resend by the page or by a
    // program with the same key and body gets the first answer, never a second exam.
    const { body: exam } = await recordExamOnce(deps, visitId, parsed.data as ExamInput, staff, values['idempotencyKey'] || undefined);
    const filed = exam.cases.filter((o) => o.outcome === 'submitted').length;
    const followUp = exam.cases.length - filed;
    const words = [exam.pass ? '合格' : '不合格', filed > 0 ? `${filed} 项业务将提交 12123` : '', followUp > 0 ? `${followUp} 项业务转车管所工作人员跟进` : ''].filter(Boolean);
    setFlash(c, { tone: exam.pass ? 'good' : 'info', text: `体检已记录：${words.join('，')}。` });
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    if (err.code === 'validation_failed') {
      const errors = Object.fromEntries(Object.entries(fieldErrors(err)).map(([k, text]) => [FIELD_OF[k] ?? 'certificateNumber', text]));
      c.status(400);
      return renderExam(c, values, errors);
    }
    // Recorded already with another key or body (a second post without the script, whose end
    // time is the server's; another phone): the visit has its one exam, the page says so.
    if ((err.code === 'conflict' || err.code === 'idempotency_mismatch') && (await crewStop(deps, staff, visitId)).visit.status === 'exam_recorded') {
      setFlash(c, { tone: 'good', text: '体检已记录。' });
      return done(c, stopHref(visitId));
    }
    if (err.code === 'not_found' || err.code === 'forbidden') throw err;
    setFlash(c, { tone: 'bad', text: `体检没有记录：${localizeError(err, 'zh-CN').message}` });
  }
  return done(c, stopHref(visitId));
}
