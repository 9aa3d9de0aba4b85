import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { FAST_PASSWORDS, consoleAgent, signedIn, type ConsoleAgent } from '../helpers/console.ts';
import type { RowInput } from '../helpers/registry-csv.ts';
import { GUANGYUE, SHUICHENG, addCrewShift, addPerson, addShift, commit, confirmedDrivers, preview } from '../helpers/scheduling.ts';

/** The console's route sheet: the API's component and loader, read with a session instead of a token. */
let t: TestApp;
let dispatcher: ConsoleAgent;
let examiner: ConsoleAgent;
let shiftId: string;
let otherShift: string;

const driver = (n: number, extra: RowInput = {}): [string, RowInput] => [
  `6000000000${String(n).padStart(2, '0')}`,
  { phone: `1310000${String(n).padStart(4, '0')}`, name: `周测${n}`, ...SHUICHENG, ...extra },
];

const tableOf = (html: string) => /<table>[\s\S]*<\/table>/.exec(html)?.[0];

beforeAll(async () => {
  t = await createTestApp({ env: FAST_PASSWORDS });
  dispatcher = await signedIn(t, 'dispatcher');
  examiner = await signedIn(t, 'examiner');
  const me = (await t.deps.db.selectFrom('staff').select('id').where('username', '=', 'web-examiner').executeTakeFirstOrThrow()).id;
  await confirmedDrivers(t, [driver(1), driver(2), driver(3, GUANGYUE)]);
  const examinerId = await addPerson(t, 'examiner', '冯医生', { staffId: me });
  shiftId = await addShift(t, { postalId: await addPerson(t, 'postal', '吴投递'), examinerId });
  otherShift = await addCrewShift(t, 2, { startsAt: '13:00', endsAt: '17:00' });
  await preview(t);
  await commit(t);
}, 60_000);
afterAll(async () => t?.cleanup());

describe('the route sheet page', () => {
  it('is the API’s sheet, with an A4 print stylesheet, the .ics beside it and no console frame', async () => {
    const page = await dispatcher.page(`/console/shifts/${shiftId}/route-sheet`);
    const api = await (await t.request(`/api/shifts/${shiftId}/route-sheet`, { as: 'dispatcher' })).text();
    expect(tableOf(page)).toBeDefined();
    expect(tableOf(page)).toBe(tableOf(api));
    expect(page).toContain('上门体检路线单');
    expect(page).toContain('@media print');
    expect(page).toContain('size: A4');
    expect(page).not.toContain('class="sidenav"');
    expect(page).toContain(`href="/console/shifts/${shiftId}/route-sheet.ics"`);
    expect(page).toContain(`href="/console/shifts/${shiftId}"`);
    expect(api).not.toContain('route-sheet.ics');
    expect(page.startsWith('<!doctype html>')).toBe(true);
  });

  it('gives the same .ics as the API', async () => {
    const res = await dispatcher.get(`/console/shifts/${shiftId}/route-sheet.ics`);
    expect(res.headers.get('content-type')).toContain('text/calendar');
    expect(res.headers.get('content-disposition')).toContain('route-2026-11-27.ics');
    const api = await (await t.request(`/api/shifts/${shiftId}/route-sheet.ics`, { as: 'dispatcher' })).text();
    expect(await res.text()).toBe(api);
  });

  it('shows an examiner the sheet of their own shift only', async () => {
    expect((await examiner.get(`/console/shifts/${shiftId}/route-sheet`)).status).toBe(200);
    expect((await examiner.get(`/console/shifts/${shiftId}/route-sheet.ics`)).status).toBe(200);
    const other = await examiner.get(`/console/shifts/${otherShift}/route-sheet`);
    expect(other.status).toBe(403);
    expect(await other.text()).toContain('体检医生只能查看自己班次的路线单');
    // The crew goes back to its own start page, not to the dispatchers' shift page.
    expect(await (await examiner.get(`/console/shifts/${shiftId}/route-sheet`)).text()).toContain('href="/console"');
  });

  it('refuses a postal worker the sheet of a shift that is not theirs', async () => {
    const postal = await signedIn(t, 'postal');
    const res = await postal.get(`/console/shifts/${otherShift}/route-sheet`);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('只能查看自己所在班次的路线单');
  });

  it('sends anonymous visitors to sign-in, and a shift that does not exist is not found', async () => {
    const res = await consoleAgent(t).get(`/console/shifts/${shiftId}/route-sheet`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toContain('/sign-in?next=');
    expect((await dispatcher.get('/console/shifts/00000000-0000-4000-8000-000000000000/route-sheet')).status).toBe(404);
  });
});
