/**
 * The planning board benchmark (issue 16): the city day of bench/README.md (400 confirmed drivers,
 * 12 shifts; built by bench/city-day.ts), planned once, then `GET /console/plans?date=` rendered
 * server-side through the whole app (session, permission, planView, the SMS previews, the page)
 * by a signed-in dispatcher, 20 times after 2 warm-up renders. Target: < 300 ms (issue 16).
 *
 *   npm run bench:board
 *   npm run bench:board -- --renders 20 --drivers 400 --shifts 12
 */
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { createApp } from '../src/app.ts';
import { appointmentPreviews } from '../src/scheduling/appointment-preview.ts';
import { planView } from '../src/scheduling/plan-view.ts';
import { previewPlan } from '../src/scheduling/planning.ts';
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

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const result = await fn();
  return [performance.now() - started, result];
}

const day = await buildCityDay({ drivers: Number(values.drivers), shifts: Number(values.shifts), rows: Number(values.rows), budgetMs: '2000' });
try {
  const { deps } = day;
  const plan = await previewPlan(deps, DATE, { staffId: null, seed: 2027 });
  const { staff } = await addStaff(deps, { name: '基准调度员', role: 'dispatcher', createdBy: null });
  const { token } = await startSession(deps, staff.id);
  const app = createApp(deps);
  const render = async () => {
    const res = await app.request(`/console/plans?date=${DATE}`, { headers: { cookie: `${SESSION_COOKIE}=${token}` } });
    if (res.status !== 200) throw new Error(`board: ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  };
  for (let i = 0; i < 2; i++) await render();
  const ms: number[] = [];
  let body = new Uint8Array();
  for (let i = 0; i < RENDERS; i++) {
    const [t, page] = await timed(render);
    ms.push(t);
    body = page;
  }
  const bytes = body.byteLength;
  const gzipped = gzipSync(body).byteLength;
  // Where the time goes: the two service reads alone.
  const [viewMs] = await timed(() => planView(deps.db, DATE, 'dispatcher', 'zh-CN'));
  const [smsMs] = await timed(() => appointmentPreviews(deps, DATE));
  const sorted = [...ms].sort((a, b) => a - b);
  console.log(`drivers confirmed: ${day.confirmed}, shifts: ${values.shifts}; planned ${plan.planned}, left out ${plan.unplanned.length}`);
  console.log(`board page, ${RENDERS} renders: p50 ${percentile(sorted, 50).toFixed(1)} ms, p95 ${percentile(sorted, 95).toFixed(1)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms`);
  console.log(`page: ${bytes.toLocaleString('en-US')} bytes (${(bytes / 1024).toFixed(0)} KB) uncompressed, ${gzipped.toLocaleString('en-US')} bytes gzipped`);
  console.log(`one planView ${viewMs.toFixed(1)} ms, one appointmentPreviews ${smsMs.toFixed(1)} ms`);
} finally {
  await day.close();
}
