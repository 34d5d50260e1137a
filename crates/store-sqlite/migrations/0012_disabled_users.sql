-- Users who left: they can no longer log in, and their sessions ended when they were
-- disabled. A row of its own rather than a column, so that re-enabling is a delete.
CREATE TABLE IF NOT EXISTS disabled_users (
    user_id     TEXT    PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    disabled_at INTEGER NOT NULL
) STRICT;
