-- Outreach (issue 3): one conversation per driver, its ladder of steps, every SMS and call in
-- both directions, drivers' answers, opt-outs, and the provider's webhooks as received.

-- One conversation per driver covers all the driver's open cases. `closed` is the only status
-- that lets a new conversation start (next cycle's cases).
CREATE TABLE conversations (
  id              TEXT PRIMARY KEY,
  file_number     TEXT NOT NULL REFERENCES licences (file_number),
  -- E.164 number and kind when the conversation started; refreshed from the registry at send time
  phone           TEXT NOT NULL,
  phone_kind      TEXT NOT NULL CHECK (phone_kind IN ('mobile', 'landline')),
  status          TEXT NOT NULL CHECK (status IN
                    ('active', 'unreachable', 'confirmed', 'declined', 'reschedule', 'opted_out', 'closed')),
  -- JSON array of the categories of the driver's open cases at the start (statistics per category)
  categories      TEXT NOT NULL,
  started_by      TEXT REFERENCES staff (id),
  started_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL,
  answered_at     TEXT,
  answer_channel  TEXT CHECK (answer_channel IN ('sms', 'voice', 'phone')),
  reschedule_on   TEXT,
  reschedule_part TEXT CHECK (reschedule_part IN ('am', 'pm')),
  closed_at       TEXT,
  closed_reason   TEXT
);
CREATE UNIQUE INDEX conversations_one_open ON conversations (file_number) WHERE status <> 'closed';
-- Replies are matched by number to the driver's conversation (RULES.md §7).
CREATE INDEX conversations_phone ON conversations (phone) WHERE status <> 'closed';
CREATE INDEX conversations_status ON conversations (status, updated_at, id);

-- The ladder. Only the next step of a conversation exists as `pending`; whether it is sent is
-- decided when it is due. UNIQUE (conversation_id, seq) and the pending -> sending claim make a
-- step go out at most once, whatever the number of workers.
CREATE TABLE outreach_steps (
  id               TEXT PRIMARY KEY,
  conversation_id  TEXT NOT NULL REFERENCES conversations (id),
  seq              INTEGER NOT NULL,
  channel          TEXT NOT NULL CHECK (channel IN ('sms', 'voice', 'call_list')),
  due_at           TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'done', 'failed', 'cancelled', 'skipped')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  claimed_at       TEXT,
  message_id       TEXT,
  note             TEXT,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  UNIQUE (conversation_id, seq)
);
CREATE INDEX outreach_steps_due ON outreach_steps (due_at) WHERE status = 'pending';
CREATE INDEX outreach_steps_sending ON outreach_steps (claimed_at) WHERE status = 'sending';

-- Every SMS and call, out and in. `status` follows the provider's callbacks forward only.
CREATE TABLE messages (
  id               TEXT PRIMARY KEY,
  conversation_id  TEXT REFERENCES conversations (id),
  file_number      TEXT,
  direction        TEXT NOT NULL CHECK (direction IN ('out', 'in')),
  channel          TEXT NOT NULL CHECK (channel IN ('sms', 'voice')),
  phone            TEXT NOT NULL,
  -- what was said: notice, help, ack_confirm, ..., reply (inbound)
  purpose          TEXT NOT NULL,
  body             TEXT,
  segments         INTEGER,
  provider         TEXT NOT NULL CHECK (provider IN ('twilio', 'recording', 'twiml')),
  provider_sid     TEXT UNIQUE,
  status           TEXT NOT NULL,
  error_code       TEXT,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at);
CREATE INDEX messages_phone ON messages (phone, created_at);
CREATE INDEX messages_created ON messages (created_at);

-- Drivers' answers by SMS, keypress or to staff on the phone, and replies no driver could be
-- matched to (outcome unknown_number / ambiguous_number: the staff inbox).
CREATE TABLE answers (
  id               TEXT PRIMARY KEY,
  conversation_id  TEXT REFERENCES conversations (id),
  file_number      TEXT,
  phone            TEXT NOT NULL,
  channel          TEXT NOT NULL CHECK (channel IN ('sms', 'voice', 'phone')),
  intent           TEXT NOT NULL CHECK (intent IN
                     ('confirm', 'decline', 'reschedule', 'opt_out', 'help', 'unknown', 'no_answer', 'wrong_number')),
  reschedule_on    TEXT,
  reschedule_part  TEXT,
  outcome          TEXT NOT NULL CHECK (outcome IN
                     ('applied', 'help_sent', 'help_suppressed', 'unknown_number', 'ambiguous_number', 'after_opt_out', 'recorded')),
  message_id       TEXT REFERENCES messages (id),
  staff_id         TEXT REFERENCES staff (id),
  note             TEXT,
  handled_by       TEXT REFERENCES staff (id),
  handled_at       TEXT,
  at               TEXT NOT NULL
);
CREATE INDEX answers_conversation ON answers (conversation_id, at);
CREATE INDEX answers_at ON answers (at);
CREATE INDEX answers_inbox ON answers (at, id) WHERE outcome IN ('unknown_number', 'ambiguous_number') AND handled_at IS NULL;

-- Opt-out is per number (`TD` / 退订 / STOP): nothing more is sent to it.
CREATE TABLE opt_outs (
  phone        TEXT PRIMARY KEY,
  at           TEXT NOT NULL,
  channel      TEXT NOT NULL CHECK (channel IN ('sms', 'voice', 'phone')),
  file_number  TEXT
) WITHOUT ROWID;

-- Every webhook, stored before it is answered. The dedupe key (kind, provider sid and what makes
-- a repeat distinct) makes the same delivery have no second effect.
CREATE TABLE webhook_events (
  id            TEXT PRIMARY KEY,
  kind          TEXT NOT NULL CHECK (kind IN ('sms', 'message_status', 'voice', 'gather', 'call_status')),
  dedupe_key    TEXT NOT NULL UNIQUE,
  params        TEXT NOT NULL,
  received_at   TEXT NOT NULL,
  processed_at  TEXT,
  error         TEXT
);
CREATE INDEX webhook_events_unprocessed ON webhook_events (received_at) WHERE processed_at IS NULL;
