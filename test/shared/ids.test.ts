import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../src/ports.ts';

describe('uuidv7', () => {
  it('is a version 7, variant 1 UUID', () => {
    expect(uuidv7()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('sorts by creation time, as text', () => {
    const earlier = uuidv7(Date.UTC(2026, 10, 26, 2, 0, 0));
    const later = uuidv7(Date.UTC(2026, 10, 26, 2, 0, 1));
    expect(earlier < later).toBe(true);
  });

  it('sorts ids made within one millisecond in the order they were made', () => {
    const ms = Date.UTC(2026, 10, 26, 2, 0, 0);
    const same = Array.from({ length: 1000 }, () => uuidv7(ms));
    expect([...same].sort()).toEqual(same);
    expect(new Set(same).size).toBe(1000);
    const now = Array.from({ length: 5000 }, () => uuidv7());
    expect([...now].sort()).toEqual(now);
    for (const id of [...same, ...now]) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('carries the millisecond timestamp in its first 48 bits', () => {
    const ms = Date.UTC(2026, 10, 26, 2, 0, 0);
    const id = uuidv7(ms);
    expect(parseInt(id.replaceAll('-', '').slice(0, 12), 16)).toBe(ms);
  });
});
