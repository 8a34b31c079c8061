-- Imports read from a file and summarised, waiting for the chat's confirmation button. Applying one
-- adds its entries (deduplicated by import key) and marks it applied, in one transaction.
CREATE TABLE imports (
  id TEXT PRIMARY KEY,
  chat_id TEXT NOT NULL,
  source TEXT NOT NULL,                       -- goodreads, letterboxd, yamtrack, media-tracker
  entries_json TEXT NOT NULL,                 -- the entries to add; emptied once applied
  skipped_json TEXT NOT NULL DEFAULT '[]',    -- rows left out, with the reason
  summary TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  applied_at_ms INTEGER
) STRICT;
CREATE INDEX imports_by_chat ON imports (chat_id, created_at_ms);
