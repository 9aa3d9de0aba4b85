-- People sign in (issue 15): staff accounts gain a username and a password (PBKDF2-SHA256,
-- src/staff/passwords.ts), a count of failed sign-ins and a temporary lock; cookie sessions are
-- stored as the SHA-256 of their token only (src/staff/sessions.ts). The `postal` role joins the
-- CHECK (DESIGN.md "Staff roles"). SQLite cannot change a CHECK in place, so staff is rebuilt.
--
-- Many tables reference staff by key and the runner has foreign keys on. As in 0010: deferred,
-- the checks wait for the COMMIT, the drop counts each referencing row as a violation and the
-- re-insert of its parent under the same id takes it back. The copy goes to a plain table first
-- (a rename would rewrite the children's REFERENCES to the new name).
PRAGMA defer_foreign_keys = ON;

CREATE TABLE staff_before_0011 AS SELECT * FROM staff;
DROP TABLE staff;

CREATE TABLE staff (
  id                   TEXT PRIMARY KEY,
  name                 TEXT NOT NULL,
  role                 TEXT NOT NULL CHECK (role IN ('admin', 'dispatcher', 'examiner', 'postal')),
  token_hash           TEXT NOT NULL UNIQUE,
  active               INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at           TEXT NOT NULL,
  -- stored lower-case (ASCII letters, digits, . _ -); NOCASE keeps the key case-insensitive even so.
  -- NULL for accounts that only have an API token (every account made before this migration).
  username             TEXT COLLATE NOCASE UNIQUE,
  -- 'pbkdf2-sha256$<iterations>$<salt>$<hash>'; NULL = cannot sign in with a password
  password_hash        TEXT,
  failed_sign_ins      INTEGER NOT NULL DEFAULT 0 CHECK (failed_sign_ins >= 0),
  locked_until         TEXT,
  password_changed_at  TEXT,
  last_sign_in_at      TEXT,
  CHECK (password_hash IS NULL OR username IS NOT NULL)
);

INSERT INTO staff (id, name, role, token_hash, active, created_at)
SELECT id, name, role, token_hash, active, created_at FROM staff_before_0011;
DROP TABLE staff_before_0011;

-- One row per browser session. The key is the SHA-256 of the cookie's token (the token itself is
-- never stored); `id` names the session in lists and audit without revealing anything.
CREATE TABLE staff_sessions (
  token_hash    TEXT PRIMARY KEY,
  id            TEXT NOT NULL UNIQUE,
  staff_id      TEXT NOT NULL REFERENCES staff (id),
  created_at    TEXT NOT NULL,
  last_seen_at  TEXT NOT NULL,
  -- the absolute end (SESSION_MAX_HOURS after the sign-in); the idle end is last_seen_at + SESSION_IDLE_MINUTES
  expires_at    TEXT NOT NULL,
  ended_at      TEXT,
  -- e.g. 'Chrome on Windows': a summary, never the raw header
  user_agent    TEXT
) WITHOUT ROWID;
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id, ended_at);

-- The audit log is searched by who and by subject (GET /api/audit, issue 15).
CREATE INDEX audit_log_staff_at ON audit_log (staff_id, at);
CREATE INDEX audit_log_subject_at ON audit_log (subject, at);
