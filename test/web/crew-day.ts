/**
 * A crew's day for the phone page tests (test/web/crew-pages.test.ts, crew.browser.test.ts):
 * three drivers booked on TOMORROW into one shift whose postal worker and examiner are console
 * accounts (web-postal, web-examiner); the clock is on the visit day, 10:00 in Shanghai. Another
 * examiner account (web-examiner2) is on no shift of it.
 */
import type { Role } from '../../src/staff/permissions.ts';
import type { TestApp } from '../helpers/app.ts';
import { addPerson as addAccount, signInAgent, type ConsoleAgent } from '../helpers/console.ts';
import { driver } from '../helpers/exams.ts';
import { advance, hours } from '../helpers/outreach.ts';
import { addPerson, addShift, allVisits, commit, confirmedDrivers, preview } from '../helpers/scheduling.ts';

export const CREW_DRIVERS = [driver(1), driver(2), driver(3)];

export interface CrewDay {
  /** Visit ids in route order. */
  visits: string[];
  staffIds: Record<string, string>;
}

export async function crewDay(t: TestApp): Promise<CrewDay> {
  await confirmedDrivers(t, CREW_DRIVERS);
  const staffIds: Record<string, string> = {};
  for (const role of ['admin', 'dispatcher', 'examiner', 'postal'] as const) staffIds[role] = (await addAccount(t, role)).id;
  staffIds['examiner2'] = (await addAccount(t, 'examiner', 'web-examiner2')).id;
  const postalId = await addPerson(t, 'postal', '吴投递');
  const examinerId = await addPerson(t, 'examiner', '冯医生');
  await t.deps.db.updateTable('field_staff').set({ staff_id: staffIds['postal']! }).where('id', '=', postalId).execute();
  await t.deps.db.updateTable('field_staff').set({ staff_id: staffIds['examiner']! }).where('id', '=', examinerId).execute();
  await addShift(t, { postalId, examinerId, capacity: 20 });
  const plan = await preview(t);
  await commit(t);
  advance(t, hours(24));
  return { visits: allVisits(plan).sort((a, b) => a.seq - b.seq).map((v) => v.id), staffIds };
}

/** Signs in an account crewDay made (sessions begin after the clock moved). */
export function signIn(t: TestApp, role: Role, username = `web-${role}`): Promise<ConsoleAgent> {
  return signInAgent(t, username);
}

/** The photo of a signed form, as the 委托书 tests use it. */
export { TINY_PNG } from '../helpers/authorisation.ts';
