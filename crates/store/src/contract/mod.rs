//! The contract-test suite: what every backend must do, checked through the [`Store`] trait
//! alone, so that it runs unchanged against any backend given a constructor.
//!
//! A backend runs the whole suite with one line in a test file of its own:
//!
//! ```ignore
//! store::contract_suite!(my_backend_opener);
//! ```
//!
//! where the opener is an [`Open`]: given the log's signer (or none, as the command line
//! opens a store), it returns a fresh, empty store of that backend. Each case becomes a test
//! of its own, named after the case, so that a failure names what broke.
//!
//! The cases never look behind the trait (no SQL): what they check is what any caller can
//! see. Checks that need a backend's internals (file modes, WAL checkpoints, tampering with
//! stored rows) stay in that backend's own tests.

#![allow(
    clippy::unwrap_used,
    reason = "the suite runs in tests; a panic is a failing test"
)]

mod accounts;
mod figures;
mod imported;
mod invitation_figures;
mod log;
mod reviews;
mod templates;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use domain::business::NewBusiness;
use domain::ids::{BusinessId, InvitationId, ReviewId};
use domain::invitation::{InvitationInput, NewInvitation, ProductInput};
use domain::review::{ProductRatingInput, ReviewDraft, ReviewInput};
use domain::secret::TokenHash;
use ledger::note::LogSigner;

use crate::{ReviewCommand, Store};

pub use accounts::*;
pub use figures::*;
pub use imported::*;
pub use invitation_figures::*;
pub use log::*;
pub use reviews::*;
pub use templates::*;

/// A fresh store of the backend under test, and whatever must outlive it (a temporary
/// directory, a throwaway database).
pub struct Fresh {
    pub store: Arc<dyn Store>,
    _keep: Box<dyn std::any::Any + Send + Sync>,
}

impl Fresh {
    pub fn new(store: Arc<dyn Store>, keep: impl std::any::Any + Send + Sync) -> Self {
        Self {
            store,
            _keep: Box::new(keep),
        }
    }
}

impl std::fmt::Debug for Fresh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fresh").field("store", &self.store).finish()
    }
}

/// A backend's constructor: a fresh, empty store, signing the log with `signer` if given.
pub type Open = fn(Option<LogSigner>) -> Pin<Box<dyn Future<Output = Fresh> + Send>>;

/// Runs every case of the suite against the backend that `$open` (an [`Open`]) constructs,
/// each as a test of its own.
#[macro_export]
macro_rules! contract_suite {
    ($open:expr) => {
        $crate::contract_suite!($open, when = || true);
    };
    // `when`: whether the backend can run here (a server backend needs its server); where
    // it cannot, each case says so on stderr and passes.
    ($open:expr, when = $when:expr) => {
        $crate::contract_suite!(@cases $open; $when;
            businesses_and_their_keys,
            invitations_are_idempotent_per_reference,
            users_and_sessions,
            changes_name_the_businesses_written,
            a_refused_write_in_a_batch_does_not_undo_the_others,
            every_lifecycle_step_and_its_history,
            erasure_hides_content_and_keeps_the_log,
            lists_page_through_every_sort,
            inbox_and_answered,
            products_are_checked_against_the_invitation,
            products_keep_their_latest_details,
            tallies_equal_a_recomputation_from_the_commands,
            the_log_signs_and_proves_what_it_holds,
            the_health_probe_writes,
            people_leave,
            invitation_figures_count_sources_mail_and_answers,
            outbox_claims_are_leased_and_stale_outcomes_change_nothing,
            imported_reviews_are_unverified_and_count_nowhere,
            invitation_templates_are_revised_and_logged,
        );
    };
    (@cases $open:expr; $when:expr; $($case:ident,)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let when: fn() -> bool = $when;
                if !when() {
                    eprintln!("skipped: this backend's server is not configured here");
                    return;
                }
                $crate::contract::$case($open).await
            }
        )*
    };
}

/// The test log's signer (a fixed seed: the suite's logs need no secrecy).
pub fn signer() -> LogSigner {
    LogSigner::from_seed("contract.example/log", [7; 32]).unwrap()
}

/// A business of `store`, with the API key `slug-key`.
pub async fn business(store: &dyn Store, slug: &str) -> BusinessId {
    store
        .create_business(
            NewBusiness::parse(slug, &format!("Bottega {slug}"), None).unwrap(),
            TokenHash::of(&format!("{slug}-key")),
            Utc::now(),
        )
        .await
        .unwrap()
        .id
}

/// An invitation of `business` for `reference`, with products given as `(sku, name)`;
/// returns its token's hash.
pub async fn invite(
    store: &dyn Store,
    business: BusinessId,
    reference: &str,
    relationship: &str,
    products: &[(&str, &str)],
    at: DateTime<Utc>,
) -> TokenHash {
    let token = TokenHash::of(&format!("{business}-{reference}"));
    let new = NewInvitation::parse(
        InvitationInput {
            reference,
            relationship: Some(relationship),
            customer_name: Some("Maria Rossi"),
            customer_email: Some("maria@example.it"),
            products: products
                .iter()
                .map(|&(sku, name)| ProductInput::new(sku, name))
                .collect(),
            ..Default::default()
        },
        at,
    )
    .unwrap();
    store
        .create_invitation(business, InvitationId::generate(), new, token, None, at)
        .await
        .unwrap();
    token
}

/// A submission from the invitation `token`, with an edit token derived from it.
pub fn submit(
    token: TokenHash,
    rating: i64,
    nps: Option<i64>,
    products: &[(&str, i64)],
    at: DateTime<Utc>,
) -> ReviewCommand {
    ReviewCommand::Submit {
        invitation: token,
        id: ReviewId::generate(),
        draft: ReviewDraft::parse(
            ReviewInput {
                rating,
                title: "Titolo",
                body: "Testo della recensione",
                nps,
                author_name: "Maria",
                products: products
                    .iter()
                    .map(|(sku, rating)| ProductRatingInput {
                        sku,
                        rating: *rating,
                        body: Some("Buono"),
                    })
                    .collect(),
                ..Default::default()
            },
            at,
        )
        .unwrap(),
        edit_token: edit_token(token),
        at,
    }
}

/// The edit token [`submit`] gives the review of invitation `token`.
pub fn edit_token(token: TokenHash) -> TokenHash {
    TokenHash::of(&format!("edit-{:?}", token.as_bytes()))
}

/// Invites and submits in one go; returns the review's id and edit token.
pub async fn reviewed(
    store: &dyn Store,
    business: BusinessId,
    reference: &str,
    rating: i64,
    at: DateTime<Utc>,
) -> (ReviewId, TokenHash) {
    let token = invite(store, business, reference, "customer", &[], at).await;
    let written = store
        .write_review(submit(token, rating, None, &[], at))
        .await
        .unwrap();
    (written.review.id, edit_token(token))
}
