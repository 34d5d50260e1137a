-- Issue 15: invitations that are mailed, and the outbox that mails them (as SQLite's
-- 0014_outbox.sql).

ALTER TABLE invitations
    ADD COLUMN source      text   NOT NULL DEFAULT 'api',
    ADD COLUMN send_at     bigint,
    ADD COLUMN mail_status text   NOT NULL DEFAULT 'none',
    ADD COLUMN mail_error  text,
    ADD COLUMN email_hash  bytea;
CREATE INDEX invitations_by_recipient ON invitations (business_id, email_hash)
    WHERE email_hash IS NOT NULL;

-- Work that leaves the building. Several servers claim due jobs with
-- FOR UPDATE SKIP LOCKED; id is stable across attempts (the e-mail's Message-ID).
CREATE TABLE outbox (
    id            uuid    PRIMARY KEY,
    kind          text    NOT NULL,
    business_id   uuid    NOT NULL REFERENCES businesses (id),
    invitation_id uuid    REFERENCES invitations (id),
    state         text    NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending', 'sent', 'failed', 'cancelled')),
    due_at        bigint  NOT NULL,
    attempts      integer NOT NULL DEFAULT 0,
    leased_until  bigint,
    last_error    text,
    created_at    bigint  NOT NULL,
    done_at       bigint
);
CREATE INDEX outbox_due ON outbox (due_at) WHERE state = 'pending';
CREATE INDEX outbox_by_invitation ON outbox (invitation_id);
CREATE INDEX outbox_by_business ON outbox (business_id, created_at);

CREATE TABLE mail_suppressions (
    business_id uuid   NOT NULL REFERENCES businesses (id),
    email_hash  bytea  NOT NULL,
    created_at  bigint NOT NULL,
    PRIMARY KEY (business_id, email_hash)
);

CREATE TABLE mail_settings (
    business_id      uuid    PRIMARY KEY REFERENCES businesses (id),
    shop_delay_hours integer NOT NULL,
    reminder_days    integer
);
