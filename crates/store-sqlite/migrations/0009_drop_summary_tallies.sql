-- The summary reads the all-time time cells (0006, 0008), which hold the same sums;
-- `summary_tallies` has been neither written nor read since, so its numbers only grow stale.
DROP TABLE summary_tallies;
