-- Deduplication that survives /forget and a reset of Telegram's update ids, and timers that a wall
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
