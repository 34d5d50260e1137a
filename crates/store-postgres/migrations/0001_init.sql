-- Passaparola's PostgreSQL schema: the SQLite backend's tables as they stand after its
-- migration 0013, in PostgreSQL's types. Times are Unix milliseconds (UTC), as in the
-- SQLite backend, so that `passaparola copy` moves every value unchanged and the list
-- cursors compare the same integers on both; identifiers are UUIDs; secrets (API keys,
-- invitation tokens, edit tokens, session tokens) are stored only as SHA-256 hashes.

CREATE TABLE businesses (
    id          uuid    PRIMARY KEY,
    slug        text    NOT NULL UNIQUE,
    name        text    NOT NULL,
    website     text,
    created_at  bigint  NOT NULL
);

-- A business may hold several keys; revoking sets revoked_at, so the history stays.
CREATE TABLE api_keys (
    hash        bytea   PRIMARY KEY,
    business_id uuid    NOT NULL REFERENCES businesses (id),
    created_at  bigint  NOT NULL,
    revoked_at  bigint
);
CREATE INDEX api_keys_by_business ON api_keys (business_id);

-- One invitation per business and reference (an order number): asking again is idempotent.
CREATE TABLE invitations (
    id             uuid    PRIMARY KEY,
    business_id    uuid    NOT NULL REFERENCES businesses (id),
    reference      text    NOT NULL,
    token_hash     bytea   NOT NULL UNIQUE,
    relationship   text    NOT NULL CHECK (relationship IN
                       ('customer', 'supplier', 'employee', 'partner', 'investor', 'other')),
    customer_name  text,   -- personal data, private to the business
    customer_email text,   -- personal data, private to the business
    locale         text    NOT NULL CHECK (locale IN ('it', 'en')),
    created_at     bigint  NOT NULL,
    expires_at     bigint  NOT NULL,
    UNIQUE (business_id, reference)
);
CREATE INDEX invitations_by_business ON invitations (business_id, created_at);

CREATE TABLE invitation_products (
    invitation_id uuid    NOT NULL REFERENCES invitations (id),
    position      integer NOT NULL,
    sku           text    NOT NULL,
    name          text    NOT NULL,
    PRIMARY KEY (invitation_id, position),
    UNIQUE (invitation_id, sku)
);

-- A business's products, by SKU, with the name its latest invitation gave them.
CREATE TABLE products (
    business_id uuid NOT NULL REFERENCES businesses (id),
    sku         text NOT NULL,
    name        text NOT NULL,
    PRIMARY KEY (business_id, sku)
);

-- seq is internal: it breaks ties in the sort orders and never leaves the server except
-- inside an opaque cursor. An invitation is used once its review exists (invitation_id is
-- unique). Content columns stay until erasure; a withdrawn review is shown as a tombstone.
CREATE TABLE reviews (
    seq             bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              uuid    NOT NULL UNIQUE,
    business_id     uuid    NOT NULL REFERENCES businesses (id),
    invitation_id   uuid    UNIQUE REFERENCES invitations (id),
    relationship    text    NOT NULL,
    verified        boolean NOT NULL,
    status          text    NOT NULL CHECK (status IN ('published', 'withdrawn')),
    rating          integer NOT NULL CHECK (rating BETWEEN 1 AND 5),
    title           text    NOT NULL,
    body            text    NOT NULL,
    nps             integer CHECK (nps BETWEEN 0 AND 10),
    experience_date text,
    author_name     text    NOT NULL,
    language        text    NOT NULL,
    edit_token_hash bytea   NOT NULL,
    created_at      bigint  NOT NULL,
    updated_at      bigint,
    edit_count      integer NOT NULL DEFAULT 0,
    withdrawn_at    bigint,
    erased_at       bigint
);
-- One index per sort order family, so that every page is an index range scan.
CREATE INDEX reviews_by_date
    ON reviews (business_id, relationship, status, created_at, seq);
CREATE INDEX reviews_by_rating
    ON reviews (business_id, relationship, status, rating, created_at, seq);
CREATE INDEX reviews_by_rating_low
    ON reviews (business_id, relationship, status, rating, created_at DESC, seq DESC);

CREATE TABLE replies (
    review_id      uuid    PRIMARY KEY REFERENCES reviews (id),
    body           text    NOT NULL,
    responder_name text    NOT NULL,
    responder_role text,
    created_at     bigint  NOT NULL,
    updated_at     bigint,
    edit_count     integer NOT NULL DEFAULT 0
);

CREATE TABLE follow_ups (
    review_id  uuid    PRIMARY KEY REFERENCES reviews (id),
    body       text    NOT NULL,
    created_at bigint  NOT NULL
);

-- A reviewer's rating (and optional words) of one of the invitation's products.
CREATE TABLE product_reviews (
    review_id   uuid    NOT NULL REFERENCES reviews (id),
    business_id uuid    NOT NULL,
    sku         text    NOT NULL,
    rating      integer NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body        text,
    created_at  bigint  NOT NULL,
    PRIMARY KEY (review_id, sku)
);
CREATE INDEX product_reviews_by_product ON product_reviews (business_id, sku, created_at);

-- Time to first reply of each published, replied review: the median is a seek.
CREATE TABLE reply_delays (
    review_id    uuid    PRIMARY KEY REFERENCES reviews (id),
    business_id  uuid    NOT NULL,
    relationship text    NOT NULL,
    seconds      bigint  NOT NULL
);
CREATE INDEX reply_delays_by_business ON reply_delays (business_id, relationship, seconds);

-- Every change to a review, in order: its public history. `content` is the canonical JSON
-- the log entry commits to and `salt` the entry's salt (both emptied by erasure);
-- `commitment` is kept so that an event erased before it was sequenced still gets its
-- entry. `log_index` is NULL until the sequencer (one server at a time, see
-- `sequencer.rs`) appends the event's entry to the log.
CREATE TABLE review_events (
    seq         bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    review_id   uuid    NOT NULL REFERENCES reviews (id),
    business_id uuid    NOT NULL,
    kind        text    NOT NULL,
    at          bigint  NOT NULL,
    salt        bytea,
    content     bytea,
    commitment  bytea   NOT NULL CHECK (length(commitment) = 32),
    log_index   bigint  UNIQUE
);
CREATE INDEX review_events_by_review ON review_events (review_id, seq);
-- The sequencer's queue: the events not yet in the log, in the order they were written.
CREATE INDEX review_events_pending ON review_events (seq) WHERE log_index IS NULL;

-- The figures' time cells (domain::stats), for a business (product '') or one of its
-- products: span 1 a UTC day, 2 a calendar month, 3 all time, 4 an ISO week; `start` is
-- the cell's first day in days since 1970-01-01 (0 for all time).
CREATE TABLE stat_cells (
    business_id          uuid    NOT NULL,
    product              text    NOT NULL,
    relationship         text    NOT NULL,
    span                 integer NOT NULL CHECK (span IN (1, 2, 3, 4)),
    start                bigint  NOT NULL,
    verified             boolean NOT NULL,
    reviews              bigint  NOT NULL DEFAULT 0,
    stars_1              bigint  NOT NULL DEFAULT 0,
    stars_2              bigint  NOT NULL DEFAULT 0,
    stars_3              bigint  NOT NULL DEFAULT 0,
    stars_4              bigint  NOT NULL DEFAULT 0,
    stars_5              bigint  NOT NULL DEFAULT 0,
    promoters            bigint  NOT NULL DEFAULT 0,
    passives             bigint  NOT NULL DEFAULT 0,
    detractors           bigint  NOT NULL DEFAULT 0,
    replied              bigint  NOT NULL DEFAULT 0,
    replied_low          bigint  NOT NULL DEFAULT 0,
    invitations_sent     bigint  NOT NULL DEFAULT 0,
    invitations_answered bigint  NOT NULL DEFAULT 0,
    score_w              double precision NOT NULL DEFAULT 0,
    score_wr             double precision NOT NULL DEFAULT 0,
    score_wrr            double precision NOT NULL DEFAULT 0,
    score_ww             double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (business_id, product, relationship, span, start, verified)
);

-- How many first replies of a cell's reviews took `bucket` seconds, apart for 1–2 star
-- reviews (low).
CREATE TABLE stat_delays (
    business_id  uuid    NOT NULL,
    product      text    NOT NULL,
    relationship text    NOT NULL,
    span         integer NOT NULL,
    start        bigint  NOT NULL,
    verified     boolean NOT NULL,
    low          boolean NOT NULL,
    bucket       bigint  NOT NULL,
    count        bigint  NOT NULL,
    PRIMARY KEY (business_id, product, relationship, span, start, verified, low, bucket)
);

-- The people who act for a business on the web pages (e-mail stored lower-cased).
CREATE TABLE users (
    id            uuid    PRIMARY KEY,
    business_id   uuid    NOT NULL REFERENCES businesses (id),
    email         text    NOT NULL UNIQUE,
    name          text    NOT NULL,
    role          text,
    password_hash text    NOT NULL,
    created_at    bigint  NOT NULL
);
CREATE INDEX users_by_business ON users (business_id);

-- Users who left: a row of its own, so that re-enabling is a delete.
CREATE TABLE disabled_users (
    user_id     uuid    PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    disabled_at bigint  NOT NULL
);

-- Logged-in sessions: the cookie's random token is stored only as its SHA-256.
CREATE TABLE sessions (
    token_hash bytea   PRIMARY KEY,
    user_id    uuid    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at bigint  NOT NULL,
    expires_at bigint  NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- The public log (docs/log-format.md): tlog's append-only array of stored hashes, the
-- entries by index, and every signed checkpoint. Only the sequencer writes them.
CREATE TABLE log_hashes (
    idx  bigint PRIMARY KEY,
    hash bytea  NOT NULL CHECK (length(hash) = 32)
);
CREATE TABLE log_entries (
    idx   bigint PRIMARY KEY,
    entry bytea  NOT NULL
);
CREATE TABLE log_checkpoints (
    size       bigint PRIMARY KEY,
    signed     bytea  NOT NULL,
    created_at bigint NOT NULL
);

-- Who sequences the log: the server holding the advisory lock writes its term here when it
-- takes over, and every batch it sequences checks the term is still its own.
CREATE TABLE log_sequencer (
    id     integer PRIMARY KEY CHECK (id = 1),
    term   bigint  NOT NULL,
    holder text    NOT NULL,
    since  bigint  NOT NULL
);

-- One row that `/readyz` rewrites: proof that the database takes a durable write now.
CREATE TABLE health_probe (
    id integer PRIMARY KEY CHECK (id = 1),
    at text    NOT NULL
);
