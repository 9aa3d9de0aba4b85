/**
 * Shared checks of the security suite: "nothing stored" fingerprints of the database and
 * hand-built multipart bodies (malformed on purpose, which FormData cannot make).
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../src/db/schema/index.ts';
import { postCsv, type TestApp } from '../helpers/app.ts';
import { csv, row } from '../helpers/registry-csv.ts';

/**
 * What a request could have stored, cheaply enough to take before and after each of thousands
 * of requests: SQLite's `total_changes()` of the app's single connection (every row inserted,
 * updated or deleted since it opened, triggers included: it moves if anything was written, in any
 * table, WITHOUT ROWID ones too), the number of schema objects (a staging table created and not
 * dropped) and, per table, its row count and largest rowid (readable in a failure message).
 */
export interface Fingerprint {
  changes: number;
  schemaObjects: number;
  tables: Record<string, string>;
}

const countQueries = new WeakMap<object, string>();

/** One UNION ALL over every table (staging tables aside: schemaObjects counts those), built once per database. */
async function countQuery(db: Kysely<DB>): Promise<string> {
  const known = countQueries.get(db);
  if (known) return known;
  const tables = await sql<{ name: string; sql: string }>`SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'import_staging_%' ORDER BY name`.execute(db);
  const query = tables.rows
    .map((t) => `SELECT '${t.name}' AS name, count(*) AS n, ${/WITHOUT\s+ROWID/i.test(t.sql) ? 'NULL' : 'max(rowid)'} AS top FROM "${t.name}"`)
    .join(' UNION ALL ');
  countQueries.set(db, query);
  return query;
}

export async function fingerprint(db: Kysely<DB>): Promise<Fingerprint> {
  const counts = await sql.raw<{ name: string; n: number; top: number | null }>(await countQuery(db)).execute(db);
  const meta = await sql<{ changes: number; objects: number }>`SELECT total_changes() AS changes, (SELECT count(*) FROM sqlite_master) AS objects`.execute(db);
  return {
    changes: Number(meta.rows[0]!.changes),
    schemaObjects: Number(meta.rows[0]!.objects),
    tables: Object.fromEntries(counts.rows.map((r) => [r.name, `${r.n}/${r.top ?? '-'}`])),
  };
}

/**
 * Registry-level view of "nothing stored" for an upload, in one query: licences (count and
 * largest rowid: an upsert that replaced a row moves it), rejected rows, staging tables, imports
 * completed or still running.
 */
export async function registryState(db: Kysely<DB>) {
  const r = await sql<Record<string, number | null>>`SELECT
      (SELECT count(*) FROM licences) AS licences,
      (SELECT max(rowid) FROM licences) AS licencesTop,
      (SELECT count(*) FROM import_rejected_rows) AS rejectedRows,
      (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 15) = 'import_staging_') AS stagingTables,
      (SELECT count(*) FROM imports WHERE status = 'completed') AS completedImports,
      (SELECT count(*) FROM imports WHERE status = 'running') AS runningImports`.execute(db);
  const row = r.rows[0]!;
  return {
    licences: Number(row.licences),
    licencesTop: row.licencesTop === null ? null : Number(row.licencesTop),
    rejectedRows: Number(row.rejectedRows),
    stagingTables: Number(row.stagingTables),
    completedImports: Number(row.completedImports),
    runningImports: Number(row.runningImports),
  };
}

/** One good registry row in a CSV: what a normal import after a hostile request sends. */
export function goodCsv(fileNumber = '371500000901'): string {
  return csv([row(fileNumber)]);
}

/** A normal import still works: 201, one row inserted or unchanged. */
export async function normalImportWorks(t: TestApp, fileNumber = '371500000901'): Promise<boolean> {
  const res = await postCsv(t, goodCsv(fileNumber));
  if (res.status !== 201) return false;
  const body = (await res.json()) as { status: string; inserted: number; unchanged: number };
  return body.status === 'completed' && body.inserted + body.unchanged === 1;
}

export interface Part {
  name?: string;
  filename?: string;
  type?: string;
  /** Extra raw header lines. */
  headers?: string[];
  /** Leave out the Content-Disposition line (busboy skips such a part). */
  noDisposition?: boolean;
  body: string | Uint8Array;
}

const enc = new TextEncoder();

/** A multipart/form-data body by hand: `close: false` leaves off the closing boundary. */
export function multipart(parts: Part[], boundary: string, options: { close?: boolean } = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (const p of parts) {
    const disposition = ['form-data', p.name !== undefined ? `name="${p.name}"` : null, p.filename !== undefined ? `filename="${p.filename}"` : null]
      .filter(Boolean)
      .join('; ');
    const head = [`--${boundary}`, ...(p.noDisposition ? [] : [`Content-Disposition: ${disposition}`]), ...(p.type ? [`Content-Type: ${p.type}`] : []), ...(p.headers ?? [])];
    chunks.push(enc.encode(head.join('\r\n') + '\r\n\r\n'), typeof p.body === 'string' ? enc.encode(p.body) : p.body, enc.encode('\r\n'));
  }
  if (options.close !== false) chunks.push(enc.encode(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

export function postMultipart(t: TestApp, body: Uint8Array, boundary: string, headers: Record<string, string> = {}) {
  return t.request('/api/registry/imports', {
    method: 'POST',
    body,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, ...headers },
  });
}
