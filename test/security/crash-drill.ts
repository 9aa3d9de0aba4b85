/**
 * Crash drills (issue 13): the CLI in a child process, killed with SIGKILL when a condition read
 * from its database holds - never after a delay, so that the drill does not depend on the
 * machine's speed. Shared by crash-import.test.ts and crash-screening.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { loadConfig } from '../../src/config.ts';
import { composeNode } from '../../src/entry/compose-node.ts';
import type { AppDeps } from '../../src/http/env.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { CLI } from '../helpers/program.ts';

// The built CLI (test/helpers/program.ts).
/** A fixed test key (64 hex digits). */
export const DRILL_KEY = 'a1'.repeat(32);
/** The children's lease: short, so that the next CLI run may take a killed one over after 2 s. */
export const CHILD_LEASE_SECONDS = 2;

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `sdc-crash-${label}-`));
}

export function childEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATA_DIR: dataDir,
    DATABASE_PATH: join(dataDir, 'checkup.db'),
    DATA_KEY: DRILL_KEY,
    SCREENING_DAILY_AT: 'off',
    LOG_LEVEL: 'error',
    RUN_LEASE_SECONDS: String(CHILD_LEASE_SECONDS),
    NODE_ENV: 'test',
    ...extra,
  };
}

/** `npx tsx src/cli.ts ARGS`, as node with tsx's loader (one process: SIGKILL reaches the CLI itself). */
export function startCli(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; exited: Promise<{ code: number | null; signal: string | null; stderr: string }> } {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, exited };
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { exited } = startCli(args, env);
  const result = await exited;
  if (result.code !== 0) throw new Error(`cli ${args.join(' ')} exited ${result.code}: ${result.stderr.slice(0, 2000)}`);
}

/** A read-only connection to poll a child's database with, and to compare states. */
export class Reader {
  private constructor(private readonly raw: sqlite3.Database) {}

  static open(path: string): Promise<Reader> {
    return new Promise((resolve, reject) => {
      const raw = new sqlite3.Database(path, sqlite3.OPEN_READONLY, (err) => (err ? reject(err) : resolve(new Reader(raw))));
    });
  }

  all<T>(query: string): Promise<T[]> {
    return new Promise((resolve, reject) => this.raw.all(query, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows))));
  }

  async tables(prefix: string): Promise<string[]> {
    const rows = await this.all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '${prefix}%' ORDER BY name`);
    return rows.map((r) => r.name);
  }

  async count(table: string): Promise<number> {
    return (await this.all<{ n: number }>(`SELECT count(*) AS n FROM "${table}"`))[0]!.n;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.raw.close(() => resolve()));
  }
}

/**
 * Starts the CLI and kills it (SIGKILL, its whole process group) as soon as `condition` holds on
 * its database, polled every few milliseconds. Returns whether the kill came before the child
 * ended on its own (a child may finish before the condition shows: that run is accepted).
 */
export async function killWhen(args: string[], env: NodeJS.ProcessEnv, dbPath: string, condition: (db: Reader) => Promise<boolean>): Promise<{ killed: boolean }> {
  const { child, exited } = startCli(args, env);
  let done = false;
  void exited.then(() => (done = true));
  // The child creates or migrates the file first; poll once it can be opened.
  let reader: Reader | null = null;
  try {
    while (!done) {
      try {
        reader ??= await Reader.open(dbPath);
        if (await condition(reader)) {
          process.kill(-child.pid!, 'SIGKILL');
          break;
        }
      } catch {
        // SQLITE_BUSY or a table not there yet: look again.
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    await reader?.close();
  }
  const result = await exited;
  return { killed: result.signal === 'SIGKILL' };
}

/** A fresh data folder holding a copy of the database at `from`. */
export function copyDatabase(from: string, label: string): { dir: string; path: string } {
  const dir = tempDir(label);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'checkup.db');
  copyFileSync(from, path);
  return { dir, path };
}

/** The app's dependencies over a child's database, in this process, with a clock `aheadMs` ahead. */
export async function depsOver(dataDir: string, aheadMs: number): Promise<AppDeps & { close(): Promise<void> }> {
  const config = loadConfig(childEnv(dataDir));
  const deps = await composeNode(config, silentLogger);
  return { ...deps, clock: { now: () => new Date(Date.now() + aheadMs) } };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Picks one of `options` at random (the drill's kill points). */
export function pick<T>(options: readonly T[]): T {
  return options[Math.floor(Math.random() * options.length)]!;
}
