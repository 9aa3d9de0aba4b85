-- Which DATA_KEY this database was written with (issue 13). A check value of the key (128 bits of
-- HMAC-SHA256 of the key over a fixed label; never the key) is recorded on the first start, so
-- that a start with another key stops with a clear message instead of failing on every read.
CREATE TABLE data_key_check (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  key_check    TEXT NOT NULL,
  recorded_at  TEXT NOT NULL
);

-- Progress of `cli rotate-key`, one row per sealed column: the primary key of the last row
-- re-sealed, written in the same batch as the rows, so a killed rotation resumes after it.
-- Deleted when the rotation finishes (in the batch that records the new key check value).
CREATE TABLE key_rotation_progress (
  target      TEXT PRIMARY KEY,
  -- the check value of the key being rotated to
  to_check    TEXT NOT NULL,
  -- JSON array of the last primary key done; null = not started
  after       TEXT,
  rows_done   INTEGER NOT NULL DEFAULT 0,
  updated_at  TEXT NOT NULL
);
