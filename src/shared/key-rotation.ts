import { CompiledQuery, type Kysely } from 'kysely';
import { jsonRows, jsonRowSource, rowsPerStatement, type SqlLimits } from '../db/limits.ts';
import type { DB } from '../db/schema/index.ts';
import type { Atomic, Clock } from '../ports.ts';
import { createCipher, DataKeyError, keyCheckOf, type DataKeys, type PersonalDataCipher } from './personal-data.ts';

/**
 * DATA_KEY at start-up and its rotation (issue 13).
 *
 * The database records a check value of the key it was written with (data_key_check). A start
 * compares it with DATA_KEY (and DATA_KEY_PREVIOUS, during a rotation) and stops with one line if
 * neither matches, instead of answering 500 on every read later. `cli rotate-key` re-seals every
 * sealed column with DATA_KEY in atomic batches, recording its place in the same batch, and at the
 * end records the new key's check value.
 */
export interface KeyStoreDeps {
  db: Kysely<DB>;
  atomic: Atomic;
  clock: Clock;
}

const ROTATE = 'npm run cli -- rotate-key';
export const KEY_MISMATCH =
  'DATA_KEY does not match the key this database was encrypted with: set DATA_KEY to that key ' +
  `(to change keys, set DATA_KEY_PREVIOUS to it, DATA_KEY to the new key, and run ${ROTATE})`;

export type KeyCheckDecision = { kind: 'ok'; note: string | null } | { kind: 'record'; check: string } | { kind: 'refuse'; message: string };

/** Check values of the keys of a start. */
export interface KeyChecks {
  current: string;
  previous: string | null;
}

/**
 * Pure: what a start does, given the stored check value, the keys' check values, the key an
 * unfinished rotation is moving to, and - for a database written before check values, which has
 * none - which key opens one of its sealed values ('none' when it holds no sealed value yet).
 */
export function decideKeyCheck(input: {
  stored: string | null;
  keys: KeyChecks;
  rotatingTo: string | null;
  sample: () => 'none' | 'current' | 'previous' | 'neither';
}): KeyCheckDecision {
  const { stored, keys } = input;
  if (stored === null) {
    const opens = input.sample();
    if (opens === 'none' || opens === 'current') return { kind: 'record', check: keys.current };
    if (opens === 'previous' && keys.previous) return { kind: 'record', check: keys.previous };
    return { kind: 'refuse', message: `${KEY_MISMATCH} (a stored value does not open with it)` };
  }
  if (stored === keys.current) {
    return { kind: 'ok', note: keys.previous ? 'the database is sealed with DATA_KEY: DATA_KEY_PREVIOUS can be removed' : null };
  }
  if (stored === keys.previous) {
    return { kind: 'ok', note: `DATA_KEY_PREVIOUS is set: values sealed with either key are read; ${ROTATE} re-seals them with DATA_KEY` };
  }
  if (input.rotatingTo === keys.current) {
    return { kind: 'refuse', message: `a rotation to this DATA_KEY is unfinished: set DATA_KEY_PREVIOUS to the key it replaces and run ${ROTATE}` };
  }
  if (keys.previous) {
    return { kind: 'refuse', message: 'neither DATA_KEY nor DATA_KEY_PREVIOUS matches the key this database was encrypted with: set DATA_KEY_PREVIOUS to that key' };
  }
  return { kind: 'refuse', message: KEY_MISMATCH };
}

export function keyChecksOf(keys: DataKeys): KeyChecks {
  return { current: keyCheckOf(keys.current), previous: keys.previous ? keyCheckOf(keys.previous) : null };
}

async function storedCheck(db: Kysely<DB>): Promise<string | null> {
  const row = await db.selectFrom('data_key_check').select('key_check').where('id', '=', 1).executeTakeFirst();
  return row?.key_check ?? null;
}

async function rotatingTo(db: Kysely<DB>): Promise<string | null> {
  const row = await db.selectFrom('key_rotation_progress').select('to_check').limit(1).executeTakeFirst();
  return row?.to_check ?? null;
}

/** One sealed value of the database, if it holds any (a database written before check values). */
async function sampleSealed(db: Kysely<DB>): Promise<string | null> {
  for (const target of SEALED_COLUMNS) {
    const row = await db
      .selectFrom(target.table as 'licences')
      .select((eb) => eb.ref(target.column as 'id_cipher').as('sealed'))
      .where(target.column as 'id_cipher', 'is not', null)
      .limit(1)
      .executeTakeFirst();
    if (row) return row.sealed;
  }
  return null;
}

function opensWith(sealed: string | null, keys: DataKeys): 'none' | 'current' | 'previous' | 'neither' {
  if (sealed === null) return 'none';
  const opens = (key: Buffer) => {
    try {
      createCipher(key).decrypt(sealed);
      return true;
    } catch {
      return false;
    }
  };
  if (opens(keys.current)) return 'current';
  return keys.previous && opens(keys.previous) ? 'previous' : 'neither';
}

/**
 * The start-up check: records the check value on the first start (or, for a database written
 * before check values, once a stored value opens with a key), and throws a one-line
 * DataKeyError when the keys do not match the database. Returns a note worth a log line, if any.
 */
export async function checkDataKey(deps: KeyStoreDeps, keys: DataKeys): Promise<string | null> {
  const checks = keyChecksOf(keys);
  const sealed = await sampleSealed(deps.db);
  const decide = async () =>
    decideKeyCheck({ stored: await storedCheck(deps.db), keys: checks, rotatingTo: await rotatingTo(deps.db), sample: () => opensWith(sealed, keys) });
  let decision = await decide();
  if (decision.kind === 'record') {
    // Two processes starting at once: the first insert wins; both judge what was stored.
    await deps.atomic([
      CompiledQuery.raw('INSERT INTO data_key_check (id, key_check, recorded_at) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING', [
        decision.check,
        deps.clock.now().toISOString(),
      ]),
    ]);
    decision = await decide();
  }
  if (decision.kind === 'refuse') throw new DataKeyError(decision.message);
  return decision.kind === 'ok' ? decision.note : null;
}

/** A sealed column and the primary key a rotation walks it by. */
export interface SealedColumn {
  table: string;
  keys: readonly string[];
  column: string;
  /** A look-up hash of the opened value, keyed too: recomputed under the new key (licences.id_hash). */
  hashColumn?: string;
  /** At most this many rows per batch, whatever the option says: large values (a photo is up to 4 MB sealed). */
  rowsPerBatch?: number;
}

/**
 * Every column sealed with DATA_KEY. The staging tables of imports are not here: they exist only
 * while an import runs (a rotation refuses to start then) and are dropped when it ends.
 */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  { table: 'licences', keys: ['file_number'], column: 'id_cipher', hashColumn: 'id_hash' },
  { table: 'import_rejected_rows', keys: ['import_id', 'line'], column: 'cells_cipher' },
  { table: 'exams', keys: ['id'], column: 'medical' },
  { table: 'authorisations', keys: ['id'], column: 'signer_name' },
  { table: 'authorisations', keys: ['id'], column: 'photo', rowsPerBatch: 8 },
  { table: 'visits', keys: ['id'], column: 'no_show_note' },
];

const nameOf = (t: SealedColumn) => `${t.table}.${t.column}`;

export interface RotationOptions {
  /** Rows per atomic batch (fewer where the database's statements take fewer: `sqlLimits`). */
  batchSize: number;
  progress(line: string): void;
  /**
   * Stop after the batch that ends past this time (epoch ms), to go on where it stopped at the
   * next call: a Worker's cron rotates a minute at a time (src/entry/worker-cron.ts).
   */
  stopAt?: number;
  /** Rows walked of each column, after each batch; given, the batch lines are not written to `progress`. */
  rows?: (column: string, done: number, total: number) => void;
}

export interface RotationSummary {
  resealed: number;
  passes: number;
  /** False when `stopAt` came first: call again to go on. */
  finished: boolean;
}

/** What a rotation needs: the database and how its statements are cut (D1 takes 100 bound values). */
export type RotationDeps = KeyStoreDeps & { sqlLimits: SqlLimits };

/**
 * Re-seals every sealed value with DATA_KEY (keys.current), opening each with its own key
 * (DATA_KEY_PREVIOUS for those not done yet). Resumable: each batch records the last primary key
 * it did in the same transaction as its rows. A value written meanwhile with the old key (a
 * process not restarted with DATA_KEY) is caught by the final check and walked again.
 */
export async function rotateDataKey(deps: RotationDeps, keys: DataKeys, options: RotationOptions): Promise<RotationSummary> {
  if (!keys.previous) throw new DataKeyError(`DATA_KEY_PREVIOUS is not set: ${ROTATE} needs DATA_KEY (the new key) and DATA_KEY_PREVIOUS (the key it replaces)`);
  const checks = keyChecksOf(keys);
  const stored = await storedCheck(deps.db);
  const target = await rotatingTo(deps.db);
  if (target !== null && target !== checks.current) {
    throw new DataKeyError('an unfinished rotation to another key is recorded: set DATA_KEY to that key and run rotate-key again');
  }
  if (stored === checks.current && target === null) {
    options.progress('rotate-key: nothing to do: the database is sealed with DATA_KEY; remove DATA_KEY_PREVIOUS');
    return { resealed: 0, passes: 0, finished: true };
  }
  await refuseWhileImporting(deps.db);
  const cipher = createCipher(keys.current, keys.previous);
  const now = () => deps.clock.now().toISOString();
  await deps.atomic(
    SEALED_COLUMNS.map((t) =>
      CompiledQuery.raw('INSERT INTO key_rotation_progress (target, to_check, after, rows_done, updated_at) VALUES (?, ?, NULL, 0, ?) ON CONFLICT (target) DO NOTHING', [
        nameOf(t),
        checks.current,
        now(),
      ]),
    ),
  );
  let resealed = 0;
  const stopped = () => options.stopAt !== undefined && Date.now() >= options.stopAt;
  for (let pass = 1; pass <= 3; pass++) {
    for (const t of SEALED_COLUMNS) {
      const column = await rotateColumn(deps, cipher, t, options, now, stopped);
      resealed += column.resealed;
      if (!column.complete) return { resealed, passes: pass, finished: false };
    }
    if (await finish(deps, cipher, checks.current, now())) {
      options.progress(`rotate-key: done: ${resealed} values re-sealed; the database now records DATA_KEY; remove DATA_KEY_PREVIOUS and restart the server`);
      return { resealed, passes: pass, finished: true };
    }
    options.progress('rotate-key: values sealed with the old key were written meanwhile (a process still without the new DATA_KEY?): another pass');
    await deps.atomic([CompiledQuery.raw('UPDATE key_rotation_progress SET after = NULL, rows_done = 0, updated_at = ?', [now()])]);
  }
  throw new DataKeyError('values sealed with the old key keep appearing: restart every server and CLI with DATA_KEY (new) and DATA_KEY_PREVIOUS (old), then run rotate-key again');
}

async function refuseWhileImporting(db: Kysely<DB>): Promise<void> {
  const running = await db.selectFrom('imports').select('started_at').where('status', '=', 'running').executeTakeFirst();
  if (running) {
    throw new DataKeyError(`an import is running (started ${running.started_at}): run rotate-key when it has finished`);
  }
}

/**
 * How a column's batch is written: its rows as one JSON parameter where the database takes few
 * bound values (D1), unless its values are large (a photo: a JSON of a batch's old and new ones
 * would pass D1's 2 MB a value); else bound values, as many rows as a statement takes.
 */
function batchForm(limits: SqlLimits, t: SealedColumn, batchSize: number): { json: boolean; rows: number } {
  const json = limits.bulk.form === 'json' && t.rowsPerBatch === undefined;
  // A photo's batch is bound values even where the bulk form is JSON: as many rows as fit the bound values.
  const rows = json ? rowsPerStatement(limits, widthOf(t)) : Math.max(1, Math.floor(limits.maxBoundParameters / widthOf(t)));
  return { json, rows: Math.min(batchSize, t.rowsPerBatch ?? batchSize, rows) };
}

/**
 * One column, batch after batch from where its progress row says, to its end or until `stopped`;
 * returns the values re-sealed and whether the column's end was reached.
 */
async function rotateColumn(
  deps: RotationDeps,
  cipher: PersonalDataCipher,
  t: SealedColumn,
  options: RotationOptions,
  now: () => string,
  stopped: () => boolean,
): Promise<{ resealed: number; complete: boolean }> {
  const form = batchForm(deps.sqlLimits, t, options.batchSize);
  const name = nameOf(t);
  const progress = await deps.db.selectFrom('key_rotation_progress').selectAll().where('target', '=', name).executeTakeFirstOrThrow();
  let after = progress.after === null ? null : (JSON.parse(progress.after) as unknown[]);
  let done = progress.rows_done;
  const total = Number(
    (await deps.db.selectFrom(t.table as 'licences').select((eb) => eb.fn.countAll<number>().as('n')).where(t.column as 'id_cipher', 'is not', null).executeTakeFirstOrThrow()).n,
  );
  if (after !== null) options.progress(`rotate-key: ${name}: resuming after ${done} rows`);
  let resealed = 0;
  // At least one batch a call: a rotation in steps moves on at every step.
  for (let first = true; first || !stopped(); first = false) {
    const rows = await batchAfter(deps.db, t, after, form.rows);
    if (rows.length === 0) return { resealed, complete: true };
    const last = rows[rows.length - 1]!;
    after = t.keys.map((k) => last[k]);
    done += rows.length;
    const changes = reseal(cipher, t, rows);
    resealed += changes.count;
    await deps.atomic([
      ...(changes.count > 0 ? [updateStatement(t, changes.values, form.json)] : []),
      CompiledQuery.raw('UPDATE key_rotation_progress SET after = ?, rows_done = ?, updated_at = ? WHERE target = ?', [JSON.stringify(after), done, now(), name]),
    ]);
    if (options.rows) options.rows(name, Math.min(done, total), total);
    else options.progress(`rotate-key: ${name}: ${Math.min(done, total)} of ${total} rows`);
  }
  return { resealed, complete: false };
}

type Row = Record<string, unknown>;

function batchAfter(db: Kysely<DB>, t: SealedColumn, after: unknown[] | null, limit: number): Promise<Row[]> {
  const keys = t.keys.map((k) => `"${k}"`).join(', ');
  // A nullable column (a no-show's note) has rows with nothing sealed in it: they are passed over.
  const where = `WHERE "${t.column}" IS NOT NULL${after === null ? '' : ` AND (${keys}) > (${t.keys.map(() => '?').join(', ')})`}`;
  const query = CompiledQuery.raw(`SELECT ${keys}, "${t.column}" AS sealed FROM "${t.table}" ${where} ORDER BY ${keys} LIMIT ?`, [...(after ?? []), limit]);
  return db.executeQuery<Row>(query).then((r) => r.rows);
}

/**
 * The bound values of the rows to change, per row: the primary key, the new sealed value, the
 * new hash (if the column has one) and the old sealed value (the update applies only if the row
 * still holds it: a row rewritten meanwhile is left to its writer).
 */
function reseal(cipher: PersonalDataCipher, t: SealedColumn, rows: Row[]): { count: number; values: unknown[] } {
  const stale = rows.filter((r) => !cipher.sealedWithCurrentKey(r.sealed as string));
  const plains = stale.map((r) => {
    try {
      return cipher.decrypt(r.sealed as string);
    } catch {
      throw new DataKeyError(`a value of ${nameOf(t)} opens with neither DATA_KEY nor DATA_KEY_PREVIOUS: the rotation stopped before this batch`);
    }
  });
  const sealed = cipher.encryptMany(plains);
  const values = stale.flatMap((r, i) => [
    ...t.keys.map((k) => r[k]),
    sealed[i],
    ...(t.hashColumn ? [String(cipher.hash(plains[i]!))] : []),
    r.sealed,
  ]);
  return { count: stale.length, values };
}

/** Values a row of a batch carries: its primary key, the new sealed value, the new hash, the old sealed value. */
const widthOf = (t: SealedColumn) => t.keys.length + (t.hashColumn ? 3 : 2);

/**
 * One UPDATE ... FROM (rows) for a batch: a single statement instead of one per row. The rows are
 * bound values (VALUES), or one JSON parameter unpacked by json_each (`json`: D1).
 */
function updateStatement(t: SealedColumn, values: unknown[], json: boolean): CompiledQuery {
  const width = widthOf(t);
  const count = values.length / width;
  const col = (i: number) => `v.column${i + 1}`;
  const sets = [`"${t.column}" = ${col(t.keys.length)}`, ...(t.hashColumn ? [`"${t.hashColumn}" = ${col(t.keys.length + 1)}`] : [])];
  const matches = [...t.keys.map((k, i) => `"${t.table}"."${k}" = ${col(i)}`), `"${t.table}"."${t.column}" = ${col(width - 1)}`];
  const update = (source: string) => `UPDATE "${t.table}" SET ${sets.join(', ')} FROM (${source}) AS v WHERE ${matches.join(' AND ')}`;
  if (json) return CompiledQuery.raw(update(jsonRowSource(width, (expr, k) => `${expr} AS column${k + 1}`)), [jsonRows(values, width)]);
  const tuple = `(${Array.from({ length: width }, () => '?').join(', ')})`;
  return CompiledQuery.raw(update(`VALUES ${Array.from({ length: count }, () => tuple).join(', ')}`), values);
}

/**
 * Records the new key's check value and drops the progress rows - in one batch, and only if no
 * sealed value is left that the new key did not seal.
 */
async function finish(deps: KeyStoreDeps, cipher: PersonalDataCipher, check: string, now: string): Promise<boolean> {
  const prefix = `v2.${cipher.keyId}.`;
  const leftovers = SEALED_COLUMNS.map((t) => `EXISTS (SELECT 1 FROM "${t.table}" WHERE substr("${t.column}", 1, ${prefix.length}) <> ?)`);
  const params = SEALED_COLUMNS.map(() => prefix);
  const [update] = await deps.atomic([
    CompiledQuery.raw(`UPDATE data_key_check SET key_check = ?, recorded_at = ? WHERE id = 1 AND NOT (${leftovers.join(' OR ')})`, [check, now, ...params]),
    CompiledQuery.raw('DELETE FROM key_rotation_progress WHERE (SELECT key_check FROM data_key_check WHERE id = 1) = ?', [check]),
  ]);
  return Number(update?.numAffectedRows ?? 0) === 1;
}
