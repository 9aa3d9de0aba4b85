import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DashboardFigures } from '../../src/dashboard/figures.ts';
import { percentText } from '../../src/web/components/charts.tsx';
import { count } from '../../src/web/format.ts';
import { quickPeriods } from '../../src/web/office/dashboard.tsx';
import { aMonthOfWork } from '../helpers/month-of-work.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { FAST_PASSWORDS, signedIn, type ConsoleAgent } from '../helpers/console.ts';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp({ env: FAST_PASSWORDS });
});
afterEach(() => t.cleanup());

async function api(query = ''): Promise<DashboardFigures> {
  const res = await t.request(`/api/dashboard${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as DashboardFigures;
}

const decode = (s: string) => s.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'");

/** The text of the element carrying `data-figure="name"` inside `scope` (the first one). */
function figure(scope: string, name: string): string | undefined {
  const m = new RegExp(`data-figure="${name}">([^<]*)<`).exec(scope);
  return m ? decode(m[1]!) : undefined;
}

/** The funnel table's row of a step. */
function stepRow(page: string, step: string): string {
  const m = new RegExp(`<tr data-step="${step}">([\\s\\S]*?)</tr>`).exec(page);
  expect(m, `row of ${step}`).not.toBeNull();
  return m![1]!;
}

const minutesText = (m: number | null) => (m === null ? '—' : `${count(m)} 分钟`);

/** Every number the page shows, checked against the API's figures of the same period. */
function expectPageShows(page: string, d: DashboardFigures): void {
  for (const s of d.funnel) {
    const row = stepRow(page, s.step);
    expect(row).toContain(s.label);
    expect([figure(row, 'count'), figure(row, 'from-previous'), figure(row, 'from-due')], s.step).toEqual([count(s.count), percentText(s.rateFromPrevious), percentText(s.rateFromDue)]);
  }
  expect(figure(page, 'opt-outs')).toBe(count(d.optOuts));
  expect(figure(page, 'no-shows')).toBe(count(d.noShows));
  expect(figure(page, 'unreachable')).toBe(count(d.unreachable));
  expect(figure(page, 'per-crew-day')).toBe(d.visitsPerCrewDay.perCrewDay === null ? '—' : count(d.visitsPerCrewDay.perCrewDay));
  const e = d.examToAcceptance;
  expect(figure(page, 'median')).toBe(minutesText(e.medianMinutes));
  expect(figure(page, 'p90')).toBe(minutesText(e.p90Minutes));
  expect(figure(page, 'within-promise')).toBe(percentText(e.withinPromiseShare));
  expect(figure(page, 'waited')).toBe(count(e.waitedForOpening));
  for (const c of d.overdueByCommunity.top) {
    const row = new RegExp(`<tr data-community="${c.community ?? ''}">([\\s\\S]*?)</tr>`).exec(page)?.[1] ?? '';
    expect(figure(row, 'cases'), c.community ?? 'none').toBe(count(c.cases));
  }
  expect(page).toContain(`共 ${count(d.overdueByCommunity.total)} 件`);
}

/** Signed in after the work: the days the flow moves the clock on would end an earlier session. */
const asAdmin = (): Promise<ConsoleAgent> => signedIn(t, 'admin');

describe('the dashboard page', () => {
  it('shows the same figures as GET /api/dashboard, by default and for a chosen period', async () => {
    await aMonthOfWork(t);
    const admin = await asAdmin();
    const page = await admin.page('/console');
    const d = await api();
    expect([d.from, d.to]).toEqual(['2026-11-01', '2026-11-30']);
    expectPageShows(page, d);
    // The figures that matter, spelt out: 5 of 6 notified (83.3%), 7 minutes, all within the promise.
    expect(figure(stepRow(page, 'notified'), 'count')).toBe('5');
    expect(figure(stepRow(page, 'notified'), 'from-previous')).toBe('83.3%');
    expect(figure(page, 'median')).toBe('7 分钟');
    expect(figure(page, 'within-promise')).toBe('100.0%');
    expect(figure(page, 'per-crew-day')).toBe('2');
    // The charts are there, each with its words for a screen reader.
    for (const id of ['funnel', 'acceptance', 'overdue']) expect(page).toContain(`id="${id}-title"`);
    expect(page).toContain('2026年11月1日 星期日');
    expect(page).toContain('2026年11月30日 星期一');

    const before = await admin.page('/console?from=2026-10-01&to=2026-10-31');
    const october = await api('?from=2026-10-01&to=2026-10-31');
    expectPageShows(before, october);
    expect(figure(stepRow(before, 'due'), 'count')).toBe('0');
    expect(figure(before, 'median')).toBe('—');
  });

  it('links each community of the overdue cases to its list of cases', async () => {
    await aMonthOfWork(t);
    const page = await (await asAdmin()).page('/console');
    expect(page).toContain(`href="/console/cases?community=${encodeURIComponent('光岳小区')}&amp;overdue=true"`);
    expect(page).toContain(`href="/console/cases?community=${encodeURIComponent('水城花园')}&amp;overdue=true"`);
  });

  it('keeps the period of the URL in the form and marks its quick link', async () => {
    // today is 2026-11-26 (China time): 近7天 = 11-20 to 11-26.
    expect(quickPeriods('2026-11-26')).toEqual([
      { label: '近7天', from: '2026-11-20', to: '2026-11-26' },
      { label: '近30天', from: '2026-10-28', to: '2026-11-26' },
      { label: '本月', from: '2026-11-01', to: '2026-11-26' },
      { label: '上月', from: '2026-10-01', to: '2026-10-31' },
    ]);
    const admin = await asAdmin();
    const page = await admin.page('/console?from=2026-11-20&to=2026-11-26');
    expect(page).toMatch(/<input id="from" name="from" type="date" value="2026-11-20"/);
    expect(page).toMatch(/<input id="to" name="to" type="date" value="2026-11-26"/);
    expect(page).toContain('<a href="/console?from=2026-11-20&amp;to=2026-11-26" aria-current="true">近7天</a>');
    expect(page).toContain('<a href="/console?from=2026-10-01&amp;to=2026-10-31">上月</a>');
    // A date word as the API takes it: the form shows the date it named.
    const words = await admin.page('/console?from=-6&to=today');
    expect(words).toMatch(/<input id="from" name="from" type="date" value="2026-11-20"/);
    expect(words).toContain('aria-current="true">近7天</a>');
  });

  it('answers a backwards or unreadable period with the form and its error, not an error page', async () => {
    const admin = await asAdmin();
    const backwards = await admin.get('/console?from=2026-11-27&to=2026-11-26');
    expect(backwards.status).toBe(400);
    const text = await backwards.text();
    expect(text).toContain('请修改以下内容');
    expect(text).toContain('开始日期不能晚于结束日期');
    expect(text).toContain('class="field field-error" data-field="from"');
    // What was typed stays in the form; no figures shown.
    expect(text).toMatch(/<input id="from" name="from" type="date" value="2026-11-27"/);
    expect(text).toMatch(/<input id="to" name="to" type="date" value="2026-11-26"/);
    expect(text).not.toContain('data-figure');

    const tooLong = await admin.get('/console?from=2025-01-01&to=2026-11-26');
    expect(tooLong.status).toBe(400);
    expect(await tooLong.text()).toContain('一次最多查看 366 天');

    const unreadable = await admin.get('/console?from=yesterday-ish&to=2026-11-26');
    expect(unreadable.status).toBe(400);
    const words = await unreadable.text();
    expect(words).toContain('开始日期不是有效的日期');
    expect(words).toContain('value="yesterday-ish"');
  });

  it('shows the other roles what they can do, not the figures', async () => {
    await aMonthOfWork(t);
    for (const role of ['dispatcher', 'examiner', 'postal'] as const) {
      const agent = await signedIn(t, role);
      const res = await agent.get('/console?from=2026-11-01&to=2026-11-30');
      // The crew's home is their route of the day (src/web/crew/).
      if (role !== 'dispatcher') {
        expect([res.status, res.headers.get('location')], role).toEqual([303, '/console/today']);
        expect((await t.request('/api/dashboard', { as: role })).status, role).toBe(403);
        continue;
      }
      expect(res.status, role).toBe(200);
      const page = await res.text();
      expect(page, role).toContain('今天可以做的事');
      expect(page, role).not.toContain('data-figure');
      expect(page, role).not.toContain('办理漏斗');
      expect((await t.request('/api/dashboard', { as: role })).status, role).toBe(403);
    }
    const anonymous = await t.app.request('/console');
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/sign-in?next=%2Fconsole');
  });
});
