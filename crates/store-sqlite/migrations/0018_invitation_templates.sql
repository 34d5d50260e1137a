-- Each business's invitation template per locale (domain::template): every revision kept,
-- each logged as an `invitation_template_changed` entry whose subject is `template_id` (one
-- per business and locale). The opening (salt, content) stays public: a template is no
-- personal data. `commitment` is the entry's, kept for `passaparola copy`.
CREATE TABLE IF NOT EXISTS invitation_templates (
    business_id TEXT    NOT NULL REFERENCES businesses (id),
    locale      TEXT    NOT NULL,
    revision    INTEGER NOT NULL,
    template_id TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    intro       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    log_index   INTEGER NOT NULL UNIQUE,
    salt        BLOB    NOT NULL,
    content     BLOB    NOT NULL,
    commitment  BLOB    NOT NULL,
    PRIMARY KEY (business_id, locale, revision)
) STRICT, WITHOUT ROWID;
