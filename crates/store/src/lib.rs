//! The storage contract: a small trait that the server calls, and its backends. The trait is
//! kept small on purpose (see atuin's `Database`): each backend implements it plainly, and no
//! internals are shared between backends.
//!
//! Every change to a review goes through [`Store::write_review`]: one function, one
//! transaction, in which the review's row, its history event and the figures' cells move
//! together or not at all.

#[cfg(feature = "contract")]
pub mod contract;
pub mod dump;
pub mod invitation_figures;
pub mod model;
pub mod outbox;
mod published;
pub mod shops;
pub mod templates;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::business::{NewBusiness, Slug};
use domain::ids::{BusinessId, InvitationId, ReviewId};
use domain::imported::ImportedReview;
use domain::invitation::{NewInvitation, Relationship};
use domain::lifecycle::LifecycleError;
use domain::review::{FollowUpBody, ReplyDraft, ReviewDraft, ReviewPatch};
use domain::secret::TokenHash;
use domain::summary::Summary;

pub use domain::plan::Eraser;
pub use invitation_figures::{InvitationFigureReads, InvitationFigures};
pub use model::*;
pub use outbox::{Job, JobKind, JobOutcome, JobState, MailSettings, MailStatus, NewMail, Outbox};
pub use shops::Shops;
pub use templates::{InvitationTemplates, TemplateRevision};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What can go wrong in storage. Every variant but `Backend` is the caller's to answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(Entity),
    #[error(transparent)]
    Rule(#[from] LifecycleError),
    /// The edit token does not belong to this review.
    #[error("the edit token does not match this review")]
    BadEditToken,
    #[error("the slug is already taken")]
    SlugTaken,
    #[error("the e-mail address is already taken")]
    EmailTaken,
    /// The input is valid on its own but not here (a product the invitation does not list).
    #[error(transparent)]
    Invalid(domain::ValidationErrors),
    /// The configuration names something this build cannot open.
    #[error("{0}")]
    Config(String),
    /// The database failed; the details are for the log, never for the client.
    #[error("storage failure: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<domain::plan::Refusal> for StoreError {
    fn from(r: domain::plan::Refusal) -> Self {
        match r {
            domain::plan::Refusal::Rule(e) => Self::Rule(e),
            domain::plan::Refusal::BadEditToken => Self::BadEditToken,
            domain::plan::Refusal::Invalid(e) => Self::Invalid(e),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Business,
    User,
    Invitation,
    Review,
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Business => "business",
            Self::User => "user",
            Self::Invitation => "invitation",
            Self::Review => "review",
        })
    }
}

/// A position in a backend's feed of changes ([`Store::changes_since`]); opaque to callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeCursor(pub [i64; 2]);

/// One change to a review, as the single write path receives it.
#[derive(Debug, Clone)]
pub enum ReviewCommand {
    /// A reviewer redeems an invitation.
    Submit {
        invitation: TokenHash,
        id: ReviewId,
        draft: ReviewDraft,
        edit_token: TokenHash,
        at: DateTime<Utc>,
    },
    Edit {
        review: ReviewId,
        edit_token: TokenHash,
        patch: ReviewPatch,
        at: DateTime<Utc>,
    },
    Withdraw {
        review: ReviewId,
        edit_token: TokenHash,
        at: DateTime<Utc>,
    },
    /// The business publishes or edits its one reply.
    Reply {
        review: ReviewId,
        business: BusinessId,
        reply: ReplyDraft,
        at: DateTime<Utc>,
    },
    FollowUp {
        review: ReviewId,
        edit_token: TokenHash,
        body: FollowUpBody,
        at: DateTime<Utc>,
    },
    /// A review collected elsewhere is imported, unless the business already has the one
    /// with the same source and identifier (then that one is answered, `created: false`).
    Import {
        business: BusinessId,
        id: ReviewId,
        review: ImportedReview,
        at: DateTime<Utc>,
    },
    /// The review's personal content is erased: its texts, its events' snapshots and salts,
    /// and the invitee's name and address. The log keeps its entries and gains one.
    Erase {
        review: ReviewId,
        by: Eraser,
        at: DateTime<Utc>,
    },
}

/// What a review write did.
#[derive(Debug, Clone)]
pub struct ReviewWrite {
    /// The review as it now stands.
    pub review: Review,
    /// `true` when the command created something (a review, a first reply, a follow-up, a
    /// withdrawal) rather than changing it or finding it already done.
    pub created: bool,
}

/// An invitation write: the invitation, and whether it is new (`false`: the business had
/// already invited this reference, and this is that invitation).
#[derive(Debug, Clone)]
pub struct InvitationWrite {
    pub invitation: Invitation,
    pub created: bool,
}

/// The storage contract: every backend implements each concern below, and so [`Store`].
/// Callers hold an `Arc<dyn Store>`; the concerns' methods are callable on it directly.
pub trait Store:
    Businesses
    + People
    + Invitations
    + Reviews
    + Figures
    + Log
    + Changes
    + Health
    + Outbox
    + Shops
    + InvitationTemplates
    + InvitationFigureReads
    + std::fmt::Debug
    + 'static
{
}

impl<T> Store for T where
    T: Businesses
        + People
        + Invitations
        + Reviews
        + Figures
        + Log
        + Changes
        + Health
        + Outbox
        + Shops
        + InvitationTemplates
        + InvitationFigureReads
        + std::fmt::Debug
        + 'static
{
}

/// Businesses and their API keys.
#[async_trait]
pub trait Businesses: Send + Sync {
    /// Registers a business with its first API key.
    async fn create_business(
        &self,
        new: NewBusiness,
        api_key: TokenHash,
        at: DateTime<Utc>,
    ) -> Result<Business>;
    /// Revokes every API key of the business and installs `api_key` instead.
    async fn replace_api_keys(
        &self,
        slug: &Slug,
        api_key: TokenHash,
        at: DateTime<Utc>,
    ) -> Result<Business>;
    async fn business_by_slug(&self, slug: &str) -> Result<Option<Business>>;
    /// Businesses whose name or slug contains `query`, by name (all of them for an empty
    /// query), at most `limit`.
    async fn search_businesses(&self, query: &str, limit: u32) -> Result<Vec<Business>>;
    /// The business a live (not revoked) API key belongs to.
    async fn business_by_api_key(&self, api_key: TokenHash) -> Result<Option<Business>>;
    /// The business's API keys, newest first.
    async fn api_keys(&self, business: BusinessId) -> Result<Vec<ApiKeyRecord>>;
    /// Adds an API key to the business (its others stay valid).
    async fn add_api_key(
        &self,
        business: BusinessId,
        key: TokenHash,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// Revokes the business's key with this id; `false` if it has none (or it was revoked).
    async fn revoke_api_key(
        &self,
        business: BusinessId,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<bool>;
}

/// The people who log in for a business, and their sessions.
#[async_trait]
pub trait People: Send + Sync {
    /// Creates a web user of a business, with their password's argon2id PHC string.
    async fn create_user(
        &self,
        new: NewUser,
        password_hash: String,
        at: DateTime<Utc>,
    ) -> Result<User>;
    /// The user with this e-mail address (any case), with their password hash, if they may
    /// log in (not disabled).
    async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>>;
    /// The user with this e-mail address (any case), disabled or not.
    async fn find_user(&self, email: &str) -> Result<Option<UserEntry>>;
    /// The business's users, oldest first, disabled ones too.
    async fn users(&self, business: BusinessId) -> Result<Vec<UserEntry>>;
    /// Disables the user (their sessions end at once) or enables them again; `false` if no
    /// such user.
    async fn set_user_disabled(
        &self,
        user: uuid::Uuid,
        disabled: bool,
        at: DateTime<Utc>,
    ) -> Result<bool>;
    /// Replaces the user's password hash and ends their sessions; `false` if no such user.
    async fn set_password(&self, user: uuid::Uuid, password_hash: String) -> Result<bool>;
    /// Ends every session of the user; how many there were.
    async fn end_sessions(&self, user: uuid::Uuid) -> Result<u64>;
    /// Records a session whose cookie token hashes to `token`.
    async fn create_session(
        &self,
        token: TokenHash,
        user: uuid::Uuid,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;
    /// The user of a live session (never a disabled user's).
    async fn session_user(&self, token: TokenHash, now: DateTime<Utc>) -> Result<Option<User>>;
    async fn delete_session(&self, token: TokenHash) -> Result<()>;
}

/// Invitations: the single-use links that make a review verified.
#[async_trait]
pub trait Invitations: Send + Sync {
    /// Creates an invitation, or returns the business's existing one for the same reference.
    /// With `mail`, in the same transaction it schedules the invitation's e-mail (and
    /// reminder) in the outbox, unless the address asked for no more mail from the business
    /// (then the invitation is created, marked unsubscribed, and nothing is scheduled).
    async fn create_invitation(
        &self,
        business: BusinessId,
        id: InvitationId,
        invitation: NewInvitation,
        token: TokenHash,
        mail: Option<NewMail>,
        at: DateTime<Utc>,
    ) -> Result<InvitationWrite>;
    async fn invitation_by_token(&self, token: TokenHash) -> Result<Option<Invitation>>;
    async fn invitation_by_id(&self, id: InvitationId) -> Result<Option<Invitation>>;
    /// The business's latest invitations, newest first.
    async fn latest_invitations(&self, business: BusinessId, limit: u32)
    -> Result<Vec<Invitation>>;
}

/// Reviews: the one write path, and every read of reviews.
#[async_trait]
pub trait Reviews: Send + Sync {
    /// The one write path for reviews.
    async fn write_review(&self, command: ReviewCommand) -> Result<ReviewWrite>;
    async fn review(&self, id: ReviewId) -> Result<Option<Review>>;
    /// The review, only if `edit_token` is its author's (for the author's edit page).
    async fn review_for_author(
        &self,
        id: ReviewId,
        edit_token: TokenHash,
    ) -> Result<Option<Review>>;
    /// A page of the review's events, oldest first; `None` if there is no such review.
    async fn review_history(
        &self,
        id: ReviewId,
        page: HistoryPage,
    ) -> Result<Option<Vec<ReviewEvent>>>;
    /// One page of a business's published reviews; returns up to `query.limit + 1` rows so
    /// the caller knows whether another page follows.
    async fn list_reviews(&self, business: BusinessId, query: ReviewQuery) -> Result<Vec<Review>>;
    /// The score's inputs: every published review of the business written here (not the
    /// imported ones, which count nowhere), oldest first.
    async fn ratings(&self, business: BusinessId) -> Result<Vec<RatingRow>>;
    /// The business's published reviews still waiting for a reply, most urgent first: the
    /// lowest ratings, then the oldest.
    async fn inbox(&self, business: BusinessId, limit: u32) -> Result<Vec<Review>>;
    /// The business's published reviews it has answered, the latest reply (or reply edit)
    /// first: where a reply is edited from.
    async fn answered(&self, business: BusinessId, limit: u32) -> Result<Vec<Review>>;
    /// The latest published reviews of one relationship that rated a product, newest first.
    async fn product_reviews(
        &self,
        business: BusinessId,
        sku: String,
        relationship: Relationship,
        limit: u32,
    ) -> Result<Vec<Review>>;
}

/// The figures, read from the time cells the writes move.
#[async_trait]
pub trait Figures: Send + Sync {
    /// The business's summary for one relationship, from the all-time time cells.
    async fn summary(&self, business: BusinessId, relationship: Relationship) -> Result<Summary>;
    /// A business's (or product's) figures for a period and filter, from the time cells.
    async fn stats(
        &self,
        business: BusinessId,
        filter: StatsFilter,
        now: DateTime<Utc>,
    ) -> Result<domain::stats::Figures>;
    /// The business's products rated in the relationship's published reviews, with their
    /// all-time count and mean.
    async fn products(
        &self,
        business: BusinessId,
        relationship: Relationship,
    ) -> Result<Vec<ProductSummary>>;
    /// A product as the business's latest invitation about it named it (its page, picture
    /// and GTIN as the latest invitation that gave each), if it ever invited anyone about it.
    async fn product(&self, business: BusinessId, sku: String) -> Result<Option<ProductRecord>>;
    /// The latest `points` weeks or months of a filter's figures, oldest first.
    async fn trend(
        &self,
        business: BusinessId,
        filter: StatsFilter,
        grain: TrendGrain,
        points: usize,
        now: DateTime<Utc>,
    ) -> Result<Vec<TrendPoint>>;
}

/// The public log: checkpoints, tiles and receipts.
#[async_trait]
pub trait Log: Send + Sync {
    /// The log's latest signed checkpoint (a C2SP signed note), if any.
    async fn log_checkpoint(&self) -> Result<Option<Vec<u8>>>;
    /// A tile or entry bundle, if it exists at the latest checkpoint.
    async fn log_tile(&self, path: ledger::tiles::TilePath) -> Result<Option<Vec<u8>>>;
    /// A C2SP `tlog-proof` receipt for the review's latest event, against the latest
    /// checkpoint; `None` if there is no such review or its event is not yet checkpointed.
    async fn review_receipt(&self, id: ReviewId) -> Result<Option<Vec<u8>>>;
    /// A C2SP `tlog-proof` receipt for the log entry at `index`, against the latest
    /// checkpoint; `None` if the log has no checkpoint covering it.
    async fn log_receipt(&self, index: u64) -> Result<Option<Vec<u8>>>;
    /// Signs a checkpoint over entries appended by other processes (the command line), if
    /// any; a no-op otherwise.
    async fn seal_log(&self) -> Result<()>;
}

/// What changed after a cursor ([`Changes::changes_since`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changed {
    /// The slugs of the businesses whose public data (reviews and their events,
    /// invitations) changed, by any process.
    pub slugs: Vec<String>,
    /// The review events that *other* processes recorded (other servers sharing the
    /// database), for this server's live inboxes: whose business, which review, what
    /// happened. A backend that cannot tell its own writes from others' leaves it empty
    /// (SQLite, whose only other writer is the command line).
    pub events: Vec<(BusinessId, ReviewId, domain::lifecycle::EventKind)>,
}

/// What changed, for the caches of servers that did not make the change.
#[async_trait]
pub trait Changes: Send + Sync {
    /// What changed after `since`, and where the feed now stands. `None` asks only where it
    /// stands. A server polls it to drop its cache for writes made elsewhere, and to tell
    /// its open inboxes about reviews written on other servers.
    async fn changes_since(&self, since: Option<ChangeCursor>) -> Result<(Changed, ChangeCursor)>;
}

/// Whether the backend can take writes, for `/healthz` and `/readyz`.
#[async_trait]
pub trait Health: Send + Sync {
    /// Whether whatever carries this process's writes still runs (cheap: no I/O).
    fn writer_running(&self) -> bool;
    /// Commits one small write durably, through the same path as every other write.
    async fn probe_write(&self, at: DateTime<Utc>) -> Result<()>;
}
