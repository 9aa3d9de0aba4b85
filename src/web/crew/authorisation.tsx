/**
 * 委托书 at the door (issue 16, Art 105): the postal worker records the driver's written
 * authorisation - who signed, their relation to the driver, a photo of the signed form taken
 * with the phone's camera - over the same service as POST /api/visits/{id}/authorisation. The
 * page then says 已登记; it never shows the photo (the examiner never sees this part at all).
 */
import type { Context } from 'hono';
import { AppError } from '../../errors.ts';
import type { AppEnv } from '../../http/env.ts';
import { localizeError } from '../../i18n/localize.ts';
import { RELATIONS } from '../../db/schema/authorisations.ts';
import { recordAuthorisation, type AuthorisationMeta } from '../../scheduling/authorisation.ts';
import type { CrewStop } from '../../scheduling/my-day.ts';
import type { PageContext } from '../components/layout.tsx';
import { ErrorSummary, Field, TimeText } from '../components/ui.tsx';
import { fieldErrors } from '../form.ts';
import { setFlash } from '../session.tsx';
import { RELATION_WORDS } from './words.ts';

export const AUTHORISATION_PERMISSION = 'authorisations:record' as const;

export interface AuthorisationForm {
  signerName?: string;
  relation?: string;
  errors?: Record<string, string>;
}

const AT_THE_DOOR = ['arrived', 'exam_recorded'];

export function AuthorisationSection(props: { ctx: PageContext; stop: CrewStop; recorded: AuthorisationMeta | null; form: AuthorisationForm }) {
  const { ctx, stop, recorded, form } = props;
  const errors = form.errors ?? {};
  const action = `/console/stops/${stop.visit.id}/authorisation?_csrf=${encodeURIComponent(ctx.csrfToken)}`;
  return (
    <section class="card" aria-labelledby="authorisation-title">
      <h2 id="authorisation-title">委托书</h2>
      {recorded ? (
        <p role="status">
          <strong>已登记</strong>：签字人 {recorded.signerName}（{RELATION_WORDS[recorded.relation] ?? recorded.relation}），<TimeText at={recorded.recordedAt} />。
        </p>
      ) : stop.date !== ctx.today || !AT_THE_DOOR.includes(stop.visit.status) ? (
        <p class="muted">到达驾驶人家后，请驾驶人（或家属）在委托书上签字，拍照登记。没有委托书，体检结果不会提交 12123。</p>
      ) : (
        <form method="post" action={action} enctype="multipart/form-data" class="stack">
          <p class="muted">没有委托书，体检结果不会提交 12123。</p>
          <ErrorSummary errors={errors} />
          <Field label="签字人姓名" name="signerName" error={errors['signerName']}>
            <input id="signerName" name="signerName" required maxlength={50} autocomplete="off" value={form.signerName ?? ''} />
          </Field>
          <Field label="签字人与驾驶人的关系" name="relation" error={errors['relation']}>
            <select id="relation" name="relation" required>
              <option value="">请选择</option>
              {RELATIONS.map((r) => (
                <option value={r} selected={form.relation === r}>
                  {RELATION_WORDS[r]}
                </option>
              ))}
            </select>
          </Field>
          <Field label="签字委托书的照片" name="photo" error={errors['photo']} hint="用手机拍下签好字的委托书（JPEG、PNG 或 WebP，不超过 3 MB）。">
            <input id="photo" name="photo" type="file" accept="image/*" capture="environment" required />
          </Field>
          <button type="submit" class="big">
            登记委托书
          </button>
        </form>
      )}
    </section>
  );
}

/** The form's post: the photo's bytes and declared type to the service; field errors back in the form (400). */
export async function postAuthorisation(c: Context<AppEnv>, rerender: (form: AuthorisationForm) => Promise<Response>) {
  const deps = c.get('deps');
  const visitId = c.req.param('visitId') ?? '';
  const body = await c.req.parseBody();
  const signerName = typeof body['signerName'] === 'string' ? body['signerName'] : '';
  const relation = typeof body['relation'] === 'string' ? body['relation'] : '';
  const photo = body['photo'];
  const file = photo instanceof File ? photo : null;
  try {
    await recordAuthorisation(
      deps,
      { visitId, signerName, relation, photo: file ? new Uint8Array(await file.arrayBuffer()) : new Uint8Array(), photoType: file?.type ?? '' },
      c.get('session').staff,
    );
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    if (err.code === 'validation_failed') {
      c.status(400);
      return rerender({ signerName, relation, errors: fieldErrors(err) });
    }
    if (err.code === 'not_found' || err.code === 'forbidden') throw err;
    setFlash(c, { tone: 'bad', text: `委托书没有登记：${localizeError(err, 'zh-CN').message}` });
    return c.redirect(`/console/stops/${visitId}`, 303);
  }
  setFlash(c, { tone: 'good', text: '委托书已登记。' });
  return c.redirect(`/console/stops/${visitId}`, 303);
}
