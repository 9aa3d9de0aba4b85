-- Issue 13: a webhook's signature is seen once. Twilio signs the URL plus the sorted key+value
-- pairs with no separator, so characters can be moved between a key and the next value without
-- changing the signature: the parsed MessageSid (and so the dedupe key) changes, the signature
-- does not. Each event keeps a digest of (URL, X-Twilio-Signature); a second event with the same
-- digest fails on this index, in the same atomic batch as the event's effects, and is answered
-- as a duplicate. NULL for events stored before this migration and for events without one.
ALTER TABLE webhook_events ADD COLUMN signature TEXT;
CREATE UNIQUE INDEX webhook_events_signature ON webhook_events (signature);
