import { describe, expect, it } from 'vitest';
import { StatementBlocks } from '../../src/registry/repository.ts';

const PER_ROW = 19;
const ROWS_PER_BLOCK = Math.floor(16000 / PER_ROW); // 842
/** `count` rows whose values are their row numbers, from `first`. */
const rows = (first: number, count: number) => Array.from({ length: count * PER_ROW }, (_, i) => first + Math.floor(i / PER_ROW));

describe('StatementBlocks', () => {
  it('cuts rows arriving in parts into full statement blocks, in order, and keeps the rest', () => {
    const blocks = new StatementBlocks();
    blocks.add(rows(0, 500));
    blocks.add([]);
    blocks.add(rows(500, 500));
    expect(blocks.rows).toBe(1000);
    const full = blocks.take(false);
    expect(full).toHaveLength(1);
    expect(full[0]).toEqual(rows(0, ROWS_PER_BLOCK));
    expect(blocks.rows).toBe(1000 - ROWS_PER_BLOCK);
    blocks.add(rows(1000, 2000));
    const more = blocks.take(false);
    expect(more.map((b) => b.length / PER_ROW)).toEqual([ROWS_PER_BLOCK, ROWS_PER_BLOCK]);
    expect(more[0]![0]).toBe(ROWS_PER_BLOCK);
    const last = blocks.take(true);
    expect(last).toEqual([rows(3 * ROWS_PER_BLOCK, 3000 - 3 * ROWS_PER_BLOCK)]);
    expect(blocks.rows).toBe(0);
    expect(blocks.take(true)).toEqual([]);
  });
});
