import { expect } from 'vitest';
import { postJson, type TestApp } from './app.ts';
import { conversationOf, runSteps, seedDrivers, sms, startOutreach } from './outreach.ts';
import type { RowInput } from './registry-csv.ts';

/** Liaocheng: the office, and two communities a few kilometres apart. */
export const OFFICE = { label: '东昌府区邮政支局', lat: 36.4560, lng: 115.9850 };
export const SHUICHENG = { community: '水城花园', lat: '36.4700', lng: '115.9900' };
export const GUANGYUE = { community: '光岳小区', lat: '36.4400', lng: '115.9700' };

export const TOMORROW = '2026-11-27';

/** Drivers who answered `1`: imported, screened, texted, confirmed by SMS. */
export async function confirmedDrivers(t: TestApp, drivers: [fileNumber: string, input: RowInput][]): Promise<void> {
  await seedDrivers(t, drivers);
  await startOutreach(t, { limit: drivers.length });
  await runSteps(t);
  for (const [file, input] of drivers) {
    const phone = (input.phone ?? '').replace(/\D/g, '');
    expect((await sms(t, `+86${phone}`, '1')).status).toBe(200);
    expect((await conversationOf(t, file)).status).toBe('confirmed');
  }
}

export async function addPerson(t: TestApp, kind: 'postal' | 'examiner', name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await postJson(t, '/api/field-staff', { kind, name, phone: kind === 'postal' ? '13900000001' : '13900000002', organisation: kind === 'postal' ? '聊城邮政' : '聊城市人民医院', ...extra });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

export async function addShift(t: TestApp, body: Record<string, unknown>): Promise<string> {
  const res = await postJson(t, '/api/shifts', { date: TOMORROW, startsAt: '08:30', endsAt: '12:00', start: OFFICE, ...body });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** A crew (one postal worker, one examiner) and its shift. */
export async function addCrewShift(t: TestApp, n: number, body: Record<string, unknown> = {}): Promise<string> {
  const postalId = await addPerson(t, 'postal', `邮递员${n}`);
  const examinerId = await addPerson(t, 'examiner', `医生${n}`);
  return addShift(t, { postalId, examinerId, ...body });
}

export interface PlanJson {
  date: string;
  run: { planned: number; travel: string; seed: number } | null;
  shifts: { id: string; capacity: number; visits: VisitJson[] }[];
  unplanned: { fileNumber: string; reason: string; message: string }[];
}

export interface VisitJson {
  id: string;
  fileNumber: string;
  shiftId: string;
  status: string;
  seq: number;
  startsAt: string;
  windowStart: string;
  windowEnd: string;
  stop: { key: string; label: string; atGate: boolean };
  pinned: boolean;
  serviceMinutes: number;
  driver: { name: string; idNumberMasked: string; birthDate?: string };
}

export async function preview(t: TestApp, date = TOMORROW, body: Record<string, unknown> = { maxIterations: 3000 }, as: 'admin' | 'dispatcher' = 'dispatcher'): Promise<PlanJson> {
  const res = await postJson(t, `/api/plans/${date}/preview`, body, as);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as PlanJson;
}

export async function commit(t: TestApp, date = TOMORROW) {
  const res = await postJson(t, `/api/plans/${date}/commit`, {}, 'dispatcher');
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { booked: number; notices: { sent: number; skipped: number } };
}

export const allVisits = (plan: PlanJson) => plan.shifts.flatMap((s) => s.visits);
