-- The visit life cycle as one table (issue 14, "the done trap"; src/scheduling/visit-lifecycle.ts).
-- Visits gain `en_route` and `arrived` (the crew is on its way, at the door: active, never moved by
-- a re-plan), and `done` becomes `exam_recorded`: a visit is finished only by its exam or its
-- no-show. SQLite cannot change a CHECK in place, so the table is rebuilt.
--
-- visit_notices and exams reference visits by key, and the runner has foreign keys on (a PRAGMA
-- foreign_keys inside a transaction is ignored). Deferred, the checks wait for the COMMIT: the
-- drop counts each child row as a violation and re-inserting its parent under the same id takes
-- it back, so the COMMIT fails if any row lost its visit. The copy goes to a plain table first
-- (not renamed into place: a rename would rewrite the children's REFERENCES to the new name).
PRAGMA defer_foreign_keys = ON;

-- The triggers on other tables that read visits' statuses are re-made below with the new ones.
DROP TRIGGER shifts_capacity_update;
DROP TRIGGER exams_visit_closed_by_exam;

CREATE TABLE visits_before_0010 AS SELECT * FROM visits;
DROP TABLE visits;

CREATE TABLE visits (
  id                    TEXT PRIMARY KEY,
  file_number           TEXT NOT NULL REFERENCES licences (file_number),
  conversation_id       TEXT REFERENCES conversations (id),
  shift_id              TEXT NOT NULL REFERENCES shifts (id),
  date                  TEXT NOT NULL,
  status                TEXT NOT NULL CHECK (status IN
                          ('planned', 'booked', 'confirmed', 'en_route', 'arrived', 'exam_recorded', 'no_show', 'cancelled')),
  seq                   INTEGER NOT NULL,
  starts_at             TEXT NOT NULL,
  service_minutes       INTEGER NOT NULL,
  window_start          TEXT NOT NULL,
  window_end            TEXT NOT NULL,
  stop_key              TEXT NOT NULL,
  stop_label            TEXT NOT NULL,
  lat                   REAL NOT NULL,
  lng                   REAL NOT NULL,
  part_of_day           TEXT CHECK (part_of_day IN ('am', 'pm')),
  cases                 TEXT NOT NULL,
  needs_cognitive_test  INTEGER NOT NULL CHECK (needs_cognitive_test IN (0, 1)),
  pinned                INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
  revision              INTEGER NOT NULL DEFAULT 0,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL,
  booked_at             TEXT,
  confirmed_at          TEXT,
  closed_at             TEXT,
  closed_reason         TEXT,
  closed_by             TEXT REFERENCES staff (id),
  -- exam_recorded is closed by the exam and nothing else (the exams trigger checks the reason)
  CHECK (status <> 'exam_recorded' OR closed_reason = 'exam')
);

-- A visit marked done without an exam (closed_reason other than 'exam') had no way forward: the
-- exam was refused and its cases waited for nothing. It becomes cancelled, reason
-- 'done_without_exam': its cases are open, and the driver is in the planner's pool again.
INSERT INTO visits
SELECT id, file_number, conversation_id, shift_id, date,
  CASE WHEN status = 'done' AND closed_reason = 'exam' THEN 'exam_recorded' WHEN status = 'done' THEN 'cancelled' ELSE status END,
  seq, starts_at, service_minutes, window_start, window_end, stop_key, stop_label, lat, lng, part_of_day, cases,
  needs_cognitive_test, pinned, revision, created_at, updated_at, booked_at, confirmed_at, closed_at,
  CASE WHEN status = 'done' AND closed_reason IS NOT 'exam' THEN 'done_without_exam' ELSE closed_reason END,
  closed_by
FROM visits_before_0010;
DROP TABLE visits_before_0010;

-- No driver has two visits under way.
CREATE UNIQUE INDEX visits_one_active ON visits (file_number) WHERE status IN ('planned', 'booked', 'confirmed', 'en_route', 'arrived');
CREATE INDEX visits_shift ON visits (shift_id, seq);
CREATE INDEX visits_date ON visits (date, status);
-- Every inbound SMS asks whether its conversation has a visit booked (src/outreach/answers.ts);
-- once the crew has set out the driver's SMS no longer moves or cancels the visit.
CREATE INDEX visits_booked_conversation ON visits (conversation_id) WHERE status IN ('booked', 'confirmed');

-- No shift over its capacity (visits under way take their place too), checked in the writing transaction.
CREATE TRIGGER visits_capacity_insert BEFORE INSERT ON visits
WHEN NEW.status IN ('planned', 'booked', 'confirmed', 'en_route', 'arrived') AND (
  SELECT COUNT(*) FROM visits v WHERE v.shift_id = NEW.shift_id AND v.status IN ('planned', 'booked', 'confirmed', 'en_route', 'arrived')
) >= (SELECT capacity FROM shifts WHERE id = NEW.shift_id)
BEGIN
  SELECT RAISE(ABORT, 'shift_full');
END;

CREATE TRIGGER visits_capacity_update BEFORE UPDATE OF shift_id, status ON visits
WHEN NEW.status IN ('planned', 'booked', 'confirmed', 'en_route', 'arrived')
  AND (NEW.shift_id <> OLD.shift_id OR OLD.status NOT IN ('planned', 'booked', 'confirmed', 'en_route', 'arrived'))
  AND (
    SELECT COUNT(*) FROM visits v WHERE v.shift_id = NEW.shift_id AND v.status IN ('planned', 'booked', 'confirmed', 'en_route', 'arrived')
  ) >= (SELECT capacity FROM shifts WHERE id = NEW.shift_id)
BEGIN
  SELECT RAISE(ABORT, 'shift_full');
END;

-- Visits only on open shifts.
CREATE TRIGGER visits_open_shift_insert BEFORE INSERT ON visits
WHEN NEW.status IN ('planned', 'booked', 'confirmed') AND (SELECT status FROM shifts WHERE id = NEW.shift_id) <> 'open'
BEGIN
  SELECT RAISE(ABORT, 'shift_closed');
END;

-- A shift's capacity cannot drop below the visits it holds.
CREATE TRIGGER shifts_capacity_update BEFORE UPDATE OF capacity ON shifts
WHEN NEW.capacity < (SELECT COUNT(*) FROM visits v WHERE v.shift_id = NEW.id AND v.status IN ('planned', 'booked', 'confirmed', 'en_route', 'arrived'))
BEGIN
  SELECT RAISE(ABORT, 'shift_full');
END;

-- An exam closes its visit in the same batch (status exam_recorded, reason exam): an exam for a
-- visit cancelled or closed meanwhile is refused; two exams for one visit hit the UNIQUE key.
CREATE TRIGGER exams_visit_closed_by_exam BEFORE INSERT ON exams
WHEN NOT EXISTS (SELECT 1 FROM visits v WHERE v.id = NEW.visit_id AND v.status = 'exam_recorded' AND v.closed_reason = 'exam')
BEGIN
  SELECT RAISE(ABORT, 'visit_not_open');
END;
