import type { Job, Problem, Vehicle } from './types.ts';

export interface SolomonInstance {
  readonly name: string;
  readonly problem: Problem;
}

/**
 * Parses an instance in Solomon's text format (name; VEHICLE NUMBER CAPACITY; CUSTOMER rows of
 * number, x, y, demand, ready, due, service; row 0 the depot). Distance and travel time are the
 * unrounded Euclidean distance, as in the best-known `_distance` results; the fleet is the
 * instance's vehicle number, identical, at the depot within the depot's hours.
 */
export function parseSolomon(text: string): SolomonInstance {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  const name = lines.find((line) => line !== '') ?? '';
  const fleetAt = lines.findIndex((line) => /^NUMBER\s+CAPACITY$/i.test(line));
  const fleet = numbers(lines[fleetAt + 1] ?? '');
  const rows = lines.map(numbers).filter((row) => row.length === 7);
  if (fleetAt < 0 || fleet.length !== 2 || rows.length < 1) throw new Error(`not a Solomon instance: ${name}`);
  const [count, capacity] = fleet as [number, number];
  const [depot, ...customers] = rows as [number[], ...number[][]];
  const jobs: Job[] = customers.map((row, i) => ({
    id: String(row[0]),
    location: i + 1,
    demand: row[3]!,
    earliest: row[4]!,
    latest: row[5]!,
    service: row[6]!,
  }));
  const vehicles: Vehicle[] = Array.from({ length: count }, (_, i) => ({
    id: `v${i + 1}`,
    start: 0,
    end: 0,
    earliest: depot[4]!,
    latest: depot[5]!,
    capacity,
  }));
  return { name, problem: { matrices: euclidean(rows), jobs, vehicles } };
}

function numbers(line: string): number[] {
  if (!/^[-\d.\s]+$/.test(line)) return [];
  return line.split(/\s+/).map(Number);
}

function euclidean(rows: readonly number[][]): Problem['matrices'] {
  const size = rows.length;
  const distance = new Float64Array(size * size);
  rows.forEach((a, i) =>
    rows.forEach((b, k) => {
      const dx = a[1]! - b[1]!;
      const dy = a[2]! - b[2]!;
      distance[i * size + k] = Math.sqrt(dx * dx + dy * dy);
    }),
  );
  return { size, distance, travel: distance };
}
