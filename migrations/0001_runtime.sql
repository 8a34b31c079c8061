-- The durable-agent runtime's own tables. Times are epoch milliseconds (*_at_ms).

-- Every message an agent will handle, stored once by its unique id (dedup happens here).
CREATE TABLE inbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,       -- arrival order; an agent takes its messages in this order
  id TEXT NOT NULL UNIQUE,                     -- e.g. "tg:<update_id>" or "timer:<id>"
  agent_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'parked')),
  attempts INTEGER NOT NULL DEFAULT 0,         -- failed or crashed tries so far
  last_error TEXT,
  received_at_ms INTEGER NOT NULL,
  completed_at_ms INTEGER
) STRICT;
CREATE INDEX inbox_pending ON inbox (agent_key, seq) WHERE status = 'pending';

-- What each step of a message's handling returned, so a replay returns it instead of redoing it.
CREATE TABLE journal (
  message_id TEXT NOT NULL,
  seq INTEGER NOT NULL,                        -- the step's position within the message
  step_name TEXT NOT NULL,                     -- compared on replay: a mismatch is non-determinism
  output_json TEXT,
  error_json TEXT,
  completed_at_ms INTEGER NOT NULL,
  PRIMARY KEY (message_id, seq)
) STRICT, WITHOUT ROWID;

-- Each agent's state as versioned JSON, saved with the completion of every message.
CREATE TABLE agent_state (
  agent_key TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  state_json TEXT NOT NULL,
  updated_at_ms INTEGER NOT NULL
) STRICT;

-- Outgoing messages: written in the agent's transaction, delivered by the outbox worker in order.
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,        -- also the per-agent delivery order
  agent_key TEXT NOT NULL,
  message_id TEXT NOT NULL,                    -- the inbox message whose handling wrote it
  payload_json TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at_ms INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  sent_at_ms INTEGER,
  result_json TEXT,
  last_error TEXT
) STRICT;
CREATE INDEX outbox_unsent ON outbox (agent_key, id) WHERE status IN ('pending', 'sending');

-- Durable timers: a due timer becomes an inbox message "timer:<id>" for its agent.
CREATE TABLE timers (
  id TEXT PRIMARY KEY,
  agent_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  fire_at_ms INTEGER NOT NULL,
  fired_at_ms INTEGER,
  canceled_at_ms INTEGER
) STRICT;
CREATE INDEX timers_armed ON timers (fire_at_ms) WHERE fired_at_ms IS NULL AND canceled_at_ms IS NULL;

-- Small facts about the runtime itself, e.g. 'clean_stop': the last stop finished its work in progress.
CREATE TABLE runtime_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
