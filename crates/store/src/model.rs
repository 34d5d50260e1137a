//! What the store returns: plain records of values that were validated when written.

use chrono::{DateTime, NaiveDate, Utc};
use domain::ids::{BusinessId, InvitationId, ReviewId};
use domain::invitation::{Locale, Relationship};
use domain::lifecycle::EventKind;
use domain::review::{Rating, ReviewStatus};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Business {
    pub id: BusinessId,
    pub slug: String,
    pub name: String,
    pub website: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A product as an invitation lists it, or as the business's latest invitation about it
/// described it (`Figures::product`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductRecord {
    pub sku: String,
    pub name: String,
    /// The product's own page, when given.
    pub url: Option<String>,
    /// A picture of the product, when given.
    pub image: Option<String>,
    /// Its GTIN, when given.
    pub gtin: Option<String>,
}

impl ProductRecord {
    /// A product with a SKU and a name only.
    pub fn named(sku: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            sku: sku.into(),
            name: name.into(),
            ..Self::default()
        }
    }
}

impl From<&domain::invitation::Product> for ProductRecord {
    fn from(p: &domain::invitation::Product) -> Self {
        Self {
            sku: p.sku.as_str().to_owned(),
            name: p.name.as_str().to_owned(),
            url: p.url.as_ref().map(|u| u.as_str().to_owned()),
            image: p.image.as_ref().map(|u| u.as_str().to_owned()),
            gtin: p.gtin.as_ref().map(|g| g.as_str().to_owned()),
        }
    }
}

/// An invitation, including the business's private data about the invitee.
#[derive(Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: InvitationId,
    pub business_id: BusinessId,
    pub business_slug: String,
    pub business_name: String,
    pub reference: String,
    pub relationship: Relationship,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    pub products: Vec<ProductRecord>,
    pub locale: Locale,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    /// Who asked for it.
    pub source: domain::invitation::InvitationSource,
    /// When its e-mail goes (or went) out; `None` if none is sent.
    pub send_at: Option<DateTime<Utc>>,
    /// Where its e-mail stands.
    pub mail: crate::outbox::MailStatus,
    /// Why its e-mail failed, if it did (never personal data).
    pub mail_error: Option<String>,
}

impl std::fmt::Debug for Invitation {
    // Personal data stays out of Debug output, and so out of any log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invitation")
            .field("id", &self.id)
            .field("business_id", &self.business_id)
            .field("relationship", &self.relationship)
            .field("expires_at", &self.expires_at)
            .field("used_at", &self.used_at)
            .field("source", &self.source)
            .field("mail", &self.mail)
            .finish_non_exhaustive()
    }
}

/// The business a review is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessRef {
    pub id: BusinessId,
    pub slug: String,
    pub name: String,
}

/// A review as the public sees it. A withdrawn review is a tombstone: `content`, `reply` and
/// `follow_up` are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub id: ReviewId,
    pub business: BusinessRef,
    pub relationship: Relationship,
    pub verified: bool,
    pub status: ReviewStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub edit_count: u32,
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// When the review's personal content was erased.
    pub erased_at: Option<DateTime<Utc>>,
    pub content: Option<ReviewContent>,
    pub reply: Option<Reply>,
    pub follow_up: Option<FollowUp>,
    /// Where this review stands in every sort order, for keyset pagination.
    pub position: Position,
    /// The log index of the review's latest event, once the log holds it: on SQLite at
    /// once, on PostgreSQL once the sequencer has logged it (a write made by a server waits
    /// for that, a few milliseconds; one made by the command line does not).
    pub log_index: Option<u64>,
    /// The opening of that event's commitment; `None` for a tombstone.
    pub opening: Option<Opening>,
    /// Where and when it was written, for a review imported from elsewhere (never
    /// verified, counted in no figure). Kept after an erasure: it names no one.
    pub imported: Option<Imported>,
}

/// The origin of an imported review (`domain::imported`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub source: String,
    /// When it was written at its source.
    pub original_date: NaiveDate,
}

/// What opens an entry's commitment: `SHA-256(domain ‖ salt ‖ content)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    pub salt: [u8; 32],
    /// The canonical content: compact JSON with sorted keys.
    pub content: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewContent {
    pub rating: u8,
    pub title: String,
    pub body: String,
    pub nps: Option<u8>,
    pub experience_date: Option<NaiveDate>,
    pub author_name: String,
    pub language: String,
    /// The invitation's products the reviewer rated.
    pub products: Vec<ProductReview>,
}

/// A reviewer's rating of one product, with the product's current name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductReview {
    pub sku: String,
    pub name: String,
    pub rating: u8,
    pub body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub body: String,
    pub responder_name: String,
    pub responder_role: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub edit_count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// One event in a review's history, with a snapshot of what it published. For a withdrawn
/// review `data` is `None`: its history shows what happened and when, not the content.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewEvent {
    pub seq: i64,
    /// The event's entry in the public log (`None` until it is logged, as for
    /// [`Review::log_index`]).
    pub log_index: Option<u64>,
    /// The opening of the entry's commitment, while the review is published.
    pub opening: Option<Opening>,
    pub kind: EventKind,
    pub at: DateTime<Utc>,
    pub data: Option<serde_json::Value>,
}

/// Sort orders of a business's reviews. Ties are broken by creation, newest first, then by
/// the internal sequence number, so that every order is total and pagination is stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Newest,
    Oldest,
    Highest,
    Lowest,
}

/// A review's place in the sort orders: its rating at the time, creation time, sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub rating: u8,
    pub created_at_ms: i64,
    pub seq: i64,
}

#[derive(Debug, Clone)]
pub struct ReviewQuery {
    pub relationship: Relationship,
    pub rating: Option<Rating>,
    pub sort: Sort,
    /// Start strictly after this position (from the previous page's last review).
    pub after: Option<Position>,
    pub limit: u32,
}

/// A user as the business (or the operator) manages them.
#[derive(Debug, Clone)]
pub struct UserEntry {
    pub user: User,
    pub created_at: DateTime<Utc>,
    /// When the user was disabled; `None` while they may log in.
    pub disabled_at: Option<DateTime<Utc>>,
}

/// A page of a review's history: the events after the one with sequence number `after`
/// (from the start if `None`), oldest first, at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryPage {
    pub after: Option<i64>,
    pub limit: u32,
}

impl HistoryPage {
    /// The first `limit` events.
    pub const fn first(limit: u32) -> Self {
        Self { after: None, limit }
    }
}

/// Someone who acts for a business on the web pages; their name and role sign replies.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: uuid::Uuid,
    pub business: BusinessRef,
    pub email: String,
    pub name: String,
    pub role: Option<String>,
}

impl std::fmt::Debug for User {
    // The e-mail address stays out of Debug output, and so out of any log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("business", &self.business.slug)
            .finish_non_exhaustive()
    }
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub business_slug: String,
    pub email: domain::invitation::Email,
    pub name: domain::review::ResponderName,
    pub role: Option<domain::review::ResponderRole>,
}

/// One of a business's API keys, as its owner sees it: never the key, only a short id (the
/// first 8 bytes of its hash, in hex) and its dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// One published review's inputs to the score, as `ratings.csv` publishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatingRow {
    pub created_at: DateTime<Utc>,
    pub rating: u8,
    pub relationship: Relationship,
    pub verified: bool,
}

/// Which figures to read: a period, one relationship, the whole business or one product,
/// and every review or the verified ones only.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatsFilter {
    pub period: domain::stats::Period,
    pub relationship: Relationship,
    /// A product's SKU; `None` for the whole business.
    pub product: Option<String>,
    pub verified_only: bool,
}

/// The step of a trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrendGrain {
    /// ISO weeks, from Monday.
    Week,
    /// Calendar months.
    Month,
}

/// One week or month of a trend.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    /// The first day of the week or month (UTC).
    pub start: chrono::NaiveDate,
    pub reviews: u64,
    pub rating_average: Option<f64>,
    pub replied: u64,
    pub median_reply_seconds: Option<i64>,
}

/// A product of a business with its all-time figures for one relationship.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductSummary {
    pub sku: String,
    pub name: String,
    pub reviews: u64,
    pub rating_average: Option<f64>,
}
