-- Passaparola's first schema. Times are Unix milliseconds (UTC); identifiers are UUIDv7 text.
-- Secrets (API keys, invitation tokens, edit tokens) are stored only as SHA-256 hashes.

CREATE TABLE businesses (
    id          TEXT    PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    website     TEXT,
    created_at  INTEGER NOT NULL
) STRICT;

-- A business may hold several keys; revoking sets revoked_at, so the history stays.
CREATE TABLE api_keys (
    hash        BLOB    PRIMARY KEY,
    business_id TEXT    NOT NULL REFERENCES businesses (id),
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX api_keys_by_business ON api_keys (business_id);

-- One invitation per business and reference (an order number): asking again is idempotent.
CREATE TABLE invitations (
    id             TEXT    PRIMARY KEY,
    business_id    TEXT    NOT NULL REFERENCES businesses (id),
    reference      TEXT    NOT NULL,
    token_hash     BLOB    NOT NULL UNIQUE,
    relationship   TEXT    NOT NULL CHECK (relationship IN
                       ('customer', 'supplier', 'employee', 'partner', 'investor', 'other')),
    customer_name  TEXT,   -- personal data, private to the business
    customer_email TEXT,   -- personal data, private to the business
    locale         TEXT    NOT NULL CHECK (locale IN ('it', 'en')),
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER,
    UNIQUE (business_id, reference)
) STRICT;

CREATE TABLE invitation_products (
    invitation_id TEXT    NOT NULL REFERENCES invitations (id),
    position      INTEGER NOT NULL,
    sku           TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    PRIMARY KEY (invitation_id, position),
    UNIQUE (invitation_id, sku)
) STRICT, WITHOUT ROWID;

-- seq is internal: it breaks ties in the sort orders and never leaves the server except
-- inside an opaque cursor. Content columns stay until erasure; a withdrawn review is shown
-- as a tombstone.
CREATE TABLE reviews (
    seq             INTEGER PRIMARY KEY,
    id              TEXT    NOT NULL UNIQUE,
    business_id     TEXT    NOT NULL REFERENCES businesses (id),
    invitation_id   TEXT    UNIQUE REFERENCES invitations (id),
    relationship    TEXT    NOT NULL,
    verified        INTEGER NOT NULL CHECK (verified IN (0, 1)),
    status          TEXT    NOT NULL CHECK (status IN ('published', 'withdrawn')),
    rating          INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    title           TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    nps             INTEGER CHECK (nps BETWEEN 0 AND 10),
    experience_date TEXT,
    author_name     TEXT    NOT NULL,
    language        TEXT    NOT NULL,
    edit_token_hash BLOB    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER,
    edit_count      INTEGER NOT NULL DEFAULT 0,
    withdrawn_at    INTEGER
) STRICT;
-- One index per sort order family, per business and relationship, so that every page is an
-- index range scan: by date (newest and oldest), by rating with the newest first within a
-- star value (highest, scanned backwards), and lowest first with the newest first.
CREATE INDEX reviews_by_date
    ON reviews (business_id, relationship, status, created_at, seq);
CREATE INDEX reviews_by_rating
    ON reviews (business_id, relationship, status, rating, created_at, seq);
CREATE INDEX reviews_by_rating_low
    ON reviews (business_id, relationship, status, rating, created_at DESC, seq DESC);

CREATE TABLE replies (
    review_id      TEXT    PRIMARY KEY REFERENCES reviews (id),
    body           TEXT    NOT NULL,
    responder_name TEXT    NOT NULL,
    responder_role TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER,
    edit_count     INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

CREATE TABLE follow_ups (
    review_id  TEXT    PRIMARY KEY REFERENCES reviews (id),
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Every change to a review, in order, with a JSON snapshot of what it published. This is a
-- review's public history, and the place where the signed log's entries will come from.
CREATE TABLE review_events (
    seq       INTEGER PRIMARY KEY,
    review_id TEXT    NOT NULL REFERENCES reviews (id),
    kind      TEXT    NOT NULL,
    at        INTEGER NOT NULL,
    data      TEXT    NOT NULL
) STRICT;
CREATE INDEX review_events_by_review ON review_events (review_id, seq);

-- Running tallies per business and relationship, moved by every review write.
CREATE TABLE summary_tallies (
    business_id  TEXT    NOT NULL REFERENCES businesses (id),
    relationship TEXT    NOT NULL,
    reviews      INTEGER NOT NULL DEFAULT 0,
    stars_1      INTEGER NOT NULL DEFAULT 0,
    stars_2      INTEGER NOT NULL DEFAULT 0,
    stars_3      INTEGER NOT NULL DEFAULT 0,
    stars_4      INTEGER NOT NULL DEFAULT 0,
    stars_5      INTEGER NOT NULL DEFAULT 0,
    promoters    INTEGER NOT NULL DEFAULT 0,
    passives     INTEGER NOT NULL DEFAULT 0,
    detractors   INTEGER NOT NULL DEFAULT 0,
    replied      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (business_id, relationship)
) STRICT, WITHOUT ROWID;

-- Time to first reply of each published, replied review, indexed so that the median is a
-- seek into the index rather than a sort of all replies.
CREATE TABLE reply_delays (
    review_id    TEXT    PRIMARY KEY REFERENCES reviews (id),
    business_id  TEXT    NOT NULL,
    relationship TEXT    NOT NULL,
    seconds      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX reply_delays_by_business ON reply_delays (business_id, relationship, seconds);
