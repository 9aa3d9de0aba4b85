-- Imports handed to a queue (issue 17: a Worker streams a large upload into R2 and answers 202).
-- From that answer until the consumer starts it, the import is on record here, so that its
-- address shows it waiting instead of answering 404; the consumer moves it to `imports` (as
-- `running`, in the batch that deletes it here: the import's primary key there makes a second
-- delivery of the same job fail to start it again). A job that never starts is recorded there as
-- failed by the cron's sweep. A table of its own rather than a new status of `imports`: SQLite
-- cannot change that table's CHECK in place, and rebuilding it checks every licence's reference to
-- it (9.5 s for a million licences of 50 imports).
CREATE TABLE import_queue (
  id         TEXT PRIMARY KEY,
  staff_id   TEXT REFERENCES staff (id),
  source     TEXT NOT NULL CHECK (source IN ('api', 'cli')),
  filename   TEXT,
  bytes      INTEGER NOT NULL,
  queued_at  TEXT NOT NULL
);
CREATE INDEX import_queue_queued_at ON import_queue (queued_at);
