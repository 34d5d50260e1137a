-- The figures' time cells (domain::stats): the sums of the reviews published and the
-- invitations sent in one UTC day (span 1), one calendar month (span 2) or all time (span 3),
-- for a business (product '') or one of its products (its SKU), one relationship and one
-- verified flag. `start` is the cell's first day in days since 1970-01-01 (0 for all time).
-- Every review event moves its day's three cells in the write transaction; a period is read
-- as a few dozen cells. Existing reviews and invitations are added by the Rust step.
CREATE TABLE stat_cells (
    business_id          TEXT    NOT NULL,
    product              TEXT    NOT NULL,
    relationship         TEXT    NOT NULL,
    span                 INTEGER NOT NULL CHECK (span IN (1, 2, 3)),
    start                INTEGER NOT NULL,
    verified             INTEGER NOT NULL CHECK (verified IN (0, 1)),
    reviews              INTEGER NOT NULL DEFAULT 0,
    stars_1              INTEGER NOT NULL DEFAULT 0,
    stars_2              INTEGER NOT NULL DEFAULT 0,
    stars_3              INTEGER NOT NULL DEFAULT 0,
    stars_4              INTEGER NOT NULL DEFAULT 0,
    stars_5              INTEGER NOT NULL DEFAULT 0,
    promoters            INTEGER NOT NULL DEFAULT 0,
    passives             INTEGER NOT NULL DEFAULT 0,
    detractors           INTEGER NOT NULL DEFAULT 0,
    replied              INTEGER NOT NULL DEFAULT 0,
    replied_low          INTEGER NOT NULL DEFAULT 0,
    invitations_sent     INTEGER NOT NULL DEFAULT 0,
    invitations_answered INTEGER NOT NULL DEFAULT 0,
    score_w              REAL    NOT NULL DEFAULT 0,
    score_wr             REAL    NOT NULL DEFAULT 0,
    score_wrr            REAL    NOT NULL DEFAULT 0,
    score_ww             REAL    NOT NULL DEFAULT 0,
    PRIMARY KEY (business_id, product, relationship, span, start, verified)
) STRICT, WITHOUT ROWID;

-- How many first replies of a cell's reviews took `bucket` seconds (domain::stats::
-- delay_bucket: two significant digits), apart for 1–2 star reviews (low = 1).
CREATE TABLE stat_delays (
    business_id  TEXT    NOT NULL,
    product      TEXT    NOT NULL,
    relationship TEXT    NOT NULL,
    span         INTEGER NOT NULL,
    start        INTEGER NOT NULL,
    verified     INTEGER NOT NULL,
    low          INTEGER NOT NULL,
    bucket       INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (business_id, product, relationship, span, start, verified, low, bucket)
) STRICT, WITHOUT ROWID;
