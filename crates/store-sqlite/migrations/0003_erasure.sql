-- Erasure of a review's personal content. An erased review keeps its row (status
-- 'withdrawn', so it never counts in the figures) with its texts emptied, and erased_at set;
-- its events keep their kind, time and log index, without data, salt or content.
ALTER TABLE reviews ADD COLUMN erased_at INTEGER;
