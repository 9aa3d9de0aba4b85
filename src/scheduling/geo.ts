/**
 * Travel between points (issue 4): great-circle distance times a detour factor, at an average
 * speed. Pure. An OSRM table (src/scheduling/osrm.ts) replaces it when configured.
 */
export interface Point {
  lat: number;
  lng: number;
}

/** Distances (km) and travel times (minutes) between every pair of points, row-major. */
export interface TravelTable {
  size: number;
  km: Float64Array;
  minutes: Float64Array;
}

export interface TravelSettings {
  /** Road distance / straight-line distance (city streets: about 1.3). */
  detourFactor: number;
  /** Average door-to-door speed of the crew, km/h. */
  speedKmh: number;
}

const EARTH_RADIUS_KM = 6371.0088;
const rad = (deg: number) => (deg * Math.PI) / 180;

export function haversineKm(a: Point, b: Point): number {
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

export function haversineTable(points: readonly Point[], settings: TravelSettings): TravelTable {
  const size = points.length;
  const km = new Float64Array(size * size);
  const minutes = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let j = i + 1; j < size; j++) {
      const road = haversineKm(points[i]!, points[j]!) * settings.detourFactor;
      const time = (road / settings.speedKmh) * 60;
      km[i * size + j] = km[j * size + i] = road;
      minutes[i * size + j] = minutes[j * size + i] = time;
    }
  }
  return { size, km, minutes };
}

/** Where the planner gets its travel table from: haversine in-process, or an OSRM server. */
export type TravelSource = (points: readonly Point[]) => Promise<TravelTable>;

export function haversineSource(settings: TravelSettings): TravelSource {
  return async (points) => haversineTable(points, settings);
}
