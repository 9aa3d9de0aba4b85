-- Outbox reconciliation (issue 13). A claim (pending -> sending) now records, in the same UPDATE,
-- the number and the exact text handed to the provider. A row found `sending` after a crash or a
-- database error between the provider's acceptance and the write is looked up at the provider by
-- that number, text and claim time before anything is sent again: found, it is recorded as sent;
-- not found, it is sent again. Rows claimed before this migration have neither and are given up
-- as before. The text is what the messages table stores for a sent SMS; calls have none.
ALTER TABLE outreach_steps ADD COLUMN send_to TEXT;
ALTER TABLE outreach_steps ADD COLUMN send_body TEXT;
ALTER TABLE visit_notices ADD COLUMN send_to TEXT;
ALTER TABLE visit_notices ADD COLUMN send_body TEXT;
ALTER TABLE completion_notices ADD COLUMN send_to TEXT;
ALTER TABLE completion_notices ADD COLUMN send_body TEXT;
