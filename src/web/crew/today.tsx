/**
 * 今日上门 (issue 16 "Today's stops"): the signed-in postal worker's or examiner's stops of the
 * day in route order, as cards big enough for a thumb (no table on a phone): the time window,
 * the driver, address or community gate, a call link, map links, the cases in words, the status.
 * Over the same service as GET /api/me/visits.
 */
import type { Context } from 'hono';
import type { AppEnv } from '../../http/env.ts';
import { dateOf } from '../../http/date-input.ts';
import { myDay, type MyDay, type MyVisit } from '../../scheduling/my-day.ts';
import { Layout } from '../components/layout.tsx';
import { StatusBadge } from '../components/ui.tsx';
import { longDate } from '../format.ts';
import { pageContext } from '../session.tsx';
import { clockText, mapLinks, telHref } from './words.ts';

export const TODAY_PERMISSION = 'field:self' as const;

/** Where the stop is: the community gate (drivers of one community one after another) or the door. */
export function StopPlace(props: { visit: MyVisit }) {
  const v = props.visit;
  return v.stop.atGate ? (
    <p class="stop-place">
      小区门口：<strong>{v.stop.label}</strong>
      <br />
      <span class="muted">住址：{v.driver.address}</span>
    </p>
  ) : (
    <p class="stop-place">
      上门：<strong>{v.driver.address}</strong>
      {v.driver.community ? <span class="muted">（{v.driver.community}）</span> : null}
    </p>
  );
}

/** Call the driver, and open the stop in a map app. */
export function StopLinks(props: { visit: MyVisit; mapUrl: string | undefined }) {
  const v = props.visit;
  const map = mapLinks(v.stop.lat, v.stop.lng, props.mapUrl);
  return (
    <div class="stop-links">
      <a class="button" href={telHref(v.driver.phone)}>
        拨打 {v.driver.phoneDisplay}
      </a>
      <a class="button secondary" href={map.geo}>
        在地图中打开
      </a>
      {map.web ? (
        <a class="button secondary" href={map.web} rel="noopener noreferrer">
          网页地图
        </a>
      ) : null}
    </div>
  );
}

function StopCard(props: { visit: MyVisit; mapUrl: string | undefined }) {
  const v = props.visit;
  return (
    <li class="card stop-card">
      <div class="stop-head">
        <span class="stop-seq" aria-label={`第 ${v.seq} 站`}>
          {v.seq}
        </span>
        <span class="stop-window">
          {clockText(v.windowStart)}-{clockText(v.windowEnd)}
        </span>
        <StatusBadge status={v.status} />
      </div>
      <h3>
        <a href={`/console/stops/${v.id}`}>{v.driver.name}</a>
      </h3>
      <StopPlace visit={v} />
      <p class="stop-needs">要办：{v.needs.join('、')}</p>
      <StopLinks visit={v} mapUrl={props.mapUrl} />
      <a class="button stop-open" href={`/console/stops/${v.id}`}>
        打开这一站
      </a>
    </li>
  );
}

function Shifts(props: { day: MyDay; mapUrl: string | undefined }) {
  const { day } = props;
  if (!day.linked) return <p class="card empty">您的账户还没有关联到邮递员或体检医生名单，看不到上门任务。请联系调度员关联。</p>;
  if (day.shifts.length === 0) return <p class="card empty">这一天没有您的上门班次。</p>;
  return (
    <>
      {day.shifts.map((s) => (
        <section class="shift" aria-labelledby={`shift-${s.shiftId}`}>
          <h2 id={`shift-${s.shiftId}`}>
            班次 {clockText(s.startsAt)}-{clockText(s.endsAt)}，共 {s.visits.length} 站
          </h2>
          <p class="muted">
            邮递员 {s.crew.postal.name}（<a href={telHref(s.crew.postal.phoneDisplay)}>{s.crew.postal.phoneDisplay}</a>）· 体检医生 {s.crew.examiner.name}（
            <a href={telHref(s.crew.examiner.phoneDisplay)}>{s.crew.examiner.phoneDisplay}</a>）
          </p>
          {s.visits.length === 0 ? (
            <p class="card empty">这个班次还没有预约。</p>
          ) : (
            <ol class="stops">
              {s.visits.map((v) => (
                <StopCard visit={v} mapUrl={props.mapUrl} />
              ))}
            </ol>
          )}
        </section>
      ))}
    </>
  );
}

export async function todayPage(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const ctx = pageContext(c);
  let date = ctx.today;
  try {
    date = dateOf(deps, c.req.query('date')) ?? ctx.today;
  } catch {
    // A date the page cannot read: today's stops, as without one.
  }
  const day = await myDay(deps, ctx.staff, date);
  const title = date === ctx.today ? '今日上门' : `上门：${longDate(date)}`;
  return c.html(
    <Layout ctx={ctx} title={title}>
      {date === ctx.today ? null : <p>{longDate(date)}</p>}
      <Shifts day={day} mapUrl={deps.config.CREW_MAP_URL} />
    </Layout>,
  );
}
