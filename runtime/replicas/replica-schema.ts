// The tables replicas share on PostgreSQL, as the migrations that follow the runtime's own
// PostgreSQL list (runtime/postgres/runtime-schema.ts, versions 1-3 folded into 3): runtimeMigrations
// appends them. SQLite never gets them, so its list skips their numbers: a later change of the
// runtime's tables takes the next free number (6) in both lists. (Numbers must grow along the list:
// `migrate` applies what is newer than the newest version recorded.)
import type { Migration } from "../migrate.js";

export const REPLICA_MIGRATIONS: Migration[] = [
  {
    version: 4,
    name: "chat_leases",
    sql: `
-- Which process serves each chat (agent key) now; see runtime/replicas/chat-leases.ts.
CREATE TABLE chat_leases (
  agent_key TEXT PRIMARY KEY,
  holder TEXT NOT NULL,                        -- a process instance ('' once released)
  epoch BIGINT NOT NULL,                       -- +1 each time another holder takes the chat
  expires_at_ms BIGINT NOT NULL,               -- the database's clock
  -- Makes epoch a key column for row locks: a unit's guard (FOR KEY SHARE) then holds off a
  -- takeover, which changes the epoch, until the unit commits, while a heartbeat, which changes
  -- expires_at_ms only, never waits for it.
  UNIQUE (agent_key, epoch)
);
CREATE INDEX chat_leases_by_holder ON chat_leases (holder);
`,
  },
  {
    version: 5,
    name: "send_rate",
    sql: `
-- Telegram's global send rate, shared by every process: the time of the next free send slot
-- (the database's clock); see runtime/replicas/send-rate.ts.
CREATE TABLE send_rate (
  bucket TEXT PRIMARY KEY,
  next_slot_ms BIGINT NOT NULL
);
`,
  },
];
