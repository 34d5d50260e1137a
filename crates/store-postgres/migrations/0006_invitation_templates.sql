-- Each business's invitation template per locale (as SQLite's 0018_invitation_templates):
-- every revision kept, each logged as an `invitation_template_changed` entry whose subject
-- is `template_id` (one per business and locale). The sequencer logs a revision like a
-- review's event: `seq` draws from review_events' own sequence, so the two tables' pending
-- rows have one order between them.
CREATE TABLE IF NOT EXISTS invitation_templates (
    seq         bigint  NOT NULL UNIQUE
        DEFAULT nextval(pg_get_serial_sequence('review_events', 'seq')::regclass),
    business_id uuid    NOT NULL REFERENCES businesses (id),
    locale      text    NOT NULL,
    revision    integer NOT NULL,
    template_id uuid    NOT NULL,
    subject     text    NOT NULL,
    intro       text    NOT NULL,
    created_at  bigint  NOT NULL,
    salt        bytea   NOT NULL,
    content     bytea   NOT NULL,
    commitment  bytea   NOT NULL CHECK (length(commitment) = 32),
    log_index   bigint  UNIQUE,
    PRIMARY KEY (business_id, locale, revision)
);
-- The sequencer's queue, beside review_events_pending.
CREATE INDEX IF NOT EXISTS invitation_templates_pending
    ON invitation_templates (seq) WHERE log_index IS NULL;
CREATE INDEX IF NOT EXISTS invitation_templates_by_template
    ON invitation_templates (template_id);
