import { demoCommunities } from '../demo/demo-data.ts';
import type { PlannerDeps } from './planning.ts';
import { addFieldStaff, createShift } from './shifts.ts';

/**
 * Synthetic crews for demos and benchmarks: `count` postal workers and examiners, each pair on
 * a full-day shift on `date` from a post office spread over the demo city proper (东昌府区).
 */
export async function createDemoCrews(deps: PlannerDeps, date: string, count: number, options: { startsAt?: string; endsAt?: string; capacity?: number } = {}): Promise<string[]> {
  const city = demoCommunities().filter((c) => c.district.code === '371502');
  const step = Math.max(1, Math.floor(city.length / count));
  const shiftIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const office = city[(i * step) % city.length]!;
    const postal = await addFieldStaff(deps, { kind: 'postal', name: `${SURNAMES[i % SURNAMES.length]}邮递`, phone: `1390000${String(2 * i).padStart(4, '0')}`, organisation: '聊城邮政' }, null);
    const examiner = await addFieldStaff(
      deps,
      { kind: 'examiner', name: `${SURNAMES[(i + 5) % SURNAMES.length]}医生`, phone: `1390000${String(2 * i + 1).padStart(4, '0')}`, organisation: '聊城市人民医院' },
      null,
    );
    const shift = await createShift(
      deps,
      {
        date,
        startsAt: options.startsAt ?? '08:00',
        endsAt: options.endsAt ?? '17:30',
        postalId: postal.id,
        examinerId: examiner.id,
        start: { label: `${office.subdistrict}邮政所`, lat: office.lat, lng: office.lng },
        capacity: options.capacity,
      },
      null,
    );
    shiftIds.push(shift.id);
  }
  return shiftIds;
}

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '孙', '周', '吴', '徐', '马', '朱', '胡', '郭', '高'];
