//! The rules of the review lifecycle: which change is allowed in which state. Storage loads
//! the state, asks these functions, and writes only what they allow, inside one transaction.

use chrono::{DateTime, Utc};

use crate::ids::BusinessId;
use crate::review::ReviewStatus;

/// Why a lifecycle step is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    #[error("this invitation has already been used for a review")]
    InvitationUsed,
    #[error("this invitation has expired")]
    InvitationExpired,
    #[error("the review has been withdrawn")]
    ReviewWithdrawn,
    #[error("the review's content has been erased")]
    ReviewErased,
    #[error("a follow-up is possible only after the business has replied")]
    ReplyRequired,
    #[error("the reviewer has already answered the reply")]
    FollowUpExists,
    #[error("the review belongs to another business")]
    NotOwnReview,
}

/// What storage knows of an invitation when a review is submitted with it.
#[derive(Debug, Clone, Copy)]
pub struct InvitationState {
    pub used: bool,
    pub expires_at: DateTime<Utc>,
}

/// A single-use invitation can be redeemed once, before it expires.
pub fn redeem_invitation(inv: InvitationState, now: DateTime<Utc>) -> Result<(), LifecycleError> {
    if inv.used {
        Err(LifecycleError::InvitationUsed)
    } else if now >= inv.expires_at {
        Err(LifecycleError::InvitationExpired)
    } else {
        Ok(())
    }
}

/// What storage knows of a review when someone wants to change it.
#[derive(Debug, Clone, Copy)]
pub struct ReviewState {
    pub business: BusinessId,
    pub status: ReviewStatus,
    pub has_reply: bool,
    pub has_follow_up: bool,
}

/// The author may edit a review as long as it is published.
pub fn edit(state: ReviewState) -> Result<(), LifecycleError> {
    published(state)
}

/// What a withdrawal request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withdrawal {
    /// Withdraw now.
    Withdraw,
    /// Already withdrawn: nothing changes, the request is answered as if it just happened,
    /// so that a client may safely retry.
    AlreadyWithdrawn,
}

pub fn withdraw(state: ReviewState) -> Withdrawal {
    match state.status {
        ReviewStatus::Published => Withdrawal::Withdraw,
        ReviewStatus::Withdrawn | ReviewStatus::Erased => Withdrawal::AlreadyWithdrawn,
    }
}

/// What an erasure request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Erasure {
    /// Erase now; `counted` says whether the review still counts in the figures.
    Erase { counted: bool },
    /// Already erased: nothing changes (a retry is harmless).
    AlreadyErased,
}

/// Personal content can be erased in any state, once.
pub fn erase(state: ReviewState) -> Erasure {
    match state.status {
        ReviewStatus::Published => Erasure::Erase { counted: true },
        ReviewStatus::Withdrawn => Erasure::Erase { counted: false },
        ReviewStatus::Erased => Erasure::AlreadyErased,
    }
}

/// A business may reply to (and edit its reply to) its own published reviews only.
pub fn reply(state: ReviewState, acting: BusinessId) -> Result<(), LifecycleError> {
    if state.business != acting {
        return Err(LifecycleError::NotOwnReview);
    }
    published(state)
}

/// The reviewer may answer once, after the business's reply.
pub fn follow_up(state: ReviewState) -> Result<(), LifecycleError> {
    published(state)?;
    if !state.has_reply {
        Err(LifecycleError::ReplyRequired)
    } else if state.has_follow_up {
        Err(LifecycleError::FollowUpExists)
    } else {
        Ok(())
    }
}

fn published(state: ReviewState) -> Result<(), LifecycleError> {
    match state.status {
        ReviewStatus::Published => Ok(()),
        ReviewStatus::Withdrawn => Err(LifecycleError::ReviewWithdrawn),
        ReviewStatus::Erased => Err(LifecycleError::ReviewErased),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::BusinessId;
    use chrono::Duration;

    fn state(status: ReviewStatus, has_reply: bool, has_follow_up: bool) -> ReviewState {
        ReviewState {
            business: BusinessId(uuid::Uuid::nil()),
            status,
            has_reply,
            has_follow_up,
        }
    }

    #[test]
    fn invitation_is_single_use_and_expires() {
        let now = Utc::now();
        let fresh = InvitationState {
            used: false,
            expires_at: now + Duration::days(1),
        };
        assert_eq!(redeem_invitation(fresh, now), Ok(()));
        let used = InvitationState {
            used: true,
            ..fresh
        };
        assert_eq!(
            redeem_invitation(used, now),
            Err(LifecycleError::InvitationUsed)
        );
        assert_eq!(
            redeem_invitation(fresh, now + Duration::days(1)),
            Err(LifecycleError::InvitationExpired)
        );
    }

    #[test]
    fn follow_up_needs_reply_and_happens_once() {
        use ReviewStatus::*;
        assert_eq!(
            follow_up(state(Published, false, false)),
            Err(LifecycleError::ReplyRequired)
        );
        assert_eq!(follow_up(state(Published, true, false)), Ok(()));
        assert_eq!(
            follow_up(state(Published, true, true)),
            Err(LifecycleError::FollowUpExists)
        );
        assert_eq!(
            follow_up(state(Withdrawn, true, false)),
            Err(LifecycleError::ReviewWithdrawn)
        );
    }

    #[test]
    fn only_the_owner_replies_to_published_reviews() {
        use ReviewStatus::*;
        let owner = BusinessId(uuid::Uuid::nil());
        let other = BusinessId::generate();
        assert_eq!(reply(state(Published, false, false), owner), Ok(()));
        assert_eq!(
            reply(state(Published, false, false), other),
            Err(LifecycleError::NotOwnReview)
        );
        assert_eq!(
            reply(state(Withdrawn, false, false), owner),
            Err(LifecycleError::ReviewWithdrawn)
        );
        // Another business learns nothing about the state of a review it does not own.
        assert_eq!(
            reply(state(Withdrawn, false, false), other),
            Err(LifecycleError::NotOwnReview)
        );
    }

    #[test]
    fn erasure_happens_once_in_any_state() {
        use ReviewStatus::*;
        assert_eq!(
            erase(state(Published, true, false)),
            Erasure::Erase { counted: true }
        );
        assert_eq!(
            erase(state(Withdrawn, true, false)),
            Erasure::Erase { counted: false }
        );
        assert_eq!(erase(state(Erased, false, false)), Erasure::AlreadyErased);
        assert_eq!(
            edit(state(Erased, false, false)),
            Err(LifecycleError::ReviewErased)
        );
        assert_eq!(
            withdraw(state(Erased, false, false)),
            Withdrawal::AlreadyWithdrawn
        );
    }

    #[test]
    fn withdrawal_is_idempotent_and_edits_stop() {
        use ReviewStatus::*;
        assert_eq!(withdraw(state(Published, true, true)), Withdrawal::Withdraw);
        assert_eq!(
            withdraw(state(Withdrawn, true, true)),
            Withdrawal::AlreadyWithdrawn
        );
        assert_eq!(
            edit(state(Withdrawn, false, false)),
            Err(LifecycleError::ReviewWithdrawn)
        );
    }
}

/// The events of a review's life, in the order they can happen. Each is recorded in the
/// review's public history (and, later, as one entry of the signed log).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    ReviewPublished,
    ReviewEdited,
    ReviewWithdrawn,
    ReplyPublished,
    ReplyEdited,
    FollowUpPublished,
    /// The review's personal content was erased; the log keeps its entries, without a hole.
    ContentErased,
    /// A review collected elsewhere was imported (never verified): its first event.
    ReviewImported,
    /// Not a review's event: a business's invitation template for one locale changed
    /// (`domain::template`). Its log entry's subject is the template, not a review.
    InvitationTemplateChanged,
}

impl EventKind {
    pub const ALL: [EventKind; 9] = [
        Self::ReviewPublished,
        Self::ReviewEdited,
        Self::ReviewWithdrawn,
        Self::ReplyPublished,
        Self::ReplyEdited,
        Self::FollowUpPublished,
        Self::ContentErased,
        Self::ReviewImported,
        Self::InvitationTemplateChanged,
    ];

    /// The event's code in a log entry (`docs/log-format.md`). Codes are never reused.
    pub fn code(self) -> u8 {
        match self {
            Self::ReviewPublished => 1,
            Self::ReviewEdited => 2,
            Self::ReviewWithdrawn => 3,
            Self::ReplyPublished => 4,
            Self::ReplyEdited => 5,
            Self::FollowUpPublished => 6,
            Self::ContentErased => 7,
            Self::ReviewImported => 8,
            Self::InvitationTemplateChanged => 9,
        }
    }

    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReviewPublished => "review_published",
            Self::ReviewEdited => "review_edited",
            Self::ReviewWithdrawn => "review_withdrawn",
            Self::ReplyPublished => "reply_published",
            Self::ReplyEdited => "reply_edited",
            Self::FollowUpPublished => "follow_up_published",
            Self::ContentErased => "content_erased",
            Self::ReviewImported => "review_imported",
            Self::InvitationTemplateChanged => "invitation_template_changed",
        }
    }

    /// Whether the event starts a review's chain: its publication, or its import.
    pub fn is_first(self) -> bool {
        matches!(self, Self::ReviewPublished | Self::ReviewImported)
    }

    /// Whether the event's content holds what a person wrote (texts, names, ratings).
    /// Such openings are shown only while the review is published; the others
    /// (`review_withdrawn`: `{}`, `content_erased`: who asked) always are, so that anyone
    /// can check a tombstone against the log.
    pub fn carries_text(self) -> bool {
        !matches!(
            self,
            Self::ReviewWithdrawn | Self::ContentErased | Self::InvitationTemplateChanged
        )
    }

    /// Whether the event is about a review (its log entry's subject is a review), rather
    /// than about a business's invitation template.
    pub fn is_about_a_review(self) -> bool {
        self != Self::InvitationTemplateChanged
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}
