import type { Generated, Selectable } from 'kysely';

export interface ImportsTable {
  id: string;
  staff_id: string | null;
  source: 'api' | 'cli';
  filename: string | null;
  status: 'running' | 'completed' | 'failed';
  started_at: string;
  finished_at: Generated<string | null>;
  total_rows: Generated<number>;
  inserted: Generated<number>;
  updated: Generated<number>;
  unchanged: Generated<number>;
  rejected: Generated<number>;
  /** JSON array of strings. */
  warnings: Generated<string>;
  /** JSON `{ line, code, message }` of the file error, if any. */
  error: Generated<string | null>;
  /** JSON array of header cells. */
  header: Generated<string | null>;
  /** The lease (issue 13): refreshed while the import runs; a running import whose heartbeat is old is dead. */
  heartbeat_at: Generated<string | null>;
}
export type ImportRow = Selectable<ImportsTable>;

/** An import handed to the queue and not yet started (db/migrations/0014_queued_imports.sql). */
export interface ImportQueueTable {
  id: string;
  staff_id: string | null;
  source: 'api' | 'cli';
  filename: string | null;
  bytes: number;
  queued_at: string;
}
export type QueuedImportRow = Selectable<ImportQueueTable>;

export interface ImportRejectedRowsTable {
  import_id: string;
  line: number;
  cells_cipher: string;
  /** JSON array of `{ field, code, message }`. */
  errors: string;
}

/** The stored form of a licence (shared by the import's staging table and the licences table). */
export interface LicenceColumns {
  file_number: string;
  id_cipher: string;
  id_hash: number;
  id_masked: string;
  birth_date: string;
  sex: 'M' | 'F';
  name: string;
  phone: string;
  phone_kind: 'mobile' | 'landline';
  address: string;
  community: string | null;
  /** Canonical order, space separated: `A2 D`. */
  classes: string;
  first_issued_on: string;
  valid_until: string | null;
  extension_until: string | null;
  last_cert_submitted_on: string | null;
  status: 'active' | 'cancelled' | 'revoked';
  lat: number | null;
  lng: number | null;
  /** The fingerprint of the row as last imported (src/registry/known-rows.ts); null before. */
  row_hash: number | null;
}

export interface LicencesTable extends LicenceColumns {
  import_id: string;
  created_at: string;
  updated_at: string;
}
export type LicenceRow = Selectable<LicencesTable>;
