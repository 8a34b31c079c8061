-- Entry details for every kind: a book's current page and finish date, a movie's watch date, and
-- where an imported entry came from (so importing the same file twice adds nothing).
ALTER TABLE entries ADD COLUMN current_page INTEGER;
ALTER TABLE entries ADD COLUMN finished_on TEXT;        -- ISO date (YYYY-MM-DD), books
ALTER TABLE entries ADD COLUMN watched_on TEXT;         -- ISO date (YYYY-MM-DD), movies
ALTER TABLE entries ADD COLUMN import_key TEXT;         -- e.g. "goodreads:12345"; null when typed in
CREATE UNIQUE INDEX entries_import_key ON entries (chat_id, import_key) WHERE import_key IS NOT NULL;
CREATE INDEX entries_by_chat_added ON entries (chat_id, added_at_ms);
