//! The review write path: load what the command needs to know, let `domain::plan` decide,
//! apply the plan, all in the caller's transaction, so the review's rows, its history event
//! and the figures' cells change together or not at all. No rule is decided here.
//!
//! Several servers may write at once: each command first locks the row it depends on (the
//! invitation, or the review), so two commands on one review run one after the other, and
//! the second reads what the first wrote. The event is recorded with its salt and the
//! commitment its log entry will carry; the sequencer (`sequencer.rs`) appends the entry.

use domain::ids::{BusinessId, InvitationId, ReviewId};
use domain::imported::ImportedReview;
use domain::lifecycle::{InvitationState, ReviewState};
use domain::log_entry::commitment;
use domain::plan::{self, Change, InvitationFacts, Plan, ReplyFacts, ReviewFacts};
use domain::review::{Nps, Rating, ReviewStatus};
use domain::secret::TokenHash;
use store::{BusinessRef, Entity, Review, ReviewCommand, ReviewWrite, StoreError};

use crate::db::{Db, Result, bytes32, corrupt, from_ms, to_ms};
use crate::listen::{Announcement, notify};

/// Applies one review command; returns what it wrote and the sequence number of the event
/// it recorded (for the wait on its log entry), if it recorded one.
pub(crate) async fn review(
    db: &dyn Db,
    origin: uuid::Uuid,
    command: &ReviewCommand,
) -> Result<(ReviewWrite, Option<i64>)> {
    let (plan, business) = match command {
        ReviewCommand::Submit {
            invitation,
            id,
            draft,
            edit_token,
            at,
        } => {
            let (facts, business) = invitation_facts(db, invitation).await?;
            let plan = plan::submit(&facts, *id, draft, *edit_token, *at)?;
            (plan, business)
        }
        ReviewCommand::Edit {
            review,
            edit_token,
            patch,
            at,
        } => {
            let (facts, business) = review_facts(db, *review).await?;
            (plan::edit(&facts, *edit_token, patch, *at)?, business)
        }
        ReviewCommand::Withdraw {
            review,
            edit_token,
            at,
        } => {
            let (facts, business) = review_facts(db, *review).await?;
            (plan::withdraw(&facts, *edit_token, *at)?, business)
        }
        ReviewCommand::Reply {
            review,
            business: by,
            reply,
            at,
        } => {
            let (facts, business) = review_facts(db, *review).await?;
            (plan::reply(&facts, *by, reply, *at)?, business)
        }
        ReviewCommand::FollowUp {
            review,
            edit_token,
            body,
            at,
        } => {
            let (facts, business) = review_facts(db, *review).await?;
            (plan::follow_up(&facts, *edit_token, body, *at)?, business)
        }
        ReviewCommand::Erase { review, by, at } => {
            let (facts, business) = review_facts(db, *review).await?;
            (plan::erase(&facts, *by, *at)?, business)
        }
        ReviewCommand::Import {
            business,
            id,
            review,
            at,
        } => {
            let (existing, business_ref) = imported_facts(db, *business, review).await?;
            (
                plan::import(*business, existing, *id, review, *at),
                business_ref,
            )
        }
    };
    let applied = apply(db, &plan).await?;
    if let Some(step) = applied.and(plan.step.as_ref()) {
        let event = (
            business.id.0,
            plan.review.0,
            step.event.kind.as_str().to_owned(),
        );
        let slug = business.slug.clone();
        notify(
            db,
            &Announcement {
                origin,
                slug,
                event: Some(event),
            },
        )
        .await?;
    }
    let event = applied.as_ref().map(|a| a.event);
    let published =
        applied.and_then(|a| Review::published(&plan, business.clone(), a.seq?, None, a.salt));
    let review = match published {
        Some(review) => review,
        None => crate::reviews::by_id(db, plan.review)
            .await?
            .ok_or_else(|| corrupt("review", plan.review))?,
    };
    Ok((
        ReviewWrite {
            review,
            created: plan.created,
        },
        event,
    ))
}

/// What applying a plan wrote that only the database knows.
#[derive(Debug, Clone, Copy)]
struct Applied {
    /// The new review's row number (a publication).
    seq: Option<i64>,
    /// The recorded event's number.
    event: i64,
    salt: [u8; 32],
}

/// Applies a plan: its row change, its event, its cell moves.
async fn apply(db: &dyn Db, plan: &Plan) -> Result<Option<Applied>> {
    let Some(step) = &plan.step else {
        return Ok(None);
    };
    let mut seq = None;
    let id = plan.review.0;
    let at = to_ms(step.event.at);
    match &step.change {
        Change::Publish {
            invitation,
            relationship,
            language,
            draft,
            edit_token,
        } => {
            seq = Some(
                publish(
                    db,
                    plan,
                    *invitation,
                    relationship.as_str(),
                    language,
                    draft,
                    edit_token,
                    at,
                )
                .await?,
            )
        }
        Change::Import { review } => seq = Some(import(db, plan, review, at).await?),
        Change::Edit {
            rating,
            title,
            body,
        } => {
            db.execute(
                "UPDATE reviews SET rating = $2, title = $3, body = $4, updated_at = $5,
                     edit_count = edit_count + 1
                 WHERE id = $1",
                &[&id, &i32::from(rating.get()), title, body, &at],
            )
            .await?;
        }
        Change::Withdraw => {
            db.execute(
                "UPDATE reviews SET status = 'withdrawn', withdrawn_at = $2 WHERE id = $1",
                &[&id, &at],
            )
            .await?;
            db.execute("DELETE FROM reply_delays WHERE review_id = $1", &[&id])
                .await?;
        }
        Change::Reply {
            reply,
            first_delay,
            relationship,
            counted,
        } => {
            let role = reply.responder_role.as_ref().map(|r| r.as_str());
            let (body, name) = (reply.body.as_str(), reply.responder_name.as_str());
            match first_delay {
                Some(delay) => {
                    db.execute(
                        "INSERT INTO replies (review_id, body, responder_name, responder_role,
                             created_at)
                         VALUES ($1, $2, $3, $4, $5)",
                        &[&id, &body, &name, &role, &at],
                    )
                    .await?;
                    if *counted {
                        db.execute(
                            "INSERT INTO reply_delays (review_id, business_id, relationship,
                                 seconds)
                             VALUES ($1, $2, $3, $4)",
                            &[&id, &plan.business.0, &relationship.as_str(), delay],
                        )
                        .await?;
                    }
                }
                None => {
                    db.execute(
                        "UPDATE replies SET body = $2, responder_name = $3, responder_role = $4,
                             updated_at = $5, edit_count = edit_count + 1
                         WHERE review_id = $1",
                        &[&id, &body, &name, &role, &at],
                    )
                    .await?;
                }
            }
        }
        Change::FollowUp { body } => {
            db.execute(
                "INSERT INTO follow_ups (review_id, body, created_at) VALUES ($1, $2, $3)",
                &[&id, &body.as_str(), &at],
            )
            .await?;
        }
        Change::Erase { counted } => erase(db, id, *counted, at).await?,
    }
    let (event, salt) = record_event(db, plan.review, plan.business, &step.event).await?;
    crate::stats::apply(db, &step.cells).await?;
    Ok(Some(Applied { seq, event, salt }))
}

/// Records an event in the review's history, with a fresh salt and the commitment its log
/// entry will carry; returns its number and salt.
async fn record_event(
    db: &dyn Db,
    review: ReviewId,
    business: BusinessId,
    event: &domain::plan::Event,
) -> Result<(i64, [u8; 32])> {
    let salt: [u8; 32] = rand::random();
    let committed = commitment(&salt, &event.content);
    let row = db
        .query_one(
            "INSERT INTO review_events (review_id, business_id, kind, at, salt, content,
                 commitment)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             RETURNING seq",
            &[
                &review.0,
                &business.0,
                &event.kind.as_str(),
                &to_ms(event.at),
                &&salt[..],
                &event.content,
                &&committed[..],
            ],
        )
        .await?;
    Ok((row.get(0), salt))
}

#[allow(
    clippy::too_many_arguments,
    reason = "the publication's columns, each from the plan"
)]
async fn publish(
    db: &dyn Db,
    plan: &Plan,
    invitation: InvitationId,
    relationship: &str,
    language: &str,
    draft: &domain::review::ReviewDraft,
    edit_token: &TokenHash,
    at: i64,
) -> Result<i64> {
    let (id, business) = (plan.review.0, plan.business.0);
    let experience_date = draft.experience_date.map(|d| d.get().to_string());
    let row = db
        .query_one(
            "INSERT INTO reviews (id, business_id, invitation_id, relationship, verified,
                 status, rating, title, body, nps, experience_date, author_name, language,
                 edit_token_hash, created_at)
             VALUES ($1, $2, $3, $4, true, 'published', $5, $6, $7, $8, $9, $10, $11, $12,
                 $13)
             RETURNING seq",
            &[
                &id,
                &business,
                &invitation.0,
                &relationship,
                &i32::from(draft.rating.get()),
                &draft.title.as_str(),
                &draft.body.as_str(),
                &draft.nps.map(|n| i32::from(n.get())),
                &experience_date,
                &draft.author_name.as_str(),
                &language,
                &&edit_token.as_bytes()[..],
                &at,
            ],
        )
        .await?;
    if !draft.products.is_empty() {
        let skus: Vec<&str> = draft.products.iter().map(|p| p.sku.as_str()).collect();
        let ratings: Vec<i32> = draft
            .products
            .iter()
            .map(|p| i32::from(p.rating.get()))
            .collect();
        let bodies: Vec<Option<&str>> = draft
            .products
            .iter()
            .map(|p| p.body.as_ref().map(|b| b.as_str()))
            .collect();
        db.execute(
            "INSERT INTO product_reviews (review_id, business_id, sku, rating, body, created_at)
             SELECT $1, $2, p.sku, p.rating, p.body, $6
             FROM unnest($3::text[], $4::integer[], $5::text[]) AS p (sku, rating, body)",
            &[&id, &business, &skus, &ratings, &bodies, &at],
        )
        .await?;
    }
    Ok(row.get(0))
}

/// Inserts an imported review: unverified, of no invitation.
async fn import(db: &dyn Db, plan: &Plan, review: &ImportedReview, at: i64) -> Result<i64> {
    let row = db
        .query_one(
            "INSERT INTO reviews (id, business_id, relationship, verified, status, rating,
                 title, body, author_name, language, edit_token_hash, created_at,
                 import_source, original_date, external_id)
             VALUES ($1, $2, $3, false, 'published', $4, $5, $6, $7, $8, $9, $10, $11, $12,
                 $13)
             RETURNING seq",
            &[
                &plan.review.0,
                &plan.business.0,
                &review.relationship.as_str(),
                &i32::from(review.rating.get()),
                &review.title.as_str(),
                &review.body.as_str(),
                &review.author_name.as_str(),
                &review.language.as_str(),
                &&TokenHash::NONE.as_bytes()[..],
                &at,
                &review.source.as_str(),
                &review.original_date.to_string(),
                &review.external_id.as_str(),
            ],
        )
        .await?;
    Ok(row.get(0))
}

/// The review the business already imported from the same source with the same
/// identifier, and the business. Locks the business's row against other imports (`FOR NO
/// KEY UPDATE`, which the foreign-key checks of other writes do not wait for), so that two
/// imports of one review run one after the other and the second finds the first.
async fn imported_facts(
    db: &dyn Db,
    business: BusinessId,
    review: &ImportedReview,
) -> Result<(Option<ReviewId>, BusinessRef)> {
    let b = db
        .query_opt(
            "SELECT slug, name FROM businesses WHERE id = $1 FOR NO KEY UPDATE",
            &[&business.0],
        )
        .await?
        .ok_or(StoreError::NotFound(Entity::Business))?;
    let existing = db
        .query_opt(
            "SELECT id FROM reviews
             WHERE business_id = $1 AND import_source = $2 AND external_id = $3",
            &[
                &business.0,
                &review.source.as_str(),
                &review.external_id.as_str(),
            ],
        )
        .await?
        .map(|r| r.try_get(0).map(ReviewId))
        .transpose()?;
    Ok((
        existing,
        BusinessRef {
            id: business,
            slug: b.try_get(0)?,
            name: b.try_get(1)?,
        },
    ))
}

/// Erases a review's personal content.
async fn erase(db: &dyn Db, id: uuid::Uuid, counted: bool, at: i64) -> Result<()> {
    if counted {
        db.execute("DELETE FROM reply_delays WHERE review_id = $1", &[&id])
            .await?;
    }
    // The rating stays (a star value is no personal data, and the column may not be empty);
    // it is never shown again.
    db.execute(
        "UPDATE reviews SET status = 'withdrawn', withdrawn_at = COALESCE(withdrawn_at, $2),
             erased_at = $2, title = '', body = '', author_name = '', nps = NULL,
             experience_date = NULL
         WHERE id = $1",
        &[&id, &at],
    )
    .await?;
    db.execute(
        "UPDATE follow_ups SET body = '' WHERE review_id = $1",
        &[&id],
    )
    .await?;
    db.execute(
        "UPDATE product_reviews SET body = NULL WHERE review_id = $1",
        &[&id],
    )
    .await?;
    db.execute(
        "UPDATE invitations SET customer_name = NULL, customer_email = NULL, email_hash = NULL
         WHERE id = (SELECT invitation_id FROM reviews WHERE id = $1)",
        &[&id],
    )
    .await?;
    // The log's entries stay (the commitment too, for an event not yet logged); without
    // their salts the commitments link to nothing.
    db.execute(
        "UPDATE review_events SET salt = NULL, content = NULL WHERE review_id = $1",
        &[&id],
    )
    .await?;
    Ok(())
}

/// What the plan needs to know of the invitation whose token hashes to `token`, and the
/// business it is of. Locks the invitation first: two submissions of one invitation run one
/// after the other, and the second sees the first's review.
async fn invitation_facts(
    db: &dyn Db,
    token: &TokenHash,
) -> Result<(InvitationFacts, BusinessRef)> {
    let token = &token.as_bytes()[..];
    db.query_opt(
        "SELECT 1 FROM invitations WHERE token_hash = $1 FOR UPDATE",
        &[&token],
    )
    .await?
    .ok_or(StoreError::NotFound(Entity::Invitation))?;
    // A statement of its own: under READ COMMITTED it sees what committed before the lock
    // was granted.
    let row = db
        .query_one(
            "SELECT i.id, i.business_id, i.relationship, i.locale, i.expires_at,
                    EXISTS (SELECT 1 FROM reviews r WHERE r.invitation_id = i.id),
                    i.created_at, b.slug, b.name,
                    ARRAY(SELECT p.sku FROM invitation_products p
                          WHERE p.invitation_id = i.id ORDER BY p.position)
             FROM invitations i JOIN businesses b ON b.id = i.business_id
             WHERE i.token_hash = $1",
            &[&token],
        )
        .await?;
    let business = BusinessId(row.try_get(1)?);
    let relationship: String = row.try_get(2)?;
    let locale: String = row.try_get(3)?;
    let facts = InvitationFacts {
        id: InvitationId(row.try_get(0)?),
        business,
        relationship: relationship
            .parse()
            .map_err(|_| corrupt("relationship", &relationship))?,
        locale: locale.parse().map_err(|_| corrupt("locale", &locale))?,
        state: InvitationState {
            used: row.try_get(5)?,
            expires_at: from_ms(row.try_get(4)?)?,
        },
        invited_at: from_ms(row.try_get(6)?)?,
        skus: row.try_get(9)?,
    };
    Ok((
        facts,
        BusinessRef {
            id: business,
            slug: row.try_get(7)?,
            name: row.try_get(8)?,
        },
    ))
}

/// What the plan needs to know of a review, and its business. Locks the review first, so
/// that commands on one review run one after the other.
async fn review_facts(db: &dyn Db, id: ReviewId) -> Result<(ReviewFacts, BusinessRef)> {
    db.query_opt("SELECT 1 FROM reviews WHERE id = $1 FOR UPDATE", &[&id.0])
        .await?
        .ok_or(StoreError::NotFound(Entity::Review))?;
    let r = db
        .query_one(
            "SELECT r.business_id, r.relationship,
                    CASE WHEN r.erased_at IS NULL THEN r.status ELSE 'erased' END,
                    r.rating, r.nps, r.created_at, r.edit_token_hash,
                    EXISTS (SELECT 1 FROM follow_ups WHERE review_id = r.id),
                    r.verified, r.title, r.body,
                    (SELECT seconds FROM reply_delays WHERE review_id = r.id),
                    p.body, p.responder_name, p.responder_role,
                    b.slug, b.name,
                    r.import_source IS NOT NULL,
                    ARRAY(SELECT pr.sku FROM product_reviews pr WHERE pr.review_id = r.id
                          ORDER BY pr.sku),
                    ARRAY(SELECT pr.rating FROM product_reviews pr WHERE pr.review_id = r.id
                          ORDER BY pr.sku)
             FROM reviews r
             JOIN businesses b ON b.id = r.business_id
             LEFT JOIN replies p ON p.review_id = r.id
             WHERE r.id = $1",
            &[&id.0],
        )
        .await?;
    let business = BusinessId(r.try_get(0)?);
    let relationship: String = r.try_get(1)?;
    let status: String = r.try_get(2)?;
    let reply = match r.try_get::<_, Option<String>>(12)? {
        Some(body) => Some(ReplyFacts {
            body,
            responder_name: r.try_get(13)?,
            responder_role: r.try_get(14)?,
        }),
        None => None,
    };
    let skus: Vec<String> = r.try_get(18)?;
    let ratings: Vec<i32> = r.try_get(19)?;
    let products = skus
        .into_iter()
        .zip(ratings)
        .map(|(sku, rating)| Ok((sku, rating_of(rating)?)))
        .collect::<Result<_>>()?;
    let status = match status.as_str() {
        "published" => ReviewStatus::Published,
        "withdrawn" => ReviewStatus::Withdrawn,
        "erased" => ReviewStatus::Erased,
        other => return Err(corrupt("status", other)),
    };
    let facts = ReviewFacts {
        id,
        state: ReviewState {
            business,
            status,
            has_reply: reply.is_some(),
            has_follow_up: r.try_get(7)?,
        },
        relationship: relationship
            .parse()
            .map_err(|_| corrupt("relationship", &relationship))?,
        verified: r.try_get(8)?,
        rating: rating_of(r.try_get(3)?)?,
        nps: r
            .try_get::<_, Option<i32>>(4)?
            .map(|n| Nps::new(i64::from(n)).map_err(|_| corrupt("nps", n)))
            .transpose()?,
        title: r.try_get(9)?,
        body: r.try_get(10)?,
        created_at: from_ms(r.try_get(5)?)?,
        edit_token: TokenHash(bytes32("edit token hash", r.try_get(6)?)?),
        reply,
        reply_delay: r.try_get(11)?,
        imported: r.try_get(17)?,
        products,
    };
    Ok((
        facts,
        BusinessRef {
            id: business,
            slug: r.try_get(15)?,
            name: r.try_get(16)?,
        },
    ))
}

fn rating_of(stars: i32) -> Result<Rating> {
    Rating::new(i64::from(stars)).map_err(|_| corrupt("rating", stars))
}

/// The log index of the event `seq`, once the sequencer logged it.
pub(crate) async fn log_index_of(db: &dyn Db, seq: i64) -> Result<Option<u64>> {
    let row = db
        .query_opt(
            "SELECT log_index FROM review_events WHERE seq = $1",
            &[&seq],
        )
        .await?;
    Ok(row
        .and_then(|r| r.get::<_, Option<i64>>(0))
        .map(|i| i as u64))
}

/// Whether any recorded event waits for the sequencer.
pub(crate) async fn any_waiting(db: &dyn Db) -> Result<bool> {
    let row = db
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM review_events WHERE log_index IS NULL)
                 OR EXISTS (SELECT 1 FROM invitation_templates WHERE log_index IS NULL)",
            &[],
        )
        .await?;
    Ok(row.try_get(0)?)
}
