-- Issue 13: imports and screening runs hold a lease with a heartbeat. A process refreshes
-- heartbeat_at every few seconds while its import or run goes on; one whose heartbeat is older
-- than RUN_LEASE_SECONDS (30 s) died with its process: the next import or run, and the start-up
-- recovery (src/recovery.ts), mark it failed and drop its staging table at once. NULL for rows
-- written before this migration: their started_at stands in.
ALTER TABLE imports ADD COLUMN heartbeat_at TEXT;
ALTER TABLE screening_runs ADD COLUMN heartbeat_at TEXT;
-- screening_runs_one_running (0001) stays: one running run at a time, the lease itself. A new run
-- takes it over by failing the dead one and inserting itself in one batch.
CREATE INDEX imports_running ON imports (status) WHERE status = 'running';

-- Always empty: a batch that must only apply while its import or run still holds its lease starts
-- with `INSERT INTO lease_guard SELECT ... WHERE NOT EXISTS (<the lease row>)`. With the lease
-- lost, that row breaks the CHECK and the whole batch fails (D1 has no interactive transaction
-- to test the lease in first: the test must be a statement of the batch).
CREATE TABLE lease_guard (
  lost TEXT NOT NULL,
  CONSTRAINT lease_lost CHECK (0)
);
