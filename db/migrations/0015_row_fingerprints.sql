-- What each licence's row looked like in the import that last wrote it (issue 18): a 53-bit
-- fingerprint of its cells (src/registry/known-rows.ts), mixed with the keyed hash of its ID
-- number, so that it tells nothing about the ID that id_hash does not. A re-import recognises an
-- unchanged row by it and skips the row's validation, sealing and staging. NULL until an import
-- writes the row again (rows imported before this migration take the full path once).
ALTER TABLE licences ADD COLUMN row_hash INTEGER;
