-- Entries' text folded for search (lower case, accents out: "Amélie" → "amelie"), computed in
-- JavaScript because SQLite's lower() and LIKE fold only ASCII letters. Rows older than this
-- migration start NULL; the application fills them when it opens the database (src/store/media.ts),
-- before it serves anything. The partial index finds those rows without reading the table.
ALTER TABLE entries ADD COLUMN search_text TEXT;
CREATE INDEX entries_unfolded ON entries (id) WHERE search_text IS NULL;
