/**
 * A crew's route sheet (issue 4): a printable HTML page and an iCalendar file. Pure renderers
 * over the data the repository loads. Names, phones and addresses are there because the crew
 * must find and call the driver; no ID number and no medical data.
 */
import { formatPhone } from '../shared/phone-display.ts';
import { maskName } from '../shared/mask.ts';
import { instantAt } from '../shared/time.ts';
import { clock, dateWithWeekday } from './templates.ts';

export interface SheetVisit {
  id: string;
  seq: number;
  status: string;
  startsAt: string;
  serviceMinutes: number;
  windowStart: string;
  windowEnd: string;
  stopKey: string;
  stopLabel: string;
  name: string;
  phone: string;
  address: string;
  community: string | null;
  /** Where the crew stops: the driver's door or the community gate. */
  lat: number;
  lng: number;
  /** What the visit must cover, in words (e.g. 年度身体条件证明, 降级换证 → C1, 三力测试). */
  needs: string[];
  /** The cases the visit serves, and whether one needs the 三力测试 (RULES.md §3). */
  cases: { id: string; category: string; needsCognitiveTest: boolean }[];
  needsCognitiveTest: boolean;
}

export interface RouteSheet {
  shiftId: string;
  date: string;
  startsAt: string;
  endsAt: string;
  startLabel: string;
  endLabel: string;
  postal: { name: string; phone: string; organisation: string };
  examiner: { name: string; phone: string; organisation: string };
  visits: SheetVisit[];
}

const CATEGORY_NEED: Record<string, string> = {
  annual_exam_70: '年度身体条件证明',
  downgrade_63: '降级换证',
  downgrade_70: '降级换证',
  expiry_renewal: '期满换证',
};

/** What a visit needs, from its cases (RULES.md §3-5). */
export function needsOf(cases: readonly { category: string; target_classes: string | null; needs_cognitive_test: number }[]): string[] {
  const needs = new Set<string>(['身体条件检查']);
  for (const c of cases) {
    const need = CATEGORY_NEED[c.category];
    if (!need) continue;
    const target = c.target_classes ? (JSON.parse(c.target_classes) as string[]) : null;
    needs.add(target && target.length > 0 ? `${need}（换为 ${target.join(' ')}）` : need);
    if (c.needs_cognitive_test === 1) needs.add('三力测试');
  }
  return [...needs];
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

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

interface Stop {
  label: string;
  gate: boolean;
  visits: SheetVisit[];
}

function stopsOf(visits: readonly SheetVisit[]): Stop[] {
  const stops: Stop[] = [];
  for (const v of visits) {
    const last = stops.at(-1);
    if (last && last.visits[0]!.stopKey === v.stopKey) last.visits.push(v);
    else stops.push({ label: v.stopLabel, gate: v.stopKey.startsWith('c:'), visits: [v] });
  }
  return stops;
}

export function routeSheetHtml(sheet: RouteSheet, today: string): string {
  const e = escapeHtml;
  const rows = stopsOf(sheet.visits)
    .map((stop, k) => {
      const head = `<tr class="stop"><th colspan="6">第${k + 1}站　${e(stop.label)}${stop.gate ? '（小区门口）' : '（上门）'}　${stop.visits.length}人</th></tr>`;
      const body = stop.visits
        .map(
          (v) => `<tr>
  <td>${v.seq}</td>
  <td>${e(clock(v.startsAt))}<br><small>约定 ${e(clock(v.windowStart))}-${e(clock(v.windowEnd))}</small></td>
  <td>${e(v.name)}<br><small>${e(STATUS_WORDS[v.status] ?? v.status)}</small></td>
  <td>${e(formatPhone(v.phone))}</td>
  <td>${e(v.address)}${v.community ? `<br><small>${e(v.community)}</small>` : ''}</td>
  <td>${v.needs.map(e).join('<br>')}<br><small>约${v.serviceMinutes}分钟</small></td>
</tr>
<tr class="visit-id"><td colspan="6"><small>访视编号 ${e(v.id)}</small></td></tr>`,
        )
        .join('\n');
      return `${head}\n${body}`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>路线单 ${e(sheet.date)} ${e(sheet.postal.name)} / ${e(sheet.examiner.name)}</title>
<style>
  body { font-family: "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif; margin: 1.5em; color: #111; }
  h1 { font-size: 1.4em; margin: 0 0 .3em; }
  .crew { margin: 0 0 1em; line-height: 1.6; }
  table { border-collapse: collapse; width: 100%; font-size: .95em; }
  th, td { border: 1px solid #555; padding: .35em .5em; vertical-align: top; text-align: left; }
  tr.stop th { background: #eee; }
  /* The visit id on a line of its own: a column of its own would squeeze the others on a phone. */
  tr.visit-id td { border-top: none; padding-top: 0; word-break: break-all; }
  small { color: #444; }
  @media print { body { margin: 0; } a { display: none; } tr { page-break-inside: avoid; } }
</style>
</head>
<body>
<h1>上门体检路线单　${e(dateWithWeekday(sheet.date, today))}　${e(clock(sheet.startsAt))}-${e(clock(sheet.endsAt))}</h1>
<div class="crew">
  邮政：${e(sheet.postal.name)}（${e(sheet.postal.organisation)}）${e(formatPhone(sheet.postal.phone))}<br>
  医生：${e(sheet.examiner.name)}（${e(sheet.examiner.organisation)}）${e(formatPhone(sheet.examiner.phone))}<br>
  出发：${e(sheet.startLabel)}　返回：${e(sheet.endLabel)}　共 ${sheet.visits.length} 人
</div>
<table>
<thead><tr><th>序号</th><th>时间</th><th>驾驶人</th><th>电话</th><th>地址</th><th>办理事项</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="6">本班次暂无上门任务</td></tr>'}
</tbody>
</table>
</body>
</html>
`;
}

// ---------------------------------------------------------------------------------------------
// iCalendar (RFC 5545)

const icsText = (s: string) => s.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');

const icsInstant = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/** Lines longer than 75 octets are folded (a CRLF and a space), never inside a character. */
export function foldLine(line: string): string {
  const out: string[] = [];
  let current = '';
  let octets = 0;
  for (const ch of line) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (octets + size > (out.length === 0 ? 75 : 74)) {
      out.push(current);
      current = '';
      octets = 0;
    }
    current += ch;
    octets += size;
  }
  out.push(current);
  return out.join('\r\n ');
}

/** `baseUrl`: PUBLIC_BASE_URL, the one source of every absolute URL the service hands out. */
export function routeSheetIcs(sheet: RouteSheet, now: Date, baseUrl: string): string {
  const host = new URL(baseUrl).host;
  const stamp = icsInstant(now);
  const events = sheet.visits.map((v) => {
    const start = instantAt(sheet.date, v.startsAt);
    const end = new Date(start.getTime() + v.serviceMinutes * 60_000);
    return [
      'BEGIN:VEVENT',
      `UID:${v.id}@${host}`,
      `DTSTAMP:${stamp}`,
      `DTSTART:${icsInstant(start)}`,
      `DTEND:${icsInstant(end)}`,
      `SUMMARY:${icsText(`${v.seq}. 上门体检 ${maskName(v.name)}（${v.stopLabel}）`)}`,
      `LOCATION:${icsText(v.address)}`,
      `DESCRIPTION:${icsText(`访视编号 ${v.id}\n电话 ${formatPhone(v.phone)}\n约定 ${v.windowStart}-${v.windowEnd}\n${v.needs.join('、')}`)}`,
      `URL:${baseUrl}/api/visits/${v.id}/exam-form`,
      'END:VEVENT',
    ];
  });
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', `PRODID:-//${host}//route sheet//ZH`, 'CALSCALE:GREGORIAN', 'METHOD:PUBLISH', ...events.flat(), 'END:VCALENDAR'];
  return lines.map(foldLine).join('\r\n') + '\r\n';
}
