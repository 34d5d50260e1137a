//! A backend-neutral picture of an instance's rows, for `passaparola copy`: one backend
//! exports its tables as [`Rows`] in the order of [`TABLES`] (a table's rows after the rows
//! they refer to), another imports them. The columns are PostgreSQL's schema's
//! (`crates/store-postgres/migrations/`), in the types both backends share: identifiers as
//! hyphenated UUID text, times as Unix milliseconds, booleans as 0 or 1, hashes, salts,
//! log entries and signed checkpoints as bytes. The log's tables travel verbatim, so the
//! copied log has the same entries, root and checkpoints under the same key.

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bytes(Vec<u8>),
}

/// Some rows of one table, each in the order of its [`Table::columns`].
#[derive(Debug, Clone, PartialEq)]
pub struct Rows {
    pub table: Table,
    pub rows: Vec<Vec<Value>>,
}

/// The tables a copy moves. (`log_sequencer`, `health_probe` and `schema_migrations`
/// belong to the running instance, not to its data, and stay behind.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    Businesses,
    ApiKeys,
    Invitations,
    InvitationProducts,
    Outbox,
    MailSuppressions,
    MailSettings,
    ShopConnections,
    ShopDeliveries,
    LinkSecrets,
    InvitationTemplates,
    Products,
    Reviews,
    Replies,
    FollowUps,
    ProductReviews,
    ReplyDelays,
    ReviewEvents,
    StatCells,
    StatDelays,
    Users,
    DisabledUsers,
    Sessions,
    LogEntries,
    LogHashes,
    LogCheckpoints,
}

/// Every table, in an order in which each row's references come before it.
pub const TABLES: [Table; 26] = [
    Table::Businesses,
    Table::ApiKeys,
    Table::Invitations,
    Table::InvitationProducts,
    Table::Outbox,
    Table::MailSuppressions,
    Table::MailSettings,
    Table::ShopConnections,
    Table::ShopDeliveries,
    Table::LinkSecrets,
    Table::InvitationTemplates,
    Table::Products,
    Table::Reviews,
    Table::Replies,
    Table::FollowUps,
    Table::ProductReviews,
    Table::ReplyDelays,
    Table::ReviewEvents,
    Table::StatCells,
    Table::StatDelays,
    Table::Users,
    Table::DisabledUsers,
    Table::Sessions,
    Table::LogEntries,
    Table::LogHashes,
    Table::LogCheckpoints,
];

impl Table {
    /// The table's name in both backends.
    pub fn name(self) -> &'static str {
        match self {
            Self::Businesses => "businesses",
            Self::ApiKeys => "api_keys",
            Self::Invitations => "invitations",
            Self::InvitationProducts => "invitation_products",
            Self::Outbox => "outbox",
            Self::MailSuppressions => "mail_suppressions",
            Self::MailSettings => "mail_settings",
            Self::ShopConnections => "shop_connections",
            Self::ShopDeliveries => "shop_deliveries",
            Self::LinkSecrets => "link_secrets",
            Self::InvitationTemplates => "invitation_templates",
            Self::Products => "products",
            Self::Reviews => "reviews",
            Self::Replies => "replies",
            Self::FollowUps => "follow_ups",
            Self::ProductReviews => "product_reviews",
            Self::ReplyDelays => "reply_delays",
            Self::ReviewEvents => "review_events",
            Self::StatCells => "stat_cells",
            Self::StatDelays => "stat_delays",
            Self::Users => "users",
            Self::DisabledUsers => "disabled_users",
            Self::Sessions => "sessions",
            Self::LogEntries => "log_entries",
            Self::LogHashes => "log_hashes",
            Self::LogCheckpoints => "log_checkpoints",
        }
    }

    /// The columns a row carries, in order.
    ///
    /// `review_events.commitment` is the commitment its log entry carries (on SQLite, read
    /// from that entry); `log_index` is NULL for an event not yet logged.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Self::Businesses => &["id", "slug", "name", "website", "created_at"],
            Self::ApiKeys => &["hash", "business_id", "created_at", "revoked_at"],
            Self::Invitations => &[
                "id",
                "business_id",
                "reference",
                "token_hash",
                "relationship",
                "customer_name",
                "customer_email",
                "locale",
                "created_at",
                "expires_at",
                "source",
                "send_at",
                "mail_status",
                "mail_error",
                "email_hash",
            ],
            Self::InvitationProducts => &[
                "invitation_id",
                "position",
                "sku",
                "name",
                "url",
                "image",
                "gtin",
            ],
            Self::Outbox => &[
                "id",
                "kind",
                "business_id",
                "invitation_id",
                "state",
                "due_at",
                "attempts",
                "leased_until",
                "last_error",
                "created_at",
                "done_at",
            ],
            Self::MailSuppressions => &["business_id", "email_hash", "created_at"],
            Self::MailSettings => &["business_id", "shop_delay_hours", "reminder_days"],
            Self::ShopConnections => &["business_id", "kind", "secret", "created_at"],
            Self::ShopDeliveries => &["business_id", "kind", "delivery_id", "received_at"],
            Self::LinkSecrets => &["business_id", "generation", "created_at"],
            // (PostgreSQL's `seq` is drawn afresh: every copied revision is logged already.)
            Self::InvitationTemplates => &[
                "template_id",
                "business_id",
                "locale",
                "revision",
                "subject",
                "intro",
                "created_at",
                "salt",
                "content",
                "commitment",
                "log_index",
            ],
            Self::Products => &["business_id", "sku", "name", "url", "image", "gtin"],
            Self::Reviews => &[
                "seq",
                "id",
                "business_id",
                "invitation_id",
                "relationship",
                "verified",
                "status",
                "rating",
                "title",
                "body",
                "nps",
                "experience_date",
                "author_name",
                "language",
                "edit_token_hash",
                "created_at",
                "updated_at",
                "edit_count",
                "withdrawn_at",
                "erased_at",
                "import_source",
                "original_date",
                "external_id",
            ],
            Self::Replies => &[
                "review_id",
                "body",
                "responder_name",
                "responder_role",
                "created_at",
                "updated_at",
                "edit_count",
            ],
            Self::FollowUps => &["review_id", "body", "created_at"],
            Self::ProductReviews => &[
                "review_id",
                "business_id",
                "sku",
                "rating",
                "body",
                "created_at",
            ],
            Self::ReplyDelays => &["review_id", "business_id", "relationship", "seconds"],
            Self::ReviewEvents => &[
                "seq",
                "review_id",
                "business_id",
                "kind",
                "at",
                "salt",
                "content",
                "commitment",
                "log_index",
            ],
            Self::StatCells => &[
                "business_id",
                "product",
                "relationship",
                "span",
                "start",
                "verified",
                "reviews",
                "stars_1",
                "stars_2",
                "stars_3",
                "stars_4",
                "stars_5",
                "promoters",
                "passives",
                "detractors",
                "replied",
                "replied_low",
                "invitations_sent",
                "invitations_answered",
                "score_w",
                "score_wr",
                "score_wrr",
                "score_ww",
            ],
            Self::StatDelays => &[
                "business_id",
                "product",
                "relationship",
                "span",
                "start",
                "verified",
                "low",
                "bucket",
                "count",
            ],
            Self::Users => &[
                "id",
                "business_id",
                "email",
                "name",
                "role",
                "password_hash",
                "created_at",
            ],
            Self::DisabledUsers => &["user_id", "disabled_at"],
            Self::Sessions => &["token_hash", "user_id", "created_at", "expires_at"],
            Self::LogEntries => &["idx", "entry"],
            Self::LogHashes => &["idx", "hash"],
            Self::LogCheckpoints => &["size", "signed", "created_at"],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_once_with_its_columns() {
        let mut names: Vec<&str> = TABLES.iter().map(|t| t.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TABLES.len());
        assert!(TABLES.iter().all(|t| !t.columns().is_empty()));
    }
}
