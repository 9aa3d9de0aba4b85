-- Why nobody was at the door (the crew's 未见到驾驶人), kept on the visit instead of in its audit
-- entry: the audit log holds no personal data, and a note typed at the door may name someone or
-- say why they were away. The reason is a code (src/scheduling/visits.ts NO_SHOW_REASONS); the
-- note is sealed with DATA_KEY (re-sealed by rotate-key).
ALTER TABLE visits ADD COLUMN no_show_reason TEXT;
ALTER TABLE visits ADD COLUMN no_show_note TEXT;
