-- Foundation: staff access, audit, licence registry and its imports, screening cases.
-- Forward-only; applied by the Node migrator (src/db/migrate.ts) and by wrangler d1 migrations.

CREATE TABLE staff (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  role        TEXT NOT NULL CHECK (role IN ('admin', 'dispatcher', 'examiner')),
  token_hash  TEXT NOT NULL UNIQUE,
  active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at  TEXT NOT NULL
);

CREATE TABLE audit_log (
  id        TEXT PRIMARY KEY,
  at        TEXT NOT NULL,
  staff_id  TEXT REFERENCES staff (id),
  action    TEXT NOT NULL,
  subject   TEXT,
  details   TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE imports (
  id           TEXT PRIMARY KEY,
  staff_id     TEXT REFERENCES staff (id),
  source       TEXT NOT NULL CHECK (source IN ('api', 'cli')),
  filename     TEXT,
  status       TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
  started_at   TEXT NOT NULL,
  finished_at  TEXT,
  total_rows   INTEGER NOT NULL DEFAULT 0,
  inserted     INTEGER NOT NULL DEFAULT 0,
  updated      INTEGER NOT NULL DEFAULT 0,
  unchanged    INTEGER NOT NULL DEFAULT 0,
  rejected     INTEGER NOT NULL DEFAULT 0,
  warnings     TEXT NOT NULL DEFAULT '[]',
  -- the file error that rejected the whole file: {"line","code","message"}
  error        TEXT,
  -- the header as sent (column names are not personal data), for the rejected-rows download
  header       TEXT
);
CREATE INDEX imports_started_at ON imports (started_at);

-- Rejected rows: the cells are personal data, so they are stored encrypted like ID numbers.
CREATE TABLE import_rejected_rows (
  import_id     TEXT NOT NULL REFERENCES imports (id),
  line          INTEGER NOT NULL,
  cells_cipher  TEXT NOT NULL,
  errors        TEXT NOT NULL,
  PRIMARY KEY (import_id, line)
) WITHOUT ROWID;

-- Validated rows of an import in progress. Copied into licences in one atomic statement when the
-- whole file has been read without a file error, so an import is never stored half-done.
CREATE TABLE import_staging (
  import_id               TEXT NOT NULL,
  line                    INTEGER NOT NULL,
  file_number             TEXT NOT NULL,
  id_cipher               TEXT NOT NULL,
  id_hash                 INTEGER NOT NULL,
  id_masked               TEXT NOT NULL,
  birth_date              TEXT NOT NULL,
  sex                     TEXT NOT NULL,
  name                    TEXT NOT NULL,
  phone                   TEXT NOT NULL,
  phone_kind              TEXT NOT NULL,
  address                 TEXT NOT NULL,
  community               TEXT,
  classes                 TEXT NOT NULL,
  first_issued_on         TEXT NOT NULL,
  valid_until             TEXT,
  extension_until         TEXT,
  last_cert_submitted_on  TEXT,
  status                  TEXT NOT NULL,
  lat                     REAL,
  lng                     REAL
);

CREATE TABLE licences (
  file_number             TEXT PRIMARY KEY,
  -- AES-256-GCM of the ID number; id_hash is a keyed hash (53 bits of HMAC-SHA256) for look-ups
  id_cipher               TEXT NOT NULL,
  id_hash                 INTEGER NOT NULL,
  id_masked               TEXT NOT NULL,
  birth_date              TEXT NOT NULL,
  sex                     TEXT NOT NULL CHECK (sex IN ('M', 'F')),
  name                    TEXT NOT NULL,
  phone                   TEXT NOT NULL,
  phone_kind              TEXT NOT NULL CHECK (phone_kind IN ('mobile', 'landline')),
  address                 TEXT NOT NULL,
  community               TEXT,
  classes                 TEXT NOT NULL,
  first_issued_on         TEXT NOT NULL,
  valid_until             TEXT,
  extension_until         TEXT,
  last_cert_submitted_on  TEXT,
  status                  TEXT NOT NULL CHECK (status IN ('active', 'cancelled', 'revoked')),
  lat                     REAL,
  lng                     REAL,
  import_id               TEXT NOT NULL REFERENCES imports (id),
  created_at              TEXT NOT NULL,
  updated_at              TEXT NOT NULL
);
CREATE INDEX licences_id_hash ON licences (id_hash);

CREATE TABLE screening_runs (
  id                TEXT PRIMARY KEY,
  staff_id          TEXT REFERENCES staff (id),
  trigger           TEXT NOT NULL CHECK (trigger IN ('api', 'cli', 'schedule')),
  as_of             TEXT NOT NULL,
  lead_days         INTEGER NOT NULL,
  renewal_min_age   INTEGER NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
  started_at        TEXT NOT NULL,
  finished_at       TEXT,
  licences_screened INTEGER NOT NULL DEFAULT 0,
  -- {"flagged":{category:n},"created":n,"superseded":n,"lapsed":n,"reopened":n}
  counts            TEXT NOT NULL DEFAULT '{}',
  error             TEXT
);
CREATE INDEX screening_runs_started_at ON screening_runs (started_at);
-- One run at a time: two would close each other's cases.
CREATE UNIQUE INDEX screening_runs_one_running ON screening_runs (status) WHERE status = 'running';

CREATE TABLE cases (
  id                    TEXT PRIMARY KEY,
  file_number           TEXT NOT NULL REFERENCES licences (file_number),
  category              TEXT NOT NULL CHECK (category IN
                          ('annual_exam_70', 'downgrade_63', 'downgrade_70', 'cancellation_notice', 'expiry_renewal')),
  trigger_on            TEXT NOT NULL,
  opens_on              TEXT NOT NULL,
  due_on                TEXT NOT NULL,
  lapses_on             TEXT,
  overdue               INTEGER NOT NULL CHECK (overdue IN (0, 1)),
  target_classes        TEXT,
  needs_cognitive_test  INTEGER NOT NULL CHECK (needs_cognitive_test IN (0, 1)),
  reason                TEXT,
  status                TEXT NOT NULL CHECK (status IN ('open', 'superseded', 'lapsed')),
  -- the run that first flagged this case; a run rewrites a case only when its content changed
  first_run_id          TEXT NOT NULL REFERENCES screening_runs (id),
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL,
  closed_at             TEXT,
  UNIQUE (file_number, category, trigger_on)
);
-- The case list pages by (due_on, id) within a status; every other filter narrows that walk.
-- Few indexes on purpose: a screening run rewrites hundreds of thousands of cases.
CREATE INDEX cases_status_due ON cases (status, due_on, id);
