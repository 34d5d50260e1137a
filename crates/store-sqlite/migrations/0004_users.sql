-- The people who act for a business on the web pages. They log in with an e-mail address
-- (stored lower-cased, unique across the instance) and a password, kept only as an argon2id
-- PHC string. Their name and role sign the business's replies.
CREATE TABLE users (
    id            TEXT    PRIMARY KEY,
    business_id   TEXT    NOT NULL REFERENCES businesses (id),
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    role          TEXT,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX users_by_business ON users (business_id);

-- Logged-in sessions: the cookie's random token is stored only as its SHA-256.
CREATE TABLE sessions (
    token_hash BLOB    PRIMARY KEY,
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_by_user ON sessions (user_id);
