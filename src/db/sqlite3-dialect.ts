import sqlite3 from 'sqlite3';
import { CompiledQuery, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';
import { inChunks, returnsRows, SqliteFamilyDialect, toSqliteValue } from './sqlite-shared.ts';

/**
 * A Kysely dialect for the `sqlite3` package (DESIGN.md "sqlite3 driver"). Kysely's own SQLite
 * dialect targets better-sqlite3; we reuse its compiler, adapter and introspector and write only
 * the driver and the connection.
 *
 * One connection, serialised by a mutex held from acquire to release, so a transaction never
 * interleaves with another query. Prepared statements are cached by SQL text: bulk imports send
 * the same multi-row INSERT thousands of times.
 */
export interface Sqlite3DialectConfig {
  database: sqlite3.Database;
  /** Prepared statements kept for reuse (default 64). */
  statementCacheSize?: number;
}

export class Sqlite3Dialect extends SqliteFamilyDialect {
  readonly #config: Sqlite3DialectConfig;

  constructor(config: Sqlite3DialectConfig) {
    super();
    this.#config = config;
  }

  createDriver(): Driver {
    return new Sqlite3Driver(this.#config);
  }
}

class Sqlite3Driver implements Driver {
  readonly #mutex = new Mutex();
  readonly #connection: Sqlite3Connection;
  readonly #database: sqlite3.Database;

  constructor(config: Sqlite3DialectConfig) {
    this.#database = config.database;
    this.#connection = new Sqlite3Connection(config.database, config.statementCacheSize ?? 64);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock();
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    // IMMEDIATE takes the write lock up front: another process writing the same file waits
    // (busy_timeout) at BEGIN instead of failing with SQLITE_BUSY halfway through.
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    this.#mutex.unlock();
  }

  async destroy(): Promise<void> {
    await this.#mutex.lock();
    await this.#connection.finalizeAll();
    await new Promise<void>((resolve, reject) => this.#database.close((err) => (err ? reject(err) : resolve())));
  }
}

class Sqlite3Connection implements DatabaseConnection {
  readonly #db: sqlite3.Database;
  readonly #cacheSize: number;
  readonly #statements = new Map<string, sqlite3.Statement>();
  readonly #preparing = new Map<string, Promise<sqlite3.Statement>>();

  constructor(db: sqlite3.Database, cacheSize: number) {
    this.#db = db;
    this.#cacheSize = cacheSize;
  }

  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const params = compiled.parameters.map(toSqliteValue);
    // No await for a cached statement: this runs for every statement of every request.
    const cached = this.#cached(compiled.sql);
    if (cached) return this.#execute(cached, compiled, params);
    return this.#prepare(compiled.sql).then((statement) => this.#execute<R>(statement, compiled, params));
  }

  #execute<R>(statement: sqlite3.Statement, compiled: CompiledQuery, params: unknown[]): Promise<QueryResult<R>> {
    if (returnsRows(compiled.query, compiled.sql)) {
      return new Promise((resolve, reject) =>
        statement.all(params, (err: Error | null, rows: R[]) => (err ? reject(err) : resolve({ rows }))),
      );
    }
    return new Promise((resolve, reject) =>
      statement.run(params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) return reject(err);
        resolve({ rows: [], numAffectedRows: BigInt(this.changes), insertId: BigInt(this.lastID) });
      }),
    );
  }

  streamQuery<R>(compiled: CompiledQuery, chunkSize = 1000): AsyncIterableIterator<QueryResult<R>> {
    return inChunks(this.executeQuery<R>(compiled), chunkSize);
  }

  async finalizeAll(): Promise<void> {
    const statements = [...this.#statements.values()];
    this.#statements.clear();
    await Promise.all(statements.map((s) => new Promise<void>((resolve) => s.finalize(() => resolve()))));
  }

  #cached(sql: string): sqlite3.Statement | undefined {
    const cached = this.#statements.get(sql);
    if (cached) {
      // Re-insert to keep the map in least-recently-used order.
      this.#statements.delete(sql);
      this.#statements.set(sql, cached);
    }
    return cached;
  }

  /** One statement per SQL text even when several queries ask for it at once (they run in order). */
  #prepare(sql: string): Promise<sqlite3.Statement> {
    let preparing = this.#preparing.get(sql);
    if (!preparing) {
      preparing = this.#prepareNew(sql).finally(() => this.#preparing.delete(sql));
      this.#preparing.set(sql, preparing);
    }
    return preparing;
  }

  async #prepareNew(sql: string): Promise<sqlite3.Statement> {
    const statement = await new Promise<sqlite3.Statement>((resolve, reject) => {
      const s = this.#db.prepare(sql, (err) => (err ? reject(err) : resolve(s)));
    });
    this.#statements.set(sql, statement);
    if (this.#statements.size > this.#cacheSize) {
      const [oldestSql, oldest] = this.#statements.entries().next().value as [string, sqlite3.Statement];
      this.#statements.delete(oldestSql);
      oldest.finalize();
    }
    return statement;
  }
}

class Mutex {
  #locked = false;
  readonly #waiters: Array<() => void> = [];

  async lock(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return;
    }
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  unlock(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#locked = false;
  }
}
