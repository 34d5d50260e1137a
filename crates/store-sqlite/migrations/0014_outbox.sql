-- Issue 15: invitations that are mailed, and the outbox that mails them.

-- The invitations' new columns (who asked for it, when its e-mail goes out, where that
-- e-mail stands, a keyed hash of the address for unsubscribes) are added by the step
-- `mail_columns` (migrations.rs): SQLite's ADD COLUMN has no IF NOT EXISTS.

-- Work that leaves the building, written in the transaction of the change that causes it.
-- id is stable across attempts: a resend carries it (in the e-mail's Message-ID).
CREATE TABLE IF NOT EXISTS outbox (
    id            TEXT    PRIMARY KEY,
    kind          TEXT    NOT NULL,
    business_id   TEXT    NOT NULL REFERENCES businesses (id),
    invitation_id TEXT    REFERENCES invitations (id),
    state         TEXT    NOT NULL DEFAULT 'pending',
    due_at        INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    leased_until  INTEGER,
    last_error    TEXT,
    created_at    INTEGER NOT NULL,
    done_at       INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (due_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS outbox_by_invitation ON outbox (invitation_id);
CREATE INDEX IF NOT EXISTS outbox_by_business ON outbox (business_id, created_at);

-- Addresses that asked a business for no more mail, as keyed hashes.
CREATE TABLE IF NOT EXISTS mail_suppressions (
    business_id TEXT    NOT NULL REFERENCES businesses (id),
    email_hash  BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (business_id, email_hash)
) STRICT, WITHOUT ROWID;

-- A business's choices about when invitations are mailed; no row: the defaults.
CREATE TABLE IF NOT EXISTS mail_settings (
    business_id      TEXT    PRIMARY KEY REFERENCES businesses (id),
    shop_delay_hours INTEGER NOT NULL,
    reminder_days    INTEGER            -- NULL: no reminder
) STRICT;
