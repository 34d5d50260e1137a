//! The review use cases: every change through the one write path, with its side effects.

use chrono::{DateTime, Utc};
use domain::ids::ReviewId;
use domain::review::ReviewDraft;
use domain::secret::{Secret, TokenHash};
use store::{ReviewCommand, ReviewWrite, StoreError};

use crate::App;
use crate::live::News;

/// Runs `command` through the one write path, then drops the business's cached reads and
/// tells its open inboxes. In a task of its own, so that a caller that goes away (a client
/// disconnecting mid-write) cannot leave the write done and its side effects undone.
pub async fn write(app: &App, command: ReviewCommand) -> Result<ReviewWrite, StoreError> {
    let app = app.clone();
    tokio::spawn(async move { write_and_tell(&app, command).await })
        .await
        .map_err(|e| StoreError::Backend(Box::new(e)))?
}

async fn write_and_tell(app: &App, command: ReviewCommand) -> Result<ReviewWrite, StoreError> {
    // What an open inbox must hear: a review arrives or leaves it.
    let news: Option<fn(ReviewId) -> News> = match &command {
        ReviewCommand::Submit { .. } => Some(News::Review),
        ReviewCommand::Reply { .. } => Some(News::Replied),
        ReviewCommand::Withdraw { .. } | ReviewCommand::Erase { .. } => Some(News::Gone),
        // An import is the business's own doing, a file at a time: nothing to announce.
        ReviewCommand::Edit { .. }
        | ReviewCommand::FollowUp { .. }
        | ReviewCommand::Import { .. } => None,
    };
    let write = app.store.write_review(command).await?;
    app.cache.invalidate(&write.review.business.slug);
    // Only when it happened now, not when a retry found it done.
    if let Some(news) = news.filter(|_| write.created) {
        let review = &write.review;
        app.live.tell(review.business.id, news(review.id));
    }
    Ok(write)
}

/// What a reviewer's submission produced.
#[derive(Debug)]
pub struct Submitted {
    pub write: ReviewWrite,
    /// Shown to the reviewer once; stored only as its hash.
    pub edit_token: Secret,
    /// The review's receipt (`c2sp.org/tlog-proof@v1`), if this instance keeps a log.
    pub receipt: Option<String>,
}

/// Redeems the invitation `token` for `draft`: the API's and the invitation form's
/// submissions alike.
pub async fn submit(
    app: &App,
    token: &str,
    draft: ReviewDraft,
    at: DateTime<Utc>,
) -> Result<Submitted, StoreError> {
    let edit_token = crate::tokens::new_edit_token();
    let id = ReviewId::generate();
    let write = write(
        app,
        ReviewCommand::Submit {
            invitation: TokenHash::of(token),
            id,
            draft,
            edit_token: edit_token.hash(),
            at,
        },
    )
    .await?;
    // The batch that wrote the review was sealed by a checkpoint before it committed, so the
    // receipt exists now (unless this instance runs without a log key).
    // Its latest event is the one it just wrote: the receipt is that entry's, which the
    // store can build from memory.
    let receipt = match write.review.log_index {
        Some(index) => app.store.log_receipt(index).await?,
        None => app.store.review_receipt(id).await?,
    }
    .map(|r| String::from_utf8_lossy(&r).into_owned());
    Ok(Submitted {
        write,
        edit_token,
        receipt,
    })
}
