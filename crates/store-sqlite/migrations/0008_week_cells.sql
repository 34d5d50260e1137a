-- Week cells (span 4: ISO weeks from Monday, `start` the Monday's day number), so that a
-- weekly trend reads 26 cells rather than 182 days of cells and their delay counts. 0006's
-- CHECK allowed spans 1 to 3 only: the table is rebuilt with 4 allowed, then every week is
-- summed from its days (day 0, 1970-01-01, was a Thursday: a day's Monday is
-- start - (start + 3) % 7).
CREATE TABLE stat_cells_0008 (
    business_id          TEXT    NOT NULL,
    product              TEXT    NOT NULL,
    relationship         TEXT    NOT NULL,
    span                 INTEGER NOT NULL CHECK (span IN (1, 2, 3, 4)),
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

INSERT INTO stat_cells_0008 SELECT * FROM stat_cells;

INSERT INTO stat_cells_0008
SELECT business_id, product, relationship, 4, start - (start + 3) % 7, verified,
       SUM(reviews), SUM(stars_1), SUM(stars_2), SUM(stars_3), SUM(stars_4), SUM(stars_5),
       SUM(promoters), SUM(passives), SUM(detractors), SUM(replied), SUM(replied_low),
       SUM(invitations_sent), SUM(invitations_answered),
       SUM(score_w), SUM(score_wr), SUM(score_wrr), SUM(score_ww)
FROM stat_cells
WHERE span = 1
GROUP BY business_id, product, relationship, start - (start + 3) % 7, verified;

DROP TABLE stat_cells;
ALTER TABLE stat_cells_0008 RENAME TO stat_cells;

INSERT INTO stat_delays
SELECT business_id, product, relationship, 4, start - (start + 3) % 7, verified, low, bucket,
       SUM(count)
FROM stat_delays
WHERE span = 1
GROUP BY business_id, product, relationship, start - (start + 3) % 7, verified, low, bucket;
