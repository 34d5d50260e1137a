//! The review a publication just wrote, as a read would return it, built from its plan: a
//! backend answers a new review without reading it back. Shared, so that both backends
//! answer the same.

use domain::plan::{Change, Plan, Step};
use domain::review::{Nps, ReviewStatus};

use crate::{BusinessRef, Opening, Position, Review, ReviewContent};

impl Review {
    /// The review `plan` publishes, with what only the database knows: its row number, its
    /// event's log index (if logged already) and salt. `None` for any other step, and for a
    /// review with product ratings (their names are the invitation's, read back instead).
    pub fn published(
        plan: &Plan,
        business: BusinessRef,
        seq: i64,
        log_index: Option<u64>,
        salt: [u8; 32],
    ) -> Option<Review> {
        let Some(Step {
            change:
                Change::Publish {
                    relationship,
                    language,
                    draft,
                    ..
                },
            event,
            ..
        }) = &plan.step
        else {
            return None;
        };
        if !draft.products.is_empty() {
            return None;
        }
        // Stored times are milliseconds: the answer is what a read returns.
        let at_ms = event.at.timestamp_millis();
        Some(Review {
            id: plan.review,
            business,
            relationship: *relationship,
            verified: true,
            status: ReviewStatus::Published,
            created_at: chrono::DateTime::from_timestamp_millis(at_ms)?,
            updated_at: None,
            edit_count: 0,
            withdrawn_at: None,
            erased_at: None,
            content: Some(ReviewContent {
                rating: draft.rating.get(),
                title: draft.title.as_str().to_owned(),
                body: draft.body.as_str().to_owned(),
                nps: draft.nps.map(Nps::get),
                experience_date: draft.experience_date.map(|d| d.get()),
                author_name: draft.author_name.as_str().to_owned(),
                language: language.clone(),
                products: Vec::new(),
            }),
            reply: None,
            follow_up: None,
            position: Position {
                rating: draft.rating.get(),
                created_at_ms: at_ms,
                seq,
            },
            log_index,
            opening: Some(Opening {
                salt,
                content: event.content.clone(),
            }),
            imported: None,
        })
    }
}
