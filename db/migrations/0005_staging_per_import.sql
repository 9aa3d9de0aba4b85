-- Each registry import now stages its rows in a table of its own (import_staging_<import id>),
-- created when the import starts and dropped when it ends: dropping a table costs far less than
-- deleting a million rows, and a staged row no longer carries its import id. The shared table goes.
DROP TABLE import_staging;
