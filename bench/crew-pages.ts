/**
 * The crew's phone pages benchmark (issue 16): the city day of bench/README.md (400 drivers, 12
 * shifts; bench/city-day.ts), planned and committed, then on the day the busiest crew's pages
 * rendered through the whole app by its signed-in postal worker and examiner: 今日上门
 * (`/console/today`), a stop (`/console/stops/{id}`) and the exam form
 * (`/console/stops/{id}/exam`) of the first stop, the crew at its door, 20 times each after 2 warm-up renders. Targets (issue 16): each
 * < 100 ms server time and < 100 KB.
 *
 *   npm run bench:crew
 *   npm run bench:crew -- --renders 20 --drivers 400 --shifts 12
 */
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { createApp } from '../src/app.ts';
import { commitPlan, previewPlan } from '../src/scheduling/planning.ts';
import { recordProgress } from '../src/scheduling/visits.ts';
import { addStaff } from '../src/staff/repository.ts';
import { SESSION_COOKIE, startSession } from '../src/staff/sessions.ts';
import { buildCityDay, DATE } from './city-day.ts';

const { values } = parseArgs({
  options: {
    drivers: { type: 'string', default: '400' },
    shifts: { type: 'string', default: '12' },
    renders: { type: 'string', default: '20' },
    rows: { type: 'string', default: '30000' },
  },
});
const RENDERS = Number(values.renders);
const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

const day = await buildCityDay({ drivers: Number(values.drivers), shifts: Number(values.shifts), rows: Number(values.rows), budgetMs: '2000' });
try {
  const { deps } = day;
  await previewPlan(deps, DATE, { staffId: null, seed: 2027 });
  await commitPlan(deps, DATE, null);
  // The morning of the day, 08:30 in Shanghai.
  deps.clock.set(`${DATE}T00:30:00.000Z`);
  const busiest = await deps.db
    .selectFrom('visits as v')
    .innerJoin('shifts as s', 's.id', 'v.shift_id')
    .select((eb) => ['s.id', 's.postal_id', 's.examiner_id', eb.fn.countAll<number>().as('n')])
    .where('v.date', '=', DATE)
    .groupBy('s.id')
    .orderBy('n', 'desc')
    .executeTakeFirstOrThrow();
  const first = await deps.db.selectFrom('visits').select('id').where('shift_id', '=', busiest.id).orderBy('seq').executeTakeFirstOrThrow();
  const cookie = async (role: 'postal' | 'examiner', fieldStaffId: string) => {
    const { staff } = await addStaff(deps, { name: `基准${role}`, role, createdBy: null });
    await deps.db.updateTable('field_staff').set({ staff_id: staff.id }).where('id', '=', fieldStaffId).execute();
    return `${SESSION_COOKIE}=${(await startSession(deps, staff.id)).token}`;
  };
  const postal = await cookie('postal', busiest.postal_id);
  const examiner = await cookie('examiner', busiest.examiner_id);
  // The crew is at the first door: the stop page offers the 委托书 and the examiner's form is open.
  const admin = { id: (await addStaff(deps, { name: '基准管理员', role: 'admin', createdBy: null })).staff.id, role: 'admin' };
  await recordProgress(deps, first.id, 'set_out', admin);
  await recordProgress(deps, first.id, 'arrive', admin);
  const app = createApp(deps);
  const pages: [string, string, string][] = [
    ['今日上门', '/console/today', postal],
    ['a stop', `/console/stops/${first.id}`, postal],
    ['the exam form', `/console/stops/${first.id}/exam`, examiner],
  ];
  console.log(`the busiest crew: ${busiest.n} stops on ${DATE}`);
  for (const [name, path, who] of pages) {
    const render = async () => {
      const res = await app.request(path, { headers: { cookie: who } });
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    };
    for (let i = 0; i < 2; i++) await render();
    const ms: number[] = [];
    let body = new Uint8Array();
    for (let i = 0; i < RENDERS; i++) {
      const started = performance.now();
      body = await render();
      ms.push(performance.now() - started);
    }
    const sorted = ms.sort((a, b) => a - b);
    console.log(
      `${name}: p50 ${percentile(sorted, 50).toFixed(1)} ms, p95 ${percentile(sorted, 95).toFixed(1)} ms; ` +
        `${(body.byteLength / 1024).toFixed(1)} KB (${(gzipSync(body).byteLength / 1024).toFixed(1)} KB gzipped)`,
    );
  }
} finally {
  await day.close();
}
