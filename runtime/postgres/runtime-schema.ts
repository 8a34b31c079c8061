// The runtime's own tables on PostgreSQL, as numbered migrations: the same tables as
// runtime/sqlite/runtime-schema.ts, where they grew in three steps (1 runtime, 2 dedup and clock,
// 3 operator actions). PostgreSQL starts from their final state in one migration numbered 3, so
// that one version number means one schema in both databases. Versions 4 and 5 are the replicas'
// tables (runtime/replicas/replica-schema.ts, PostgreSQL only); a later change is 6 in both lists.
//
// Types: BIGSERIAL for the keys SQLite numbers itself (AUTOINCREMENT: never reused, but a sequence
// hands out numbers at INSERT, not at COMMIT), BIGINT for every epoch-millisecond column, TEXT for
// JSON (stored and compared as the text it is, as in SQLite).
import type { Migration } from "../migrate.js";

const RUNTIME = `
-- Every message an agent will handle, stored once by its unique id (dedup happens here).
CREATE TABLE inbox (
  seq BIGSERIAL PRIMARY KEY,                   -- arrival order; an agent takes its messages in this order
  id TEXT NOT NULL UNIQUE,                     -- e.g. "tg:<bot id>:<update_id>" or "timer:<id>"
  agent_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'parked')),
  attempts INTEGER NOT NULL DEFAULT 0,         -- failed or crashed tries so far
  last_error TEXT,
  received_at_ms BIGINT NOT NULL,
  completed_at_ms BIGINT,
  fingerprint TEXT                             -- a short hash of the body: tells a reused id from a redelivery
);
CREATE INDEX inbox_pending ON inbox (agent_key, seq) WHERE status = 'pending';
CREATE INDEX inbox_parked ON inbox (seq) WHERE status = 'parked';

-- What each step of a message's handling returned, so a replay returns it instead of redoing it.
CREATE TABLE journal (
  message_id TEXT NOT NULL,
  seq INTEGER NOT NULL,                        -- the step's position within the message
  step_name TEXT NOT NULL,                     -- compared on replay: a mismatch is non-determinism
  output_json TEXT,
  error_json TEXT,
  completed_at_ms BIGINT NOT NULL,
  PRIMARY KEY (message_id, seq)
);

-- Each agent's state as versioned JSON, saved with the completion of every message.
CREATE TABLE agent_state (
  agent_key TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  state_json TEXT NOT NULL,
  updated_at_ms BIGINT NOT NULL
);

-- Outgoing messages: written in the agent's transaction, delivered by the outbox worker in order.
CREATE TABLE outbox (
  id BIGSERIAL PRIMARY KEY,                    -- also the per-agent delivery order
  agent_key TEXT NOT NULL,
  message_id TEXT NOT NULL,                    -- the inbox message whose handling wrote it
  payload_json TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at_ms BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  sent_at_ms BIGINT,
  result_json TEXT,
  last_error TEXT
);
CREATE INDEX outbox_unsent ON outbox (agent_key, id) WHERE status IN ('pending', 'sending');
CREATE INDEX outbox_failed ON outbox (id) WHERE status = 'failed';

-- Durable timers: a due timer becomes an inbox message "timer:<id>" for its agent. fire_at_ms is
-- wall-clock time; armed_at_ms, later than the clock reads now, proves the clock was stepped back.
CREATE TABLE timers (
  id TEXT PRIMARY KEY,
  agent_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  fire_at_ms BIGINT NOT NULL,
  fired_at_ms BIGINT,
  canceled_at_ms BIGINT,
  armed_at_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX timers_armed ON timers (fire_at_ms) WHERE fired_at_ms IS NULL AND canceled_at_ms IS NULL;

-- Small facts about the runtime itself, e.g. 'clean_stop': the last stop finished its work in progress.
CREATE TABLE runtime_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- What an operator did to stuck work with \`npm run admin\` (retry or drop a parked message, resend a
-- failed send): who, when, and what the row looked like. Also how a running bot learns of such a
-- change made from another process: it reads the rows past the last one it saw.
CREATE TABLE operator_actions (
  id BIGSERIAL PRIMARY KEY,
  action TEXT NOT NULL CHECK (action IN ('retry', 'drop', 'resend')),
  target_id TEXT NOT NULL,                     -- an inbox message id (retry, drop) or an outbox row id (resend)
  agent_key TEXT NOT NULL,
  actor TEXT NOT NULL,                         -- the OS user who ran the command, or its --by
  at_ms BIGINT NOT NULL,
  previous_error TEXT                          -- the error the message or send had stopped with
);
CREATE INDEX operator_actions_by_target ON operator_actions (target_id);
`;

export const RUNTIME_MIGRATIONS: Migration[] = [{ version: 3, name: "runtime", sql: RUNTIME }];
