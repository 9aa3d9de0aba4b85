-- Exams at the door and the durable 12123 submission queue (issue 5).

-- Cases gain the status `completed`: the 12123 gateway accepted the case's business. SQLite cannot
-- change a CHECK constraint in place, so the table is rebuilt (nothing references it by key).
CREATE TABLE cases_new (
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
  status                TEXT NOT NULL CHECK (status IN ('open', 'superseded', 'lapsed', 'completed')),
  first_run_id          TEXT NOT NULL REFERENCES screening_runs (id),
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL,
  closed_at             TEXT,
  UNIQUE (file_number, category, trigger_on)
);
INSERT INTO cases_new SELECT id, file_number, category, trigger_on, opens_on, due_on, lapses_on, overdue, target_classes,
  needs_cognitive_test, reason, status, first_run_id, created_at, updated_at, closed_at FROM cases;
DROP TABLE cases;
ALTER TABLE cases_new RENAME TO cases;
CREATE INDEX cases_status_due ON cases (status, due_on, id);

-- One exam per visit, recorded by the examiner of the shift (or an admin). The medical findings
-- and the item-by-item result are sensitive personal data (PIPL Art 28): they are stored sealed
-- (AES-256-GCM, the key of the ID numbers) and shown to admins and the examiner only.
CREATE TABLE exams (
  id                   TEXT PRIMARY KEY,
  visit_id             TEXT NOT NULL UNIQUE REFERENCES visits (id),
  file_number          TEXT NOT NULL REFERENCES licences (file_number),
  -- the examiner of the shift (field staff) and the account that entered the record
  examiner_id          TEXT NOT NULL REFERENCES field_staff (id),
  recorded_by          TEXT NOT NULL REFERENCES staff (id),
  started_at           TEXT NOT NULL,
  ended_at             TEXT NOT NULL,
  pass                 INTEGER NOT NULL CHECK (pass IN (0, 1)),
  -- JSON array of the classes the thresholds were taken from (the classes the driver will hold)
  classes              TEXT NOT NULL,
  -- sealed JSON {findings, items, thresholds}
  medical              TEXT NOT NULL,
  certificate_number   TEXT NOT NULL UNIQUE,
  institution          TEXT NOT NULL,
  issued_on            TEXT NOT NULL,
  valid_until          TEXT NOT NULL,
  created_at           TEXT NOT NULL,
  CHECK (started_at <= ended_at),
  CHECK (issued_on <= valid_until)
);
CREATE INDEX exams_file_number ON exams (file_number);

-- An exam closes its visit in the same batch (status done, reason exam): an exam for a visit
-- cancelled or completed meanwhile is refused; two exams for one visit hit the UNIQUE key.
CREATE TRIGGER exams_visit_closed_by_exam BEFORE INSERT ON exams
WHEN NOT EXISTS (SELECT 1 FROM visits v WHERE v.id = NEW.visit_id AND v.status = 'done' AND v.closed_reason = 'exam')
BEGIN
  SELECT RAISE(ABORT, 'visit_not_open');
END;

-- What the exam did for each case of the visit: a submission, or the staff follow-up list (a
-- failed exam, or a certificate that would expire before the case opens).
CREATE TABLE exam_cases (
  exam_id         TEXT NOT NULL REFERENCES exams (id),
  case_id         TEXT NOT NULL REFERENCES cases (id),
  outcome         TEXT NOT NULL CHECK (outcome IN ('submitted', 'follow_up')),
  -- follow_up: why, and what may still be possible (e.g. a downgrade), in words for staff
  reason          TEXT,
  hint            TEXT,
  -- staff close a follow-up: `revisit` puts the driver back in the planner's pool, `handled`
  -- means it was settled another way (at the counter, a downgrade applied for, ...)
  resolved_at     TEXT,
  resolved_by     TEXT REFERENCES staff (id),
  resolution      TEXT CHECK (resolution IN ('revisit', 'handled')),
  resolution_note TEXT,
  PRIMARY KEY (exam_id, case_id)
);
CREATE INDEX exam_cases_case ON exam_cases (case_id);
CREATE INDEX exam_cases_follow_up ON exam_cases (outcome, resolved_at);

-- The transactional outbox of 12123 businesses. `pending` rows are due from `next_attempt_at`
-- once `not_before` (the case's opens_on, a date in Asia/Shanghai) has come; a worker takes one
-- with a lease (`leased`, a fresh `lease_token`) and only the holder of the token may finish it.
CREATE TABLE submissions (
  id                TEXT PRIMARY KEY,
  case_id           TEXT NOT NULL UNIQUE REFERENCES cases (id),
  exam_id           TEXT NOT NULL REFERENCES exams (id),
  file_number       TEXT NOT NULL REFERENCES licences (file_number),
  business          TEXT NOT NULL CHECK (business IN ('submit_certificate', 'age_downgrade', 'expiry_renewal')),
  -- JSON, documented in src/submissions/payload.ts
  payload           TEXT NOT NULL,
  idempotency_key   TEXT NOT NULL UNIQUE,
  not_before        TEXT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('pending', 'leased', 'accepted', 'dead', 'cancelled')),
  attempts          INTEGER NOT NULL DEFAULT 0,
  next_attempt_at   TEXT NOT NULL,
  lease_token       TEXT,
  lease_expires_at  TEXT,
  last_error        TEXT,
  reference         TEXT,
  -- when the exam started: the figures measure exam start -> acceptance
  exam_started_at   TEXT NOT NULL,
  accepted_at       TEXT,
  dead_at           TEXT,
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL
);
CREATE INDEX submissions_due ON submissions (next_attempt_at) WHERE status = 'pending';
CREATE INDEX submissions_leased ON submissions (lease_expires_at) WHERE status = 'leased';
CREATE INDEX submissions_status ON submissions (status, updated_at);
CREATE INDEX submissions_accepted ON submissions (accepted_at) WHERE status = 'accepted';

-- Every try at the gateway, and the admin's actions: the per-day figures (retries, dead letters)
-- and the history shown with a submission.
CREATE TABLE submission_events (
  id              TEXT PRIMARY KEY,
  submission_id   TEXT NOT NULL REFERENCES submissions (id),
  at              TEXT NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('accepted', 'transient', 'dead', 'retried', 'cancelled')),
  http_status     INTEGER,
  error           TEXT,
  staff_id        TEXT REFERENCES staff (id)
);
CREATE INDEX submission_events_at ON submission_events (at, kind);
CREATE INDEX submission_events_submission ON submission_events (submission_id, at);

-- Pause and resume of the queue by an admin: a single row read by every worker.
CREATE TABLE queue_control (
  queue       TEXT PRIMARY KEY,
  paused      INTEGER NOT NULL CHECK (paused IN (0, 1)),
  changed_by  TEXT REFERENCES staff (id),
  changed_at  TEXT NOT NULL
);
INSERT INTO queue_control VALUES ('submissions', 0, NULL, '1970-01-01T00:00:00.000Z');

-- The driver's SMS when a business was accepted: an outbox like visit_notices; every accepted
-- submission of a driver still pending at send time goes out as one SMS.
CREATE TABLE completion_notices (
  id             TEXT PRIMARY KEY,
  submission_id  TEXT NOT NULL UNIQUE REFERENCES submissions (id),
  file_number    TEXT NOT NULL REFERENCES licences (file_number),
  due_at         TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'done', 'failed', 'skipped')),
  attempts       INTEGER NOT NULL DEFAULT 0,
  claimed_at     TEXT,
  message_id     TEXT REFERENCES messages (id),
  note           TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);
CREATE INDEX completion_notices_due ON completion_notices (due_at) WHERE status = 'pending';
CREATE INDEX completion_notices_sending ON completion_notices (claimed_at) WHERE status = 'sending';
