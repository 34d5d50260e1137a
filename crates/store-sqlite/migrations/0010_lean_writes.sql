-- No query looks review events up by their log index (a review's latest event is found
-- through review_events_by_review, an entry by its index in log_entries, whose key makes
-- indexes unique), so this index only cost every event one more B-tree write.
DROP INDEX IF EXISTS review_events_by_log_index;
