import type { CompiledQuery, DatabaseConnection, Driver, QueryResult } from 'kysely';
import type { Atomic } from '../ports.ts';
import { inChunks, returnsRows, SqliteFamilyDialect, toSqliteValue } from './sqlite-shared.ts';

/**
 * The part of Cloudflare's D1 binding we use (structural: the Workers' global types would clash
 * with Node's in the one tsconfig).
 */
export interface D1Like {
  prepare(sql: string): D1StatementLike;
  batch(statements: D1StatementLike[]): Promise<D1ResultLike[]>;
}
export interface D1StatementLike {
  bind(...values: unknown[]): D1StatementLike;
  all(): Promise<D1ResultLike>;
  run(): Promise<D1ResultLike>;
}
export interface D1ResultLike {
  results?: unknown[];
  meta: { changes?: number; last_row_id?: number };
}

/**
 * A Kysely dialect for D1 (DESIGN.md "Two runtimes"): Kysely's SQLite compiler, adapter and
 * introspector, and a driver of a few lines. A maintained package exists (`kysely-d1`), but
 * the `atomic` port needs D1's `batch()` on the same compiled queries, and rows are told from
 * writes by the query node as in the sqlite3 driver: both live here, beside each other.
 *
 * D1 has no interactive transactions: `db.transaction()` fails on purpose. Every all-or-nothing
 * write goes through `d1Atomic`, one `batch()`.
 */
export class D1Dialect extends SqliteFamilyDialect {
  readonly #database: D1Like;

  constructor(database: D1Like) {
    super();
    this.#database = database;
  }

  createDriver(): Driver {
    return new D1Driver(this.#database);
  }
}

class D1Driver implements Driver {
  readonly #connection: D1Connection;

  constructor(database: D1Like) {
    this.#connection = new D1Connection(database);
  }

  async init(): Promise<void> {}

  // D1 serialises statements itself; every request may hold the one connection at once.
  async acquireConnection(): Promise<DatabaseConnection> {
    return this.#connection;
  }

  async beginTransaction(): Promise<void> {
    throw new Error('D1 has no interactive transactions: write through the atomic port (one batch)');
  }

  async commitTransaction(): Promise<void> {}

  async rollbackTransaction(): Promise<void> {}

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {}
}

function prepared(database: D1Like, compiled: CompiledQuery): D1StatementLike {
  const statement = database.prepare(compiled.sql);
  return compiled.parameters.length === 0 ? statement : statement.bind(...compiled.parameters.map(toSqliteValue));
}

function toResult<R>(compiled: CompiledQuery, result: D1ResultLike): QueryResult<R> {
  if (returnsRows(compiled.query, compiled.sql)) return { rows: (result.results ?? []) as R[] };
  return {
    rows: [],
    numAffectedRows: BigInt(result.meta.changes ?? 0),
    insertId: BigInt(result.meta.last_row_id ?? 0),
  };
}

class D1Connection implements DatabaseConnection {
  readonly #database: D1Like;

  constructor(database: D1Like) {
    this.#database = database;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    return toResult<R>(compiled, await prepared(this.#database, compiled).all());
  }

  streamQuery<R>(compiled: CompiledQuery, chunkSize = 1000): AsyncIterableIterator<QueryResult<R>> {
    return inChunks(this.executeQuery<R>(compiled), chunkSize);
  }
}

/**
 * The D1 implementation of the `atomic` port: the compiled queries as one `batch()`, which D1
 * runs in one SQLite transaction and rolls back whole when any statement fails.
 */
export function d1Atomic(database: D1Like): Atomic {
  return async (queries) => {
    if (queries.length === 0) return [];
    const results = await database.batch(queries.map((q) => prepared(database, q)));
    return results.map((result, i) => toResult(queries[i]!, result));
  };
}
