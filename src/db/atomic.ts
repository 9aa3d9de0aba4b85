import { CompiledQuery, type Kysely, type QueryResult } from 'kysely';
import type { Atomic } from '../ports.ts';
import { inline, NoLiteral } from './sql-script.ts';
import { toSqliteValue } from './sqlite-shared.ts';

/**
 * The Node implementation of the `atomic` port (DESIGN.md "Atomic writes as batches"): each
 * caller's compiled queries are applied all or nothing. On D1 the same list becomes one
 * `batch()`. This is the only place outside src/db that may open a transaction.
 *
 * Group commit: batches that arrive while a transaction is running wait, and the next
 * transaction takes all of them (and those that arrive while it runs, up to a limit).
 * `begin immediate`, `commit` and the commit's fsync (synchronous=FULL) are then paid once per
 * group instead of once per batch, which is most of what a small batch costs. For callers
 * nothing changes:
 *
 * - a batch that fails is left out alone (its transaction is run again with a SAVEPOINT per
 *   batch, see `runGroup`); its caller gets its error;
 * - every promise settles only after the shared COMMIT has returned, so a caller never answers
 *   for a write that is not durable yet (a failed batch too: a conflict with a row written by
 *   its group, e.g. a replayed webhook, only means "duplicate" once that row is committed);
 * - if the COMMIT fails, or SQLite rolls the whole transaction back itself (a full disk, an I/O
 *   error, `ON CONFLICT ROLLBACK`), the group's batches are run again one transaction each, so
 *   that each gets the outcome it would have had without grouping.
 *
 * A batch alone costs what it did before grouping, and a bulk batch (an import's final upsert)
 * opens no savepoint journal of its own unless a batch of its group fails.
 *
 * Batches whose callers read no results (`{ results: false }`: the webhooks, issue 18) that wait
 * together are run as one SQL script between BEGIN and COMMIT, their values written in as
 * literals (src/db/sql-script.ts): SQLite runs the group's statements back to back, where each
 * statement on its own went to SQLite's thread and back to JavaScript (175 µs a statement on a
 * busy server, 5 statements an SMS). A value without a safe literal (a NUL in a text) sends the
 * group the usual way; a script that fails is rolled back and its batches run again the usual way,
 * each in its savepoint, so that each gets its own outcome.
 */
export interface AtomicOptions {
  /**
   * Most batches one transaction takes (default 32). Batches that arrive while a group runs
   * join it until this many have run, then wait for the next transaction. 1 = no grouping.
   */
  maxBatchesPerTransaction?: number;
  /**
   * No batch joins a transaction that has run this long (default 20 ms): it bounds how long the
   * first batch waits for its commit, and a long batch (an import's final upsert) is never
   * followed by others, so it is never run again because a later batch of its group failed.
   */
  maxTransactionMs?: number;
}

interface Pending {
  queries: readonly CompiledQuery[];
  /** The caller reads no results (it gets []): the batch may go in a script. */
  resultless: boolean;
  resolve(results: QueryResult<unknown>[]): void;
  reject(error: unknown): void;
}

/** What became of each batch a transaction took: its results once committed, or its error. */
type Outcomes = Map<Pending, { results: QueryResult<unknown>[] } | { error: unknown }>;

const raw = (text: string) => CompiledQuery.raw(text);
const BEGIN = raw('begin immediate');
const COMMIT = raw('commit');
const ROLLBACK = raw('rollback');
const SAVEPOINT = raw('savepoint atomic_batch');
const RELEASE = raw('release atomic_batch');
const ROLLBACK_TO = raw('rollback to atomic_batch');

export function kyselyAtomic(db: Kysely<any>, options: AtomicOptions = {}): Atomic {
  const limits = { batches: Math.max(1, options.maxBatchesPerTransaction ?? 32), ms: options.maxTransactionMs ?? 20 };
  const queue: Pending[] = [];
  let draining = false;

  async function drain(): Promise<void> {
    draining = true;
    try {
      while (queue.length > 0) {
        const taken: Pending[] = [];
        const outcomes: Outcomes = new Map();
        try {
          await withConnection(db, (run, script) => runGroup(run, script, queue, limits, taken, outcomes));
        } catch (err) {
          // The connection itself failed (e.g. the database was closed).
          if (taken.length === 0) taken.push(queue.shift()!);
          for (const batch of taken) if (!outcomes.has(batch)) outcomes.set(batch, { error: err });
        }
        for (const batch of taken) {
          const outcome = outcomes.get(batch) ?? { error: new Error('atomic batch was not run') };
          if ('results' in outcome) batch.resolve(outcome.results);
          else batch.reject(outcome.error);
        }
      }
    } finally {
      draining = false;
    }
  }

  return (queries, call) => {
    if (queries.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      queue.push({ queries, resultless: call?.results === false, resolve, reject });
      if (!draining) void drain();
    });
  };
}

type Run = (q: CompiledQuery) => Promise<QueryResult<unknown>>;
/** Runs statements as one script in the open transaction; null when the driver cannot. */
type Script = ((script: string) => Promise<void>) | null;
type Limits = { batches: number; ms: number };

interface ScriptingConnection {
  executeScript(script: string): Promise<void>;
}
const scripting = (connection: unknown): connection is ScriptingConnection => typeof (connection as Partial<ScriptingConnection>).executeScript === 'function';

/**
 * Holds the one connection for `fn`. Queries go straight to the driver's connection: the
 * queries are compiled already and, with no plugins, Kysely would only pass them through (at a
 * few promises each, on every statement of every batch).
 */
function withConnection(db: Kysely<any>, fn: (run: Run, script: Script) => Promise<void>): Promise<void> {
  const executor = db.getExecutor();
  if (executor.plugins.length > 0) return db.connection().execute((conn) => fn((q) => conn.executeQuery(q), null));
  return executor.provideConnection((connection) =>
    fn(
      (q) => connection.executeQuery(q),
      scripting(connection) ? (text) => connection.executeScript(text) : null,
    ),
  );
}

/** The batches' statements as one script, or null if a value has no safe literal. */
function scriptOf(batches: readonly Pending[]): string | null {
  try {
    return batches.map((b) => b.queries.map((q) => `${inline(q.sql, q.parameters.map(toSqliteValue))};\n`).join('')).join('');
  } catch (err) {
    if (err instanceof NoLiteral) return null;
    throw err;
  }
}

/**
 * The resultless batches waiting now, from `first` on, in one script (see the top of the file).
 * False if they cannot go as a script: nothing was run, and `first` is still to run.
 */
async function runScripted(run: Run, script: (text: string) => Promise<void>, first: Pending, queue: Pending[], limits: Limits, taken: Pending[], outcomes: Outcomes): Promise<boolean> {
  let count = 1;
  while (count < limits.batches && queue[count - 1]?.resultless) count++;
  const batches = [first, ...queue.slice(0, count - 1)];
  const text = scriptOf(batches);
  if (text === null) return false;
  queue.splice(0, count - 1);
  taken.push(...batches.slice(1));
  try {
    await run(BEGIN);
  } catch (err) {
    for (const batch of batches) outcomes.set(batch, { error: err });
    return true;
  }
  try {
    await script(text);
    await run(COMMIT);
  } catch {
    await run(ROLLBACK).catch(() => undefined);
    await runWithSavepoints(run, batches, outcomes);
    return true;
  }
  for (const batch of batches) outcomes.set(batch, { results: [] });
  return true;
}

/**
 * One transaction over the queued batches - those queued now and those that arrive meanwhile,
 * within `limits` - recording an outcome for each batch it took.
 *
 * Optimistic first: the batches run back to back with no savepoint (two driver calls fewer per
 * batch; failures are rare - a replayed webhook). If one fails, the transaction is rolled back
 * and its batches run again, each in a savepoint, so that only the failing one is left out.
 */
async function runGroup(run: Run, script: Script, queue: Pending[], limits: Limits, taken: Pending[], outcomes: Outcomes): Promise<void> {
  const started = performance.now();
  const accepting = () => taken.length < limits.batches && performance.now() - started < limits.ms;
  const first = queue.shift()!;
  taken.push(first);
  if (script && first.resultless && (await runScripted(run, script, first, queue, limits, taken, outcomes))) return;
  try {
    await run(BEGIN);
  } catch (err) {
    // e.g. SQLITE_BUSY after busy_timeout: another process holds the write lock.
    outcomes.set(first, { error: err });
    return;
  }
  const batches: Pending[] = [];
  const results: QueryResult<unknown>[][] = [];
  for (let batch: Pending | undefined = first; batch; batch = accepting() ? queue.shift() : undefined) {
    if (batch !== first) taken.push(batch);
    batches.push(batch);
    try {
      results.push(await runQueries(run, batch));
    } catch (err) {
      await run(ROLLBACK).catch(() => undefined);
      // Alone in the transaction, the batch's error is its outcome; otherwise sort it out.
      if (batches.length === 1) outcomes.set(batch, { error: err });
      else await runWithSavepoints(run, batches, outcomes);
      return;
    }
  }
  try {
    await run(COMMIT);
  } catch {
    // e.g. a deferred constraint: undo the whole group, and find whose batch it was.
    await run(ROLLBACK).catch(() => undefined);
    await runEachAlone(run, batches, outcomes);
    return;
  }
  batches.forEach((batch, i) => outcomes.set(batch, { results: results[i]! }));
}

/** `batches` in one transaction, each in a savepoint (the first needs none). */
async function runWithSavepoints(run: Run, batches: readonly Pending[], outcomes: Outcomes): Promise<void> {
  // Of the open transaction: the batches applied in it, and those that failed and rolled back to
  // their savepoint (their error stands only if the transaction commits).
  let applied: Array<[Pending, QueryResult<unknown>[]]> = [];
  let failed: Array<[Pending, unknown]> = [];
  let open = false;
  for (const batch of batches) {
    if (!open) {
      try {
        await run(BEGIN);
        open = true;
      } catch (err) {
        outcomes.set(batch, { error: err });
        continue;
      }
    }
    if (applied.length === 0) {
      // First in the transaction: no savepoint needed, a failure rolls back only this batch.
      try {
        applied.push([batch, await runQueries(run, batch)]);
      } catch (err) {
        outcomes.set(batch, { error: err });
        await run(ROLLBACK).catch(() => undefined);
        open = false;
      }
      continue;
    }
    try {
      await run(SAVEPOINT);
      const results = await runQueries(run, batch);
      await run(RELEASE);
      applied.push([batch, results]);
    } catch (err) {
      if (await rollbackTo(run)) {
        failed.push([batch, err]);
      } else {
        // SQLite rolled the whole transaction back itself (a full disk, an I/O error, ON
        // CONFLICT ROLLBACK): every batch of it is lost. Take them again, one transaction each,
        // so that each gets the outcome it would have had alone.
        await runEachAlone(run, [...applied.map(([b]) => b), ...failed.map(([b]) => b), batch], outcomes);
        applied = [];
        failed = [];
        open = false;
      }
    }
  }
  if (!open) return;
  try {
    await run(COMMIT);
  } catch {
    await run(ROLLBACK).catch(() => undefined);
    await runEachAlone(run, [...applied.map(([b]) => b), ...failed.map(([b]) => b)], outcomes);
    return;
  }
  for (const [batch, results] of applied) outcomes.set(batch, { results });
  for (const [batch, error] of failed) outcomes.set(batch, { error });
}

/**
 * A batch's queries in order. A run of consecutive queries with the same SQL (the blocks of a bulk
 * insert) is handed to the driver at once: they share one prepared statement, which runs them in
 * the order given, and the driver binds the next one on this thread while SQLite executes the
 * previous one on its own. Every query of the run has settled before anything else runs, so a
 * failed one is followed by nothing but the caller's rollback.
 */
async function runQueries(run: Run, batch: Pending): Promise<QueryResult<unknown>[]> {
  const results: QueryResult<unknown>[] = [];
  const queries = batch.queries;
  for (let i = 0; i < queries.length; ) {
    let end = i + 1;
    while (end < queries.length && queries[end]!.sql === queries[i]!.sql) end++;
    if (end === i + 1) {
      results.push(await run(queries[i]!));
    } else {
      const settled = await Promise.allSettled(queries.slice(i, end).map(run));
      for (const outcome of settled) {
        if (outcome.status === 'rejected') throw outcome.reason;
        results.push(outcome.value);
      }
    }
    i = end;
  }
  return results;
}

/** Each batch in its own transaction, as without grouping. */
async function runEachAlone(run: Run, batches: readonly Pending[], outcomes: Outcomes): Promise<void> {
  for (const batch of batches) {
    try {
      await run(BEGIN);
    } catch (err) {
      outcomes.set(batch, { error: err });
      continue;
    }
    try {
      const results = await runQueries(run, batch);
      await run(COMMIT);
      outcomes.set(batch, { results });
    } catch (err) {
      await run(ROLLBACK).catch(() => undefined);
      outcomes.set(batch, { error: err });
    }
  }
}

/** Undoes the current batch; false if the transaction no longer exists. */
async function rollbackTo(run: Run): Promise<boolean> {
  try {
    await run(ROLLBACK_TO);
    await run(RELEASE);
    return true;
  } catch {
    return false;
  }
}
