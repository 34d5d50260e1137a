//! What each review command changes, decided here and nowhere else.
//!
//! For every command, a pure function takes what storage knows ([`InvitationFacts`] or
//! [`ReviewFacts`]) and the validated input, and returns a [`Plan`]: the row change, the
//! history event with the exact canonical bytes the log commits to, and the figures' cell
//! moves with their days. A backend loads the facts, applies the plan inside one
//! transaction and appends the event's log entry; it decides nothing. So two backends commit
//! byte-identical log content, and these rules are tested without a database.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::ValidationErrors;
use crate::ids::{BusinessId, InvitationId, ReviewId};
use crate::imported::ImportedReview;
use crate::invitation::{Locale, Relationship};
use crate::lifecycle::{
    self, Erasure, EventKind, InvitationState, LifecycleError, ReviewState, Withdrawal,
};
use crate::log_entry::canonical_content;
use crate::review::{FollowUpBody, Nps, Rating, ReplyDraft, ReviewDraft, ReviewPatch};
use crate::secret::TokenHash;
use crate::stats::{CellDelta, day_of};

/// Why a command is refused. Nothing is written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Rule(#[from] LifecycleError),
    /// The edit token does not belong to this review.
    #[error("the edit token does not match this review")]
    BadEditToken,
    /// Valid on its own but not here (a product the invitation does not list).
    #[error(transparent)]
    Invalid(ValidationErrors),
}

/// Who asks for an erasure.
#[derive(Debug, Clone, Copy)]
pub enum Eraser {
    /// The author, proving it with the edit token.
    Reviewer(TokenHash),
    /// The instance's operator (the command line).
    Operator,
}

impl Eraser {
    pub fn name(self) -> &'static str {
        match self {
            Self::Reviewer(_) => "reviewer",
            Self::Operator => "operator",
        }
    }
}

/// What storage knows of an invitation when a review is submitted with it.
#[derive(Debug, Clone)]
pub struct InvitationFacts {
    pub id: InvitationId,
    pub business: BusinessId,
    pub relationship: Relationship,
    pub locale: Locale,
    pub state: InvitationState,
    pub invited_at: DateTime<Utc>,
    /// The SKUs of the products it lists.
    pub skus: Vec<String>,
}

/// What storage knows of a review when a command would change it.
#[derive(Debug, Clone)]
pub struct ReviewFacts {
    pub id: ReviewId,
    pub state: ReviewState,
    pub relationship: Relationship,
    pub verified: bool,
    pub rating: Rating,
    pub nps: Option<Nps>,
    pub title: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub edit_token: TokenHash,
    /// The business's reply as it stands, if any.
    pub reply: Option<ReplyFacts>,
    /// Seconds to the first reply, while the review is published and replied.
    pub reply_delay: Option<i64>,
    /// Imported from elsewhere (`domain::imported`): it moves no figure, ever.
    pub imported: bool,
    /// The products it rated, with their ratings.
    pub products: Vec<(String, Rating)>,
}

/// A reply as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyFacts {
    pub body: String,
    pub responder_name: String,
    pub responder_role: Option<String>,
}

/// Everything one command changes.
#[derive(Debug, Clone)]
pub struct Plan {
    pub review: ReviewId,
    pub business: BusinessId,
    /// `true` when the command created something (a review, a first reply, a follow-up, a
    /// withdrawal, an erasure) rather than changing it or finding it already done.
    pub created: bool,
    /// `None` when nothing changes: no row, no event, no log entry (a retry, or an edit to
    /// the same words).
    pub step: Option<Step>,
}

/// The changes of a command that changes something.
#[derive(Debug, Clone)]
pub struct Step {
    pub change: Change,
    pub event: Event,
    pub cells: Vec<CellMove>,
}

/// The row change.
#[derive(Debug, Clone)]
pub enum Change {
    /// A new, verified review from the invitation, which is used from now on.
    Publish {
        invitation: InvitationId,
        relationship: Relationship,
        /// The review's language: the reviewer's, else the invitation's locale.
        language: String,
        draft: ReviewDraft,
        edit_token: TokenHash,
    },
    /// A review collected elsewhere, imported unverified; its edit token's hash is
    /// [`TokenHash::NONE`] (an imported review has no author here).
    Import {
        review: ImportedReview,
    },
    /// The author's new rating and words (every one of them, changed or not).
    Edit {
        rating: Rating,
        title: String,
        body: String,
    },
    /// Withdrawn: the review leaves the listings and the figures (and its reply delay).
    Withdraw,
    /// The business's reply; `first_delay` is the seconds since the review for a first
    /// reply, `None` for an edit. `relationship` is the review's (its reply delay is kept
    /// per relationship); `counted`: the delay counts in the figures (not for an imported
    /// review, written long before it could be answered here).
    Reply {
        reply: ReplyDraft,
        first_delay: Option<i64>,
        relationship: Relationship,
        counted: bool,
    },
    FollowUp {
        body: FollowUpBody,
    },
    /// The personal content goes: texts, the events' snapshots and salts, the invitee's name
    /// and address. `counted`: the review still counted in the figures (its reply delay goes).
    Erase {
        counted: bool,
    },
}

/// The history event, and exactly what the log commits to.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub kind: EventKind,
    pub at: DateTime<Utc>,
    /// The event's data as the history shows it.
    pub snapshot: serde_json::Value,
    /// Its canonical bytes (`log_entry::canonical_content`), committed with a fresh salt.
    pub content: Vec<u8>,
}

impl Event {
    fn new(kind: EventKind, at: DateTime<Utc>, snapshot: serde_json::Value) -> Self {
        Self {
            kind,
            at,
            content: canonical_content(&snapshot),
            snapshot,
        }
    }
}

/// Whose figures a cell holds: a business, or one of its products (`product` non-empty).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CellScope {
    pub business: BusinessId,
    /// `""` for the whole business, else a product's SKU.
    pub product: String,
    pub relationship: Relationship,
    pub verified: bool,
}

/// A move of the four time cells (day, week, month, all time) of one UTC day.
#[derive(Debug, Clone, PartialEq)]
pub struct CellMove {
    pub scope: CellScope,
    /// Days since the Unix epoch (`stats::day_of`).
    pub day: i64,
    pub delta: CellDelta,
}

/// A reviewer redeems an invitation.
pub fn submit(
    invitation: &InvitationFacts,
    id: ReviewId,
    draft: &ReviewDraft,
    edit_token: TokenHash,
    at: DateTime<Utc>,
) -> Result<Plan, Refusal> {
    lifecycle::redeem_invitation(invitation.state, at)?;
    let mut unknown = ValidationErrors::new();
    for (i, p) in draft.products.iter().enumerate() {
        if !invitation.skus.iter().any(|s| s == p.sku.as_str()) {
            unknown.0.push(crate::FieldError {
                field: format!("products[{i}].sku"),
                code: "not_invited",
                message: "the invitation does not list this product".into(),
            });
        }
    }
    unknown.into_result().map_err(Refusal::Invalid)?;
    let language = draft
        .language
        .as_ref()
        .map_or(invitation.locale.as_str(), |l| l.as_str())
        .to_owned();
    let mut snapshot = json!({
        "rating": draft.rating.get(),
        "title": draft.title.as_str(),
        "body": draft.body.as_str(),
        "nps": draft.nps.map(Nps::get),
        "experience_date": draft.experience_date.map(|d| d.get().to_string()),
        "author_name": draft.author_name.as_str(),
        "language": language,
    });
    if !draft.products.is_empty() {
        // Committed in the log with the rest; absent (not empty) without products, so the
        // content of a review without products is what it was before products existed.
        snapshot["products"] = draft
            .products
            .iter()
            .map(|p| {
                json!({
                    "sku": p.sku.as_str(),
                    "rating": p.rating.get(),
                    "body": p.body.as_ref().map(|b| b.as_str()),
                })
            })
            .collect();
    }
    // The review counts on its day; the invitation's answer on the day it was sent, for the
    // business and for each product it listed (rated or not).
    let scope = |product: &str| CellScope {
        business: invitation.business,
        product: product.to_owned(),
        relationship: invitation.relationship,
        verified: true,
    };
    let (day, invited_day) = (day_of(at), day_of(invitation.invited_at));
    let mut cells = vec![
        CellMove {
            scope: scope(""),
            day,
            delta: CellDelta::published(draft.rating, draft.nps, at),
        },
        CellMove {
            scope: scope(""),
            day: invited_day,
            delta: CellDelta::answered(),
        },
    ];
    for sku in &invitation.skus {
        if let Some(p) = draft.products.iter().find(|p| p.sku.as_str() == sku) {
            cells.push(CellMove {
                scope: scope(sku),
                day,
                delta: CellDelta::published(p.rating, draft.nps, at),
            });
        }
        cells.push(CellMove {
            scope: scope(sku),
            day: invited_day,
            delta: CellDelta::answered(),
        });
    }
    Ok(Plan {
        review: id,
        business: invitation.business,
        created: true,
        step: Some(Step {
            change: Change::Publish {
                invitation: invitation.id,
                relationship: invitation.relationship,
                language,
                draft: draft.clone(),
                edit_token,
            },
            event: Event::new(EventKind::ReviewPublished, at, snapshot),
            cells,
        }),
    })
}

/// A review collected elsewhere is imported, unless the business already imported it
/// (`existing`: the review with the same source and identifier). It is never verified and
/// moves no figure; its event is `review_imported`, whose content says where it came from
/// and when it was written there.
pub fn import(
    business: BusinessId,
    existing: Option<ReviewId>,
    id: ReviewId,
    review: &ImportedReview,
    at: DateTime<Utc>,
) -> Plan {
    if let Some(existing) = existing {
        return Plan {
            review: existing,
            business,
            created: false,
            step: None,
        };
    }
    let snapshot = json!({
        "rating": review.rating.get(),
        "title": review.title.as_str(),
        "body": review.body.as_str(),
        "author_name": review.author_name.as_str(),
        "language": review.language.as_str(),
        "source": review.source.as_str(),
        "original_date": review.original_date.to_string(),
    });
    Plan {
        review: id,
        business,
        created: true,
        step: Some(Step {
            change: Change::Import {
                review: review.clone(),
            },
            event: Event::new(EventKind::ReviewImported, at, snapshot),
            cells: Vec::new(),
        }),
    }
}

/// The author changes any of rating, title and body.
pub fn edit(
    current: &ReviewFacts,
    edit_token: TokenHash,
    patch: &ReviewPatch,
    at: DateTime<Utc>,
) -> Result<Plan, Refusal> {
    current.authorise(edit_token)?;
    lifecycle::edit(current.state)?;
    let rating = patch.rating.unwrap_or(current.rating);
    let title = patch.title.as_ref().map_or(&*current.title, |t| t.as_str());
    let body = patch.body.as_ref().map_or(&*current.body, |b| b.as_str());
    if rating == current.rating && title == current.title && body == current.body {
        // Nothing changes: no history event, no log entry, no edit mark.
        return Ok(current.unchanged(false));
    }
    let cells = if rating == current.rating || current.imported {
        Vec::new()
    } else {
        // Only the review's own rating moves, not its products'.
        vec![CellMove {
            scope: current.scope(""),
            day: day_of(current.created_at),
            delta: CellDelta::rating_changed(
                current.rating,
                rating,
                current.reply_delay,
                current.created_at,
            ),
        }]
    };
    let snapshot = json!({"rating": rating.get(), "title": title, "body": body});
    Ok(current.changed(
        false,
        Change::Edit {
            rating,
            title: title.to_owned(),
            body: body.to_owned(),
        },
        Event::new(EventKind::ReviewEdited, at, snapshot),
        cells,
    ))
}

/// The author withdraws the review (a tombstone stays); again, nothing happens.
pub fn withdraw(
    current: &ReviewFacts,
    edit_token: TokenHash,
    at: DateTime<Utc>,
) -> Result<Plan, Refusal> {
    current.authorise(edit_token)?;
    Ok(match lifecycle::withdraw(current.state) {
        Withdrawal::AlreadyWithdrawn => current.unchanged(false),
        Withdrawal::Withdraw => current.changed(
            true,
            Change::Withdraw,
            Event::new(EventKind::ReviewWithdrawn, at, json!({})),
            current.leave_the_figures(),
        ),
    })
}

/// The business publishes or edits its one reply.
pub fn reply(
    current: &ReviewFacts,
    business: BusinessId,
    reply: &ReplyDraft,
    at: DateTime<Utc>,
) -> Result<Plan, Refusal> {
    lifecycle::reply(current.state, business)?;
    let proposed = ReplyFacts {
        body: reply.body.as_str().to_owned(),
        responder_name: reply.responder_name.as_str().to_owned(),
        responder_role: reply.responder_role.as_ref().map(|r| r.as_str().to_owned()),
    };
    let snapshot = json!({
        "body": proposed.body,
        "responder_name": proposed.responder_name,
        "responder_role": proposed.responder_role,
    });
    Ok(match &current.reply {
        // The same reply again: no history event, no log entry, no edit mark.
        Some(existing) if *existing == proposed => current.unchanged(false),
        Some(_) => current.changed(
            false,
            Change::Reply {
                reply: reply.clone(),
                first_delay: None,
                relationship: current.relationship,
                counted: !current.imported,
            },
            Event::new(EventKind::ReplyEdited, at, snapshot),
            Vec::new(),
        ),
        None => {
            let delay = (at - current.created_at).num_seconds().max(0);
            current.changed(
                true,
                Change::Reply {
                    reply: reply.clone(),
                    first_delay: Some(delay),
                    relationship: current.relationship,
                    counted: !current.imported,
                },
                Event::new(EventKind::ReplyPublished, at, snapshot),
                current.move_all(|rating| CellDelta::first_reply(rating, delay)),
            )
        }
    })
}

/// The author answers the business's reply, once.
pub fn follow_up(
    current: &ReviewFacts,
    edit_token: TokenHash,
    body: &FollowUpBody,
    at: DateTime<Utc>,
) -> Result<Plan, Refusal> {
    current.authorise(edit_token)?;
    lifecycle::follow_up(current.state)?;
    Ok(current.changed(
        true,
        Change::FollowUp { body: body.clone() },
        Event::new(
            EventKind::FollowUpPublished,
            at,
            json!({"body": body.as_str()}),
        ),
        Vec::new(),
    ))
}

/// The review's personal content is erased; the log keeps its entries and gains one.
pub fn erase(current: &ReviewFacts, by: Eraser, at: DateTime<Utc>) -> Result<Plan, Refusal> {
    if let Eraser::Reviewer(token) = by {
        current.authorise(token)?;
    }
    Ok(match lifecycle::erase(current.state) {
        Erasure::AlreadyErased => current.unchanged(false),
        Erasure::Erase { counted } => current.changed(
            true,
            Change::Erase { counted },
            Event::new(
                EventKind::ContentErased,
                at,
                json!({"erased_by": by.name()}),
            ),
            if counted {
                current.leave_the_figures()
            } else {
                Vec::new()
            },
        ),
    })
}

/// The cells a new invitation moves: sent on its own day, for the business and for each
/// product it lists.
pub fn invitation_cells(
    business: BusinessId,
    invitation: &crate::invitation::NewInvitation,
    at: DateTime<Utc>,
) -> Vec<CellMove> {
    let day = day_of(at);
    std::iter::once("")
        .chain(invitation.products.iter().map(|p| p.sku.as_str()))
        .map(|product| CellMove {
            scope: CellScope {
                business,
                product: product.to_owned(),
                relationship: invitation.relationship,
                verified: true,
            },
            day,
            delta: CellDelta::invited(),
        })
        .collect()
}

impl ReviewFacts {
    /// The author's edit token, compared in constant time.
    fn authorise(&self, token: TokenHash) -> Result<(), Refusal> {
        if self.edit_token.ct_eq(&token) {
            Ok(())
        } else {
            Err(Refusal::BadEditToken)
        }
    }

    fn scope(&self, product: &str) -> CellScope {
        CellScope {
            business: self.state.business,
            product: product.to_owned(),
            relationship: self.relationship,
            verified: self.verified,
        }
    }

    /// The business's cells, moved by `delta` of the review's rating, and each rated
    /// product's, moved by `delta` of that product's rating; all on the review's day.
    fn move_all(&self, delta: impl Fn(Rating) -> CellDelta) -> Vec<CellMove> {
        if self.imported {
            return Vec::new();
        }
        let day = day_of(self.created_at);
        std::iter::once(("", self.rating))
            .chain(self.products.iter().map(|(sku, r)| (sku.as_str(), *r)))
            .map(|(product, rating)| CellMove {
                scope: self.scope(product),
                day,
                delta: delta(rating),
            })
            .collect()
    }

    /// A published review leaves the figures, with its reply delay.
    fn leave_the_figures(&self) -> Vec<CellMove> {
        self.move_all(|rating| {
            CellDelta::removed(rating, self.nps, self.reply_delay, self.created_at)
        })
    }

    fn unchanged(&self, created: bool) -> Plan {
        Plan {
            review: self.id,
            business: self.state.business,
            created,
            step: None,
        }
    }

    fn changed(&self, created: bool, change: Change, event: Event, cells: Vec<CellMove>) -> Plan {
        Plan {
            review: self.id,
            business: self.state.business,
            created,
            step: Some(Step {
                change,
                event,
                cells,
            }),
        }
    }
}

#[cfg(test)]
mod tests;
