// The runtime owns its tables: the SQLite schema of inbox, journal, agent_state, outbox, timers,
// runtime_meta and operator_actions, as numbered migrations recorded in runtime_migrations (see
// runtime/schema.ts). The application keeps its own tables in its own migrations folder.
//
// These were the application's migrations 0001, 0005 and 0010 before the runtime owned them; the SQL
// is theirs, unchanged, renumbered 1, 2 and 3. A database made before then recorded them in
// schema_migrations: adoptLegacyRuntimeSchema() carries those records over, once.
import { createMigrationsTable, tableExists, type Migration } from "../migrate.js";
import type { Sql } from "../store.js";

const RUNTIME = `-- The durable-agent runtime's own tables. Times are epoch milliseconds (*_at_ms).

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
`;

const DEDUP_AND_CLOCK = `-- Deduplication that survives /forget and a reset of Telegram's update ids, and timers that a wall
-- clock stepped back cannot stall.

-- A fingerprint of each message's body (a short hash, not the content). A message arriving under an
-- id already stored with another fingerprint is a different message reusing the id (Telegram
-- restarts update ids after a week without updates) and is stored as "<id>~<fingerprint>". Rows
-- from before this migration have none: their ids count as seen, as they did.
ALTER TABLE inbox ADD COLUMN fingerprint TEXT;

-- Updates are keyed "tg:<bot id>:<update_id>" from now on. The rows stored before, keyed
-- "tg:<update_id>" without the bot, keep their ids: the journals and timers of unfinished ones
-- refer to them. The front door counts such an old key as the same update only within Telegram's
-- redelivery horizon (a day), so an update delivered again across the upgrade is still handled
-- once, and a later update of another bot or a reset id space that reuses the number is not taken
-- for it. Retention deletes them like any other row.

-- When each timer was armed. fire_at_ms stays wall-clock time; a timer whose arming time is later
-- than the clock reads now proves the clock was stepped back since, and is moved back with it (see
-- runtime/timers.ts). Armed timers from before this migration were armed by now at the latest.
ALTER TABLE timers ADD COLUMN armed_at_ms INTEGER NOT NULL DEFAULT 0;
UPDATE timers SET armed_at_ms = MIN(fire_at_ms, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
  WHERE fired_at_ms IS NULL AND canceled_at_ms IS NULL;
`;

const OPERATOR_ACTIONS = `-- What an operator did to stuck work with \`npm run admin\` (retry or drop a parked message, resend a
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
`;

export const RUNTIME_MIGRATIONS: Migration[] = [
  { version: 1, name: "runtime", sql: RUNTIME },
  { version: 2, name: "dedup_and_clock", sql: DEDUP_AND_CLOCK },
  { version: 3, name: "operator_actions", sql: OPERATOR_ACTIONS },
];

/** Which version of the application's schema_migrations each runtime migration used to be. */
const LEGACY_APP_VERSIONS: ReadonlyArray<{ runtimeVersion: number; appVersion: number }> = [
  { runtimeVersion: 1, appVersion: 1 },
  { runtimeVersion: 2, appVersion: 5 },
  { runtimeVersion: 3, appVersion: 10 },
];

export const RUNTIME_MIGRATIONS_TABLE = "runtime_migrations";

/**
 * A file made before the runtime owned its schema has the runtime's tables but no
 * runtime_migrations: creates it from what schema_migrations recorded (1 ← 1, 2 ← 5, 3 ← 10, with
 * their times), so those are never applied twice. Does nothing on any other file, so it runs once.
 * Run it in the unit that migrates the runtime schema next: both commit together or not at all.
 * Returns the runtime versions it recorded.
 */
export async function adoptLegacyRuntimeSchema(tx: Sql): Promise<number[]> {
  if (await tableExists(tx, RUNTIME_MIGRATIONS_TABLE)) return [];
  if (!(await tableExists(tx, "schema_migrations"))) return [];
  await createMigrationsTable(tx, RUNTIME_MIGRATIONS_TABLE);
  const adopted: number[] = [];
  for (const { runtimeVersion, appVersion } of LEGACY_APP_VERSIONS) {
    const { name } = RUNTIME_MIGRATIONS.find((m) => m.version === runtimeVersion)!;
    const { changes } = await tx.run(
      `INSERT INTO ${RUNTIME_MIGRATIONS_TABLE} (version, name, applied_at_ms)
       SELECT ?, ?, applied_at_ms FROM schema_migrations WHERE version = ?`,
      [runtimeVersion, name, appVersion],
    );
    if (changes === 1) adopted.push(runtimeVersion);
  }
  return adopted;
}
