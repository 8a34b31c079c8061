-- What a title provider (TMDB, Open Library, TVmaze) knew about an entry, beyond the ids and cover
-- of 0007: a show's TVmaze id and episode counts per season, and the last new episode the chat was
-- told about. All null for an entry typed by hand.
ALTER TABLE entries ADD COLUMN tvmaze_id INTEGER CHECK (tvmaze_id IS NULL OR tvmaze_id > 0);
-- JSON: episode counts per season, keyed by season number, e.g. {"1":9,"2":10}
ALTER TABLE entries ADD COLUMN season_episodes TEXT CHECK (season_episodes IS NULL OR json_valid(season_episodes));
-- The last new episode announced for this show, e.g. "S2E6": never announced twice, across restarts.
ALTER TABLE entries ADD COLUMN last_alerted TEXT CHECK (last_alerted IS NULL OR last_alerted GLOB 'S[0-9]*E[0-9]*');

-- "Already in your list" matches by provider id first; the new-episode check reads every show with
-- a TVmaze id, across chats, so one fetch serves every chat watching it.
CREATE INDEX entries_by_tmdb ON entries (chat_id, tmdb_id) WHERE tmdb_id IS NOT NULL;
CREATE INDEX entries_by_open_library ON entries (chat_id, open_library_key) WHERE open_library_key IS NOT NULL;
CREATE INDEX entries_by_isbn ON entries (chat_id, isbn) WHERE isbn IS NOT NULL;
CREATE INDEX entries_by_tvmaze ON entries (tvmaze_id) WHERE tvmaze_id IS NOT NULL;

-- Per-chat settings; a chat without a row has the defaults. /alerts off sets alerts_enabled to 0.
CREATE TABLE chat_settings (
  chat_id TEXT PRIMARY KEY,
  alerts_enabled INTEGER NOT NULL DEFAULT 1 CHECK (alerts_enabled IN (0, 1))
) STRICT;
