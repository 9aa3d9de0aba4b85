-- Crews, shifts, planning and booking of joint postal + medical home visits (issue 4).

-- Postal workers and medical examiners who go to drivers' doors. A staff account is linked when
-- the person signs in (an examiner records exams for their own shifts).
CREATE TABLE field_staff (
  id            TEXT PRIMARY KEY,
  kind          TEXT NOT NULL CHECK (kind IN ('postal', 'examiner')),
  name          TEXT NOT NULL,
  -- E.164; printed on the route sheet so the partner can be reached
  phone         TEXT NOT NULL,
  organisation  TEXT NOT NULL,
  staff_id      TEXT UNIQUE REFERENCES staff (id),
  active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);

-- A shift: one crew (a postal worker and an examiner) on one date, between two wall-clock times
-- (Asia/Shanghai, HH:MM), from a start point to an end point, optionally limited to an area
-- (a list of communities, or a circle).
CREATE TABLE shifts (
  id                TEXT PRIMARY KEY,
  date              TEXT NOT NULL,
  starts_at         TEXT NOT NULL CHECK (starts_at GLOB '[0-2][0-9]:[0-5][0-9]'),
  ends_at           TEXT NOT NULL CHECK (ends_at GLOB '[0-2][0-9]:[0-5][0-9]'),
  postal_id         TEXT NOT NULL REFERENCES field_staff (id),
  examiner_id       TEXT NOT NULL REFERENCES field_staff (id),
  start_label       TEXT NOT NULL,
  start_lat         REAL NOT NULL,
  start_lng         REAL NOT NULL,
  end_label         TEXT NOT NULL,
  end_lat           REAL NOT NULL,
  end_lng           REAL NOT NULL,
  -- JSON array of community names, or null
  area_communities  TEXT,
  area_lat          REAL,
  area_lng          REAL,
  area_radius_km    REAL,
  -- most visits the crew takes (planned, booked and confirmed together)
  capacity          INTEGER NOT NULL CHECK (capacity > 0),
  status            TEXT NOT NULL CHECK (status IN ('open', 'cancelled')),
  created_by        TEXT REFERENCES staff (id),
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL,
  CHECK (starts_at < ends_at),
  CHECK (postal_id <> examiner_id)
);
CREATE INDEX shifts_date ON shifts (date, starts_at);

-- Nobody is in two overlapping open shifts, whoever writes and however concurrently.
CREATE TRIGGER shifts_no_overlap_insert BEFORE INSERT ON shifts
WHEN NEW.status = 'open' AND EXISTS (
  SELECT 1 FROM shifts s
  WHERE s.status = 'open' AND s.date = NEW.date AND s.starts_at < NEW.ends_at AND NEW.starts_at < s.ends_at
    AND (s.postal_id IN (NEW.postal_id, NEW.examiner_id) OR s.examiner_id IN (NEW.postal_id, NEW.examiner_id)))
BEGIN
  SELECT RAISE(ABORT, 'shift_overlap');
END;

CREATE TRIGGER shifts_no_overlap_update BEFORE UPDATE ON shifts
WHEN NEW.status = 'open' AND EXISTS (
  SELECT 1 FROM shifts s
  WHERE s.id <> NEW.id AND s.status = 'open' AND s.date = NEW.date AND s.starts_at < NEW.ends_at AND NEW.starts_at < s.ends_at
    AND (s.postal_id IN (NEW.postal_id, NEW.examiner_id) OR s.examiner_id IN (NEW.postal_id, NEW.examiner_id)))
BEGIN
  SELECT RAISE(ABORT, 'shift_overlap');
END;

-- A visit serves all the open cases of one driver (RULES.md §5). `planned` is the dispatcher's
-- draft (the driver knows nothing yet); committing makes it `booked` and tells the driver.
CREATE TABLE visits (
  id                    TEXT PRIMARY KEY,
  file_number           TEXT NOT NULL REFERENCES licences (file_number),
  conversation_id       TEXT REFERENCES conversations (id),
  shift_id              TEXT NOT NULL REFERENCES shifts (id),
  date                  TEXT NOT NULL,
  status                TEXT NOT NULL CHECK (status IN ('planned', 'booked', 'confirmed', 'done', 'no_show', 'cancelled')),
  -- position in the crew's route, and the planned start of the checkup (HH:MM)
  seq                   INTEGER NOT NULL,
  starts_at             TEXT NOT NULL,
  service_minutes       INTEGER NOT NULL,
  -- the window the driver is told (HH:MM-HH:MM)
  window_start          TEXT NOT NULL,
  window_end            TEXT NOT NULL,
  -- the stop: a community gate (drivers of one community are seen one after another) or a door
  stop_key              TEXT NOT NULL,
  stop_label            TEXT NOT NULL,
  lat                   REAL NOT NULL,
  lng                   REAL NOT NULL,
  part_of_day           TEXT CHECK (part_of_day IN ('am', 'pm')),
  -- JSON array of the ids of the cases the visit serves
  cases                 TEXT NOT NULL,
  needs_cognitive_test  INTEGER NOT NULL CHECK (needs_cognitive_test IN (0, 1)),
  pinned                INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
  -- bumped by every change the driver must be told about (each revision gets its own notices)
  revision              INTEGER NOT NULL DEFAULT 0,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL,
  booked_at             TEXT,
  confirmed_at          TEXT,
  closed_at             TEXT,
  closed_reason         TEXT,
  closed_by             TEXT REFERENCES staff (id)
);
-- No driver is booked twice.
CREATE UNIQUE INDEX visits_one_active ON visits (file_number) WHERE status IN ('planned', 'booked', 'confirmed');
CREATE INDEX visits_shift ON visits (shift_id, seq);
CREATE INDEX visits_date ON visits (date, status);
-- Every inbound SMS asks whether its conversation has a visit booked (src/outreach/answers.ts).
CREATE INDEX visits_booked_conversation ON visits (conversation_id) WHERE status IN ('booked', 'confirmed');

-- No shift over its capacity: checked inside the writing transaction, so concurrent bookings
-- cannot both take the last place.
CREATE TRIGGER visits_capacity_insert BEFORE INSERT ON visits
WHEN NEW.status IN ('planned', 'booked', 'confirmed') AND (
  SELECT COUNT(*) FROM visits v WHERE v.shift_id = NEW.shift_id AND v.status IN ('planned', 'booked', 'confirmed')
) >= (SELECT capacity FROM shifts WHERE id = NEW.shift_id)
BEGIN
  SELECT RAISE(ABORT, 'shift_full');
END;

CREATE TRIGGER visits_capacity_update BEFORE UPDATE OF shift_id, status ON visits
WHEN NEW.status IN ('planned', 'booked', 'confirmed')
  AND (NEW.shift_id <> OLD.shift_id OR OLD.status NOT IN ('planned', 'booked', 'confirmed'))
  AND (
    SELECT COUNT(*) FROM visits v WHERE v.shift_id = NEW.shift_id AND v.status IN ('planned', 'booked', 'confirmed')
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
WHEN NEW.capacity < (SELECT COUNT(*) FROM visits v WHERE v.shift_id = NEW.id AND v.status IN ('planned', 'booked', 'confirmed'))
BEGIN
  SELECT RAISE(ABORT, 'shift_full');
END;

-- The last preview of each date: what could not be planned, and why.
CREATE TABLE plan_runs (
  id           TEXT PRIMARY KEY,
  date         TEXT NOT NULL,
  staff_id     TEXT REFERENCES staff (id),
  created_at   TEXT NOT NULL,
  seed         INTEGER NOT NULL,
  elapsed_ms   INTEGER NOT NULL,
  iterations   INTEGER NOT NULL,
  -- JSON: [{"fileNumber","reason"}], and figures {"planned","distanceKm","travelMinutes"}
  unassigned   TEXT NOT NULL,
  figures      TEXT NOT NULL
);
CREATE INDEX plan_runs_date ON plan_runs (date, created_at);

-- SMS about visits (appointment, reminder, cancellation): an outbox decided at send time, one
-- per visit, kind and revision, claimed pending -> sending so that none goes out twice.
CREATE TABLE visit_notices (
  id          TEXT PRIMARY KEY,
  visit_id    TEXT NOT NULL REFERENCES visits (id),
  kind        TEXT NOT NULL CHECK (kind IN ('appointment', 'reminder', 'cancelled')),
  revision    INTEGER NOT NULL,
  due_at      TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'done', 'failed', 'skipped')),
  attempts    INTEGER NOT NULL DEFAULT 0,
  claimed_at  TEXT,
  message_id  TEXT REFERENCES messages (id),
  note        TEXT,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  UNIQUE (visit_id, kind, revision)
);
CREATE INDEX visit_notices_due ON visit_notices (due_at) WHERE status = 'pending';
CREATE INDEX visit_notices_sending ON visit_notices (claimed_at) WHERE status = 'sending';
