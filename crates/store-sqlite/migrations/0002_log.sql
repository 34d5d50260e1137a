-- The public log (see docs/log-format.md). The Merkle tree is stored as tlog's append-only
-- array of "stored hashes"; entries by index serve the entry bundles; every signed
-- checkpoint is kept.

CREATE TABLE log_hashes (
    idx  INTEGER PRIMARY KEY,
    hash BLOB    NOT NULL CHECK (length(hash) = 32)
) STRICT;

CREATE TABLE log_entries (
    idx   INTEGER PRIMARY KEY,
    entry BLOB    NOT NULL
) STRICT;

CREATE TABLE log_checkpoints (
    size       INTEGER PRIMARY KEY,
    signed     BLOB    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

-- Each event is one log entry. The opening (salt and canonical content) lets anyone
-- recompute the entry's commitment; erasure deletes it and leaves the entry.
ALTER TABLE review_events ADD COLUMN log_index INTEGER;
ALTER TABLE review_events ADD COLUMN salt BLOB;
ALTER TABLE review_events ADD COLUMN content BLOB;
CREATE UNIQUE INDEX review_events_by_log_index ON review_events (log_index);
