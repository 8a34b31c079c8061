-- The history of each entry: one row per dated thing that happened to it (a movie watched again, a
-- book finished again, an episode watched, a rating or status changed). Entries keep their current
-- state; this table keeps how they got there, for /history, /stats and exports.
-- `at` is a day (YYYY-MM-DD) or an ISO 8601 instant (UTC); both sort as text, a day before its instants.
CREATE TABLE entry_events (
  id INTEGER PRIMARY KEY,                                  -- the order events were recorded in
  chat_id TEXT NOT NULL,
  entry_id TEXT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
  at TEXT NOT NULL CHECK (at GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]*' AND length(at) <= 35),
  event TEXT NOT NULL CHECK (event IN ('watched', 'finished', 'episode', 'rated', 'status')),
  season INTEGER CHECK (season IS NULL OR season >= 0),
  episode INTEGER CHECK (episode IS NULL OR episode >= 0),
  rating REAL CHECK (rating IS NULL OR (rating >= 1 AND rating <= 5)),
  status TEXT,
  CHECK (event <> 'episode' OR (season IS NOT NULL AND episode IS NOT NULL)),
  CHECK (event <> 'rated' OR rating IS NOT NULL),
  CHECK (event <> 'status' OR status IS NOT NULL)
) STRICT;
CREATE INDEX entry_events_by_chat_at ON entry_events (chat_id, at);
-- An entry's own events (cards, /history) and the cascade when it is deleted.
CREATE INDEX entry_events_by_entry ON entry_events (entry_id, at);

-- Today's dates become the first events. Only what has a date is history: a watch or read count
-- above 1 (from an import) stays a count on the entry, with no invented dates; exports take the
-- larger of that count and the dated events (export/formats.ts). A current rating, status or episode
-- has no date either, so it is not an event; changes from now on are.
INSERT INTO entry_events (chat_id, entry_id, at, event)
  SELECT chat_id, id, finished_on, 'finished' FROM entries
  WHERE kind = 'book' AND finished_on GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]*'
  ORDER BY added_at_ms, id;
INSERT INTO entry_events (chat_id, entry_id, at, event)
  SELECT chat_id, id, watched_on, 'watched' FROM entries
  WHERE kind = 'movie' AND watched_on GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]*'
  ORDER BY added_at_ms, id;
