/**
 * A crew's route sheet (issue 4): its data (loaded by routeSheetOf, behind routeSheetFor's
 * own-shift check), its stops, and the iCalendar file. The printable page is a component
 * (src/web/planning/route-sheet.tsx, issue 16), for the API and the console alike. Names, phones
 * and addresses are there because the crew must find and call the driver; no ID number and no
 * medical data.
 */
import { formatPhone } from '../shared/phone-display.ts';
import { maskName } from '../shared/mask.ts';
import { instantAt } from '../shared/time.ts';

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

/** A stop of the route: consecutive visits at the same door or community gate. */
export interface SheetStop {
  label: string;
  gate: boolean;
  visits: SheetVisit[];
}

export function stopsOf(visits: readonly SheetVisit[]): SheetStop[] {
  const stops: SheetStop[] = [];
  for (const v of visits) {
    const last = stops.at(-1);
    if (last && last.visits[0]!.stopKey === v.stopKey) last.visits.push(v);
    else stops.push({ label: v.stopLabel, gate: v.stopKey.startsWith('c:'), visits: [v] });
  }
  return stops;
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
