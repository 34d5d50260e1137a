-- The score's weighted sums (domain::score), kept with the other tallies. A review written
-- at t adds w = 2^(days from 2020-01-01 to t / 365) to score_w, w·rating to score_wr,
-- w·rating² to score_wrr and w² to score_ww. Existing reviews are added by the migration's
-- Rust step (SQLite has no exp2 here).
ALTER TABLE summary_tallies ADD COLUMN score_w   REAL NOT NULL DEFAULT 0;
ALTER TABLE summary_tallies ADD COLUMN score_wr  REAL NOT NULL DEFAULT 0;
ALTER TABLE summary_tallies ADD COLUMN score_wrr REAL NOT NULL DEFAULT 0;
ALTER TABLE summary_tallies ADD COLUMN score_ww  REAL NOT NULL DEFAULT 0;
