-- Media entries: what each chat reads, watches and quotes. One row per entry, typed columns per kind.
CREATE TABLE entries (
  id TEXT PRIMARY KEY,
  chat_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('book', 'movie', 'show', 'quote')),
  title TEXT NOT NULL,
  author TEXT,
  year INTEGER,
  rating REAL CHECK (rating IS NULL OR (rating >= 1 AND rating <= 5)),
  season INTEGER,
  episode INTEGER,
  status TEXT,
  quote_text TEXT,
  notes TEXT,
  added_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX entries_by_chat ON entries (chat_id, kind, added_at_ms);
