/**
 * 路线单 (issue 16 "Route sheets"): the crew's printable route for a shift, one component for the
 * API's HTML (GET /api/shifts/{id}/route-sheet), the CLI's file and the console's page, over the
 * one loader (routeSheetFor: the data and the own-shift check). A page of its own, without the
 * console's frame: it is printed on A4 (the `@media print` block) or opened on a phone, and the
 * CLI writes it to a file that must stand alone, hence its stylesheet inline (the CSP allows an
 * inline `<style>` by its hash, src/http/security-headers.ts).
 */
import { Hono, type Context } from 'hono';
import { raw } from 'hono/html';
import type { AppEnv } from '../../http/env.ts';
import { formatPhone } from '../../shared/phone-display.ts';
import { todayIn } from '../../shared/time.ts';
import { routeSheetIcs, stopsOf, type RouteSheet, type SheetStop, type SheetVisit } from '../../scheduling/route-sheet.ts';
import { routeSheetFor } from '../../scheduling/shifts.ts';
import { clock, dateWithWeekday } from '../../scheduling/templates.ts';
import { can } from '../../staff/permissions.ts';
import { pagePermission } from '../session.tsx';

/** The API route's permission: the page shows the sheet to the same roles (and the same own-shift rule). */
export const ROUTE_SHEET_PERMISSION = 'route-sheet:read' as const;

export const routeSheetPath = (shiftId: string) => `/console/shifts/${encodeURIComponent(shiftId)}/route-sheet`;

const STATUS_WORDS: Record<string, string> = {
  planned: '草案',
  booked: '已通知',
  confirmed: '已确认',
  en_route: '已出发',
  arrived: '已到达',
  exam_recorded: '已体检',
  no_show: '未见到',
  cancelled: '已取消',
};

/** A constant, never data: safe to put inline as it is. */
const SHEET_CSS = `
  body { font-family: "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif; margin: 1.5em; color: #111; }
  h1 { font-size: 1.4em; margin: 0 0 .3em; }
  .crew { margin: 0 0 1em; line-height: 1.6; }
  .tools { margin: 0 0 1em; display: flex; flex-wrap: wrap; gap: .5em 1.5em; }
  .tools a { color: #0b57a4; }
  .cancelled { border: 2px solid #a40b0b; color: #a40b0b; padding: .4em .6em; margin: 0 0 1em; }
  table { border-collapse: collapse; width: 100%; font-size: .95em; }
  th, td { border: 1px solid #555; padding: .35em .5em; vertical-align: top; text-align: left; }
  tr.stop th { background: #eee; }
  /* The visit id on a line of its own: a column of its own would squeeze the others on a phone. */
  tr.visit-id td { border-top: none; padding-top: 0; word-break: break-all; }
  small { color: #444; }
  td, th { overflow-wrap: anywhere; }
  @media print {
    @page { size: A4; margin: 12mm; }
    body { margin: 0; font-size: 10.5pt; }
    a, .tools { display: none; }
    tr { page-break-inside: avoid; break-inside: avoid; }
    thead { display: table-header-group; }
    tr.stop th { background: #eee; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  }
`;

function VisitRows(props: { visit: SheetVisit }) {
  const v = props.visit;
  return (
    <>
      <tr>
        <td>{v.seq}</td>
        <td>
          {clock(v.startsAt)}
          <br />
          <small>
            约定 {clock(v.windowStart)}-{clock(v.windowEnd)}
          </small>
        </td>
        <td>
          {v.name}
          <br />
          <small>{STATUS_WORDS[v.status] ?? v.status}</small>
        </td>
        <td>{formatPhone(v.phone)}</td>
        <td>
          {v.address}
          {v.community ? (
            <>
              <br />
              <small>{v.community}</small>
            </>
          ) : null}
        </td>
        <td>
          {v.needs.map((need) => (
            <>
              {need}
              <br />
            </>
          ))}
          <small>约{v.serviceMinutes}分钟</small>
        </td>
      </tr>
      <tr class="visit-id">
        <td colspan={6}>
          <small>访视编号 {v.id}</small>
        </td>
      </tr>
    </>
  );
}

function StopRows(props: { stop: SheetStop; n: number }) {
  const { stop } = props;
  return (
    <>
      <tr class="stop">
        <th colspan={6} scope="rowgroup">
          第{props.n}站　{stop.label}
          {stop.gate ? '（小区门口）' : '（上门）'}　{stop.visits.length}人
        </th>
      </tr>
      {stop.visits.map((v) => (
        <VisitRows visit={v} />
      ))}
    </>
  );
}

/** Links the console's page adds above the sheet (hidden in print). */
export interface SheetTools {
  back: { href: string; label: string };
  ics: string;
}

export function RouteSheetDocument(props: { sheet: RouteSheet & { status?: string }; today: string; tools?: SheetTools }) {
  const { sheet, tools } = props;
  return (
    <>
      {raw('<!doctype html>')}
      <html lang="zh-CN">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{`路线单 ${sheet.date} ${sheet.postal.name} / ${sheet.examiner.name}`}</title>
          <style>{raw(SHEET_CSS)}</style>
        </head>
        <body>
          <main>
            {tools ? (
              <nav class="tools" aria-label="路线单操作">
                <a href={tools.back.href}>← {tools.back.label}</a>
                <a href={tools.ics} download>
                  下载日历文件（.ics，可导入手机日历）
                </a>
                <span>打印：用浏览器的“打印”（Ctrl+P），A4 纸</span>
              </nav>
            ) : null}
            <h1>
              上门体检路线单　{dateWithWeekday(sheet.date, props.today)}　{clock(sheet.startsAt)}-{clock(sheet.endsAt)}
            </h1>
            {sheet.status === 'cancelled' ? <p class="cancelled">本班次已取消，不要按此单出发。</p> : null}
            <p class="crew">
              邮政：{sheet.postal.name}（{sheet.postal.organisation}）{formatPhone(sheet.postal.phone)}
              <br />
              医生：{sheet.examiner.name}（{sheet.examiner.organisation}）{formatPhone(sheet.examiner.phone)}
              <br />
              出发：{sheet.startLabel}　返回：{sheet.endLabel}　共 {sheet.visits.length} 人
            </p>
            <table>
              <thead>
                <tr>
                  <th scope="col">序号</th>
                  <th scope="col">时间</th>
                  <th scope="col">驾驶人</th>
                  <th scope="col">电话</th>
                  <th scope="col">地址</th>
                  <th scope="col">办理事项</th>
                </tr>
              </thead>
              <tbody>
                {sheet.visits.length === 0 ? (
                  <tr>
                    <td colspan={6}>本班次暂无上门任务</td>
                  </tr>
                ) : (
                  stopsOf(sheet.visits).map((stop, k) => <StopRows stop={stop} n={k + 1} />)
                )}
              </tbody>
            </table>
          </main>
        </body>
      </html>
    </>
  );
}

/** The sheet as a whole HTML document: the API's answer and the CLI's file. */
export function routeSheetHtml(sheet: RouteSheet & { status?: string }, today: string, tools?: SheetTools): string {
  return String(<RouteSheetDocument sheet={sheet} today={today} {...(tools ? { tools } : {})} />);
}

async function sheetPage(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const staff = c.get('session').staff;
  const sheet = await routeSheetFor(deps, staff, c.req.param('id') ?? '');
  // The planners go back to the week of the shift; the crew to their own start page.
  const back = can(staff.role, 'scheduling:read') ? { href: `/console/shifts/${encodeURIComponent(sheet.shiftId)}`, label: '返回班次' } : { href: '/console', label: '返回工作台' };
  return c.html(routeSheetHtml(sheet, todayIn(deps.clock.now()), { back, ics: `${routeSheetPath(sheet.shiftId)}.ics` }));
}

async function sheetIcs(c: Context<AppEnv>) {
  const deps = c.get('deps');
  const sheet = await routeSheetFor(deps, c.get('session').staff, c.req.param('id') ?? '');
  return c.body(routeSheetIcs(sheet, deps.clock.now(), deps.config.PUBLIC_BASE_URL), 200, {
    'Content-Type': 'text/calendar; charset=utf-8',
    'Content-Disposition': `attachment; filename="route-${sheet.date}.ics"`,
  });
}

export function routeSheetPages(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const may = pagePermission(ROUTE_SHEET_PERMISSION);
  app.get('/console/shifts/:id/route-sheet', may, sheetPage);
  app.get('/console/shifts/:id/route-sheet.ics', may, sheetIcs);
  return app;
}
