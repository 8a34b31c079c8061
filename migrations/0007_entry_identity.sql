-- What other services know about an entry, kept so that exports give it back and imports from
-- another source recognise it: a book's ISBN, page count and how many times it was read; a movie's
-- watch count; provider ids (TMDB for movies and shows, Open Library for books) and a cover image.
ALTER TABLE entries ADD COLUMN isbn TEXT;                -- 10 or 13 characters, no hyphens, books
ALTER TABLE entries ADD COLUMN pages INTEGER;            -- the book's length, books
ALTER TABLE entries ADD COLUMN read_count INTEGER;       -- times read (Goodreads' Read Count), books
ALTER TABLE entries ADD COLUMN watch_count INTEGER;      -- times watched (a diary's rewatches), movies
ALTER TABLE entries ADD COLUMN tmdb_id INTEGER;          -- movies and shows
ALTER TABLE entries ADD COLUMN open_library_key TEXT;    -- e.g. OL27448W, books
ALTER TABLE entries ADD COLUMN cover_url TEXT;
