-- Issue 16: the driver's written authorisation (委托书, RULES.md §5, Art 105), held submissions and
-- idempotent exam posts.
--
-- The postal worker of the crew acts as the driver's agent at 12123 only with the driver's signed
-- authorisation: one live record per visit (a wrong one is withdrawn by an admin, then recorded
-- again: the withdrawn row stays, for the audit). The signer's name and the photo of the signed
-- form are personal data, stored sealed with DATA_KEY (the photo as sealed base64).
CREATE TABLE authorisations (
  id            TEXT PRIMARY KEY,
  visit_id      TEXT NOT NULL REFERENCES visits (id),
  signer_name   TEXT NOT NULL,
  relation      TEXT NOT NULL CHECK (relation IN ('self', 'spouse', 'child', 'relative', 'other')),
  photo         TEXT NOT NULL,
  photo_type    TEXT NOT NULL CHECK (photo_type IN ('image/jpeg', 'image/png', 'image/webp')),
  recorded_by   TEXT NOT NULL REFERENCES staff (id),
  recorded_at   TEXT NOT NULL,
  withdrawn_at  TEXT,
  withdrawn_by  TEXT REFERENCES staff (id),
  withdrawn_reason TEXT,
  CHECK ((withdrawn_at IS NULL) = (withdrawn_by IS NULL))
);
-- One live authorisation per visit: a second is refused (409) until the first is withdrawn.
CREATE UNIQUE INDEX authorisations_live ON authorisations (visit_id) WHERE withdrawn_at IS NULL;

-- A submission created while its visit has no live authorisation is held ('authorisation'): the
-- worker never claims it. Recording the authorisation releases it; withdrawing holds it again.
ALTER TABLE submissions ADD COLUMN held_for TEXT CHECK (held_for IN ('authorisation'));
CREATE INDEX submissions_held ON submissions (exam_id) WHERE held_for IS NOT NULL;

-- The first answer to a request sent with an Idempotency-Key (POST /api/visits/{id}/exam): the same
-- key with the same body gets it again; with another body, a 409. Written in the request's own batch.
CREATE TABLE idempotency_keys (
  key              TEXT NOT NULL,
  route            TEXT NOT NULL,
  staff_id         TEXT NOT NULL REFERENCES staff (id),
  body_hash        TEXT NOT NULL,
  response_status  INTEGER NOT NULL,
  response_body    TEXT NOT NULL,
  created_at       TEXT NOT NULL,
  PRIMARY KEY (route, key)
);
