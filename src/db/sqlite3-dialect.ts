import sqlite3 from 'sqlite3';
import { CompiledQuery, RawNode, SelectQueryNode, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';
import { inChunks, returnsRows, SqliteFamilyDialect, toSqliteValue } from './sqlite-shared.ts';

/**
 * A Kysely dialect for the `sqlite3` package (DESIGN.md "sqlite3 driver"). Kysely's own SQLite
 * dialect targets better-sqlite3; we reuse its compiler, adapter and introspector and write only
 * the driver and the connection.
 *
 * One connection writes, serialised by a mutex: a statement that writes holds it while it runs,
 * a transaction from its BEGIN to the connection's release, so a transaction never interleaves
 * with another query. With `reader` (a second connection to the same WAL file, issue 18), a
 * single SELECT outside a transaction goes there instead: it reads the last commit without
 * waiting behind the writer's transaction and its fsync - and every write a caller has seen
 * finish is committed, so no read misses one. Prepared statements are cached by SQL text, per
 * connection: bulk imports send the same multi-row INSERT thousands of times.
 */
export interface Sqlite3DialectConfig {
  database: sqlite3.Database;
  /** Opened on the same file with `query_only`; none for an in-memory database. */
  reader?: sqlite3.Database | undefined;
  /** Prepared statements kept for reuse, per connection (default 64). */
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

/** Starts a transaction on the connection: from here to its release, everything goes to the writer. */
const OPENS_TRANSACTION = /^\s*(begin|savepoint)\b/i;

/**
 * A query the reader may answer: a SELECT, built or raw, that reads no state of the writing
 * connection itself (changes(), total_changes(), last_insert_rowid()).
 */
function isPlainRead(compiled: CompiledQuery): boolean {
  if (SelectQueryNode.is(compiled.query)) return true;
  return RawNode.is(compiled.query) && /^\s*select\b/i.test(compiled.sql) && !/\b(total_changes|changes|last_insert_rowid)\s*\(/i.test(compiled.sql);
}

class Sqlite3Driver implements Driver {
  readonly #mutex = new Mutex();
  readonly #writer: Sqlite3Connection;
  readonly #reader: Sqlite3Connection | null;
  readonly #databases: sqlite3.Database[];

  constructor(config: Sqlite3DialectConfig) {
    const cacheSize = config.statementCacheSize ?? 64;
    this.#databases = [config.database, ...(config.reader ? [config.reader] : [])];
    this.#writer = new Sqlite3Connection(config.database, cacheSize);
    this.#reader = config.reader ? new Sqlite3Connection(config.reader, cacheSize) : null;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new RoutedConnection(this.#mutex, this.#writer, this.#reader);
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

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as RoutedConnection).release();
  }

  async destroy(): Promise<void> {
    await this.#mutex.lock();
    await Promise.all([this.#writer.finalizeAll(), this.#reader?.finalizeAll()]);
    await Promise.all(this.#databases.map((d) => new Promise<void>((resolve, reject) => d.close((err) => (err ? reject(err) : resolve())))));
  }
}

/**
 * What Kysely holds between acquiring and releasing a connection: it sends each query to the
 * reader or to the writer (taking the writer's mutex for the statement, or from a transaction's
 * start to the release).
 */
class RoutedConnection implements DatabaseConnection {
  #holding = false;

  constructor(
    private readonly mutex: Mutex,
    private readonly writer: Sqlite3Connection,
    private readonly reader: Sqlite3Connection | null,
  ) {}

  executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    if (this.#holding) return this.writer.executeQuery<R>(compiled);
    if (this.reader && isPlainRead(compiled)) return this.reader.executeQuery<R>(compiled);
    if (OPENS_TRANSACTION.test(compiled.sql)) {
      return this.mutex.lock().then(() => {
        this.#holding = true;
        return this.writer.executeQuery<R>(compiled);
      });
    }
    return this.mutex.lock().then(() => this.writer.executeQuery<R>(compiled).finally(() => this.mutex.unlock()));
  }

  streamQuery<R>(compiled: CompiledQuery, chunkSize = 1000): AsyncIterableIterator<QueryResult<R>> {
    return inChunks(this.executeQuery<R>(compiled), chunkSize);
  }

  /**
   * Statements with their values written in, run by SQLite one after another in one call (no
   * return to JavaScript between them): within a transaction this connection holds (atomic's
   * group commit, issue 18). It stops at the first error, which it rejects with.
   */
  executeScript(script: string): Promise<void> {
    if (!this.#holding) return Promise.reject(new Error('a script runs only inside a transaction'));
    return this.writer.executeScript(script);
  }

  release(): void {
    if (!this.#holding) return;
    this.#holding = false;
    this.mutex.unlock();
  }
}

/** One sqlite3 database handle with its statement cache; Kysely sees it only through RoutedConnection. */
class Sqlite3Connection {
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

  executeScript(script: string): Promise<void> {
    return new Promise((resolve, reject) => this.#db.exec(script, (err) => (err ? reject(err) : resolve())));
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
