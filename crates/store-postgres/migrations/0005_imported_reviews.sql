-- Reviews collected elsewhere and imported (as SQLite's 0017_imported_reviews): never
-- verified, with where (`import_source`) and when (`original_date`, YYYY-MM-DD) they were
-- written, and their identifier there, unique per business and source, so that importing
-- the same file again finds them. NULL for a review written here.
ALTER TABLE reviews
    ADD COLUMN IF NOT EXISTS import_source text,
    ADD COLUMN IF NOT EXISTS original_date text,
    ADD COLUMN IF NOT EXISTS external_id   text;
CREATE UNIQUE INDEX IF NOT EXISTS reviews_by_import
    ON reviews (business_id, import_source, external_id) WHERE import_source IS NOT NULL;
