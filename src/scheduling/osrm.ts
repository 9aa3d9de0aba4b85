import type { Point, TravelSource, TravelTable } from './geo.ts';

/**
 * Travel times and road distances from an OSRM server's table service
 * (`GET /table/v1/driving/{lng,lat;...}?annotations=duration,distance`). Large tables are asked
 * block by block (OSRM's default `--max-table-size` is 100 locations).
 */
const BLOCK = 100;

interface OsrmTableResponse {
  code: string;
  message?: string;
  durations?: (number | null)[][];
  distances?: (number | null)[][];
}

export class TravelSourceError extends Error {
  override name = 'TravelSourceError';
}

export function osrmSource(baseUrl: string, options: { timeoutMs: number; fetch?: typeof fetch } = { timeoutMs: 10_000 }): TravelSource {
  const doFetch = options.fetch ?? fetch;
  const base = baseUrl.replace(/\/+$/, '');
  return async (points) => {
    const size = points.length;
    const table: TravelTable = { size, km: new Float64Array(size * size), minutes: new Float64Array(size * size) };
    for (let i = 0; i < size; i += BLOCK) {
      for (let j = 0; j < size; j += BLOCK) {
        await fillBlock(doFetch, base, options.timeoutMs, points, table, range(i, Math.min(size, i + BLOCK)), range(j, Math.min(size, j + BLOCK)));
      }
    }
    return table;
  };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => from + k);
}

async function fillBlock(doFetch: typeof fetch, base: string, timeoutMs: number, points: readonly Point[], table: TravelTable, rows: number[], cols: number[]) {
  // The request's coordinates: the rows, then the columns not already among them.
  const coords = [...new Set([...rows, ...cols])];
  const at = new Map(coords.map((p, k) => [p, k]));
  const path = coords.map((p) => `${points[p]!.lng.toFixed(6)},${points[p]!.lat.toFixed(6)}`).join(';');
  const query = `sources=${rows.map((r) => at.get(r)).join(';')}&destinations=${cols.map((c) => at.get(c)).join(';')}&annotations=duration,distance`;
  let body: OsrmTableResponse;
  try {
    const res = await doFetch(`${base}/table/v1/driving/${path}?${query}`, { signal: AbortSignal.timeout(timeoutMs) });
    body = (await res.json()) as OsrmTableResponse;
  } catch (err) {
    throw new TravelSourceError(`OSRM table request failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (body.code !== 'Ok' || !body.durations || !body.distances) throw new TravelSourceError(`OSRM table answered ${body.code}: ${body.message ?? 'no table'}`);
  rows.forEach((r, a) => {
    cols.forEach((c, b) => {
      const seconds = body.durations![a]?.[b];
      const metres = body.distances![a]?.[b];
      // No road between them: make the pair unusable rather than free.
      table.minutes[r * table.size + c] = seconds == null ? 1e6 : seconds / 60;
      table.km[r * table.size + c] = metres == null ? 1e6 : metres / 1000;
    });
  });
}
