-- What an operator did to stuck work with `npm run admin` (retry or drop a parked message, resend a
-- failed send): who, when, and what the row looked like. It is also how a running bot learns of
-- such a change made from another process: it reads the rows past the last one it saw.
CREATE TABLE operator_actions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  action TEXT NOT NULL CHECK (action IN ('retry', 'drop', 'resend')),
  target_id TEXT NOT NULL,                     -- an inbox message id (retry, drop) or an outbox row id (resend)
  agent_key TEXT NOT NULL,
  actor TEXT NOT NULL,                         -- the OS user who ran the command, or its --by
  at_ms INTEGER NOT NULL,
  previous_error TEXT                          -- the error the message or send had stopped with
) STRICT;
CREATE INDEX operator_actions_by_target ON operator_actions (target_id);

-- The admin CLI and the metrics list and count parked messages and failed sends: few rows, found
-- without reading every finished one.
CREATE INDEX inbox_parked ON inbox (seq) WHERE status = 'parked';
CREATE INDEX outbox_failed ON outbox (id) WHERE status = 'failed';
