import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { osrmSource, TravelSourceError } from '../../src/scheduling/osrm.ts';
import { createTestApp } from '../helpers/app.ts';
import { SHUICHENG, addCrewShift, confirmedDrivers, preview } from '../helpers/scheduling.ts';

/** A stand-in for an OSRM server's table service: 1 km of road = 2 minutes, along |dlat| + |dlng|. */
let server: Server;
let base: string;
const requests: URL[] = [];
let failing = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://osrm');
    requests.push(url);
    if (failing) {
      res.writeHead(500).end('{"code":"InternalError"}');
      return;
    }
    const coords = url.pathname.replace('/table/v1/driving/', '').split(';').map((p) => p.split(',').map(Number) as [number, number]);
    const sources = url.searchParams.get('sources')!.split(';').map(Number);
    const destinations = url.searchParams.get('destinations')!.split(';').map(Number);
    const km = (a: number, b: number) => (Math.abs(coords[a]![0] - coords[b]![0]) + Math.abs(coords[a]![1] - coords[b]![1])) * 100;
    const body = {
      code: 'Ok',
      durations: sources.map((a) => destinations.map((b) => (coords[a]![0] === 0 || coords[b]![0] === 0 ? (a === b ? 0 : null) : km(a, b) * 120))),
      distances: sources.map((a) => destinations.map((b) => km(a, b) * 1000)),
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('travel times from OSRM', () => {
  it('asks the table service block by block and fills the whole matrix', async () => {
    requests.length = 0;
    const points = Array.from({ length: 150 }, (_, i) => ({ lat: 36.4 + i / 1000, lng: 115.9 + i / 2000 }));
    const table = await osrmSource(base, { timeoutMs: 5000 })(points);
    expect(requests).toHaveLength(4);
    expect(requests[0]!.searchParams.get('annotations')).toBe('duration,distance');
    const km = (i: number, j: number) => (Math.abs(points[i]!.lat - points[j]!.lat) + Math.abs(points[i]!.lng - points[j]!.lng)) * 100;
    for (const [i, j] of [[0, 1], [3, 140], [120, 7], [149, 101]] as const) {
      expect(table.km[i * 150 + j]).toBeCloseTo(km(i, j), 6);
      expect(table.minutes[i * 150 + j]).toBeCloseTo(km(i, j) * 2, 6);
    }
  });

  it('makes an unroutable pair unusable rather than free', async () => {
    const table = await osrmSource(base, { timeoutMs: 5000 })([{ lat: 36.4, lng: 115.9 }, { lat: 36.5, lng: 0 }]);
    expect(table.minutes[1]).toBeGreaterThan(1e5);
  });

  it('reports a failing server as a TravelSourceError', async () => {
    failing = true;
    try {
      await expect(osrmSource(base, { timeoutMs: 5000 })([{ lat: 36.4, lng: 115.9 }])).rejects.toBeInstanceOf(TravelSourceError);
    } finally {
      failing = false;
    }
  });

  it('plans with OSRM when configured, and with straight lines (saying so) when it is down', async () => {
    const t = await createTestApp({ env: { OSRM_URL: base } });
    try {
      await confirmedDrivers(t, [['500000000001', { phone: '13300000001', ...SHUICHENG }]]);
      await addCrewShift(t, 1);
      expect((await preview(t)).run?.travel).toBe('osrm');
      failing = true;
      expect((await preview(t)).run?.travel).toBe('haversine (OSRM failed)');
    } finally {
      failing = false;
      await t.cleanup();
    }
  });
});
