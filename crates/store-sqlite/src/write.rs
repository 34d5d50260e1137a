//! The review write path: load what the command needs to know, let `domain::plan` decide,
//! apply the plan. Everything here runs inside the writer's transaction, so the review's
//! rows, its history event, its log entry and the figures' cells change together or not at
//! all. No rule is decided here.

use domain::ids::{BusinessId, InvitationId, ReviewId};
use domain::imported::ImportedReview;
use domain::lifecycle::{InvitationState, ReviewState};
use domain::plan::{self, Change, InvitationFacts, Plan, ReplyFacts, ReviewFacts};
use domain::review::{Nps, Rating};
use domain::secret::TokenHash;
use rusqlite::{Connection, OptionalExtension, params};
use store::{BusinessRef, Entity, Review, ReviewCommand, ReviewWrite, StoreError};

use crate::reviews::{by_id, parse_status};
use crate::writer::Effects;
use crate::{Result, corrupt, from_ms, parse_uuid, to_ms};

/// Applies one review command.
pub(crate) fn review(
    c: &Connection,
    effects: &mut Effects,
    command: ReviewCommand,
) -> Result<ReviewWrite> {
    let mut business = None;
    let plan = match command {
        ReviewCommand::Submit {
            invitation,
            id,
            draft,
            edit_token,
            at,
        } => {
            let (facts, of) = invitation_facts(c, &invitation)?;
            business = Some(of);
            plan::submit(&facts, id, &draft, edit_token, at)?
        }
        ReviewCommand::Edit {
            review,
            edit_token,
            patch,
            at,
        } => plan::edit(&review_facts(c, review)?, edit_token, &patch, at)?,
        ReviewCommand::Withdraw {
            review,
            edit_token,
            at,
        } => plan::withdraw(&review_facts(c, review)?, edit_token, at)?,
        ReviewCommand::Reply {
            review,
            business,
            reply,
            at,
        } => plan::reply(&review_facts(c, review)?, business, &reply, at)?,
        ReviewCommand::FollowUp {
            review,
            edit_token,
            body,
            at,
        } => plan::follow_up(&review_facts(c, review)?, edit_token, &body, at)?,
        ReviewCommand::Erase { review, by, at } => plan::erase(&review_facts(c, review)?, by, at)?,
        ReviewCommand::Import {
            business,
            id,
            review,
            at,
        } => {
            let existing = imported_id(c, business, &review)?;
            plan::import(business, existing, id, &review, at)
        }
    };
    let applied = apply(c, effects, &plan)?;
    let review = match (business, applied) {
        // A new review without products: every field is known, no need to read it back.
        (
            Some(business),
            Some(Applied {
                seq: Some(seq),
                log_index,
                salt,
            }),
        ) => Review::published(&plan, business, seq, Some(log_index), salt),
        _ => None,
    };
    let review = match review {
        Some(review) => review,
        None => by_id(c, plan.review)?.ok_or_else(|| corrupt("review", plan.review))?,
    };
    Ok(ReviewWrite {
        review,
        created: plan.created,
    })
}

/// What applying a plan wrote that only the database knows: the new review's row number,
/// the event's log index and salt.
struct Applied {
    seq: Option<i64>,
    log_index: u64,
    salt: [u8; 32],
}

/// Applies a plan: its row change, its event with its log entry, its cell moves.
fn apply(c: &Connection, effects: &mut Effects, plan: &Plan) -> Result<Option<Applied>> {
    let Some(step) = &plan.step else {
        return Ok(None);
    };
    let mut seq = None;
    let id = plan.review.to_string();
    let at = to_ms(step.event.at);
    match &step.change {
        Change::Publish {
            invitation,
            relationship,
            language,
            draft,
            edit_token,
        } => {
            seq = Some(publish(
                c,
                plan,
                *invitation,
                relationship.as_str(),
                language,
                draft,
                edit_token,
                at,
            )?)
        }
        Change::Import { review } => seq = Some(import(c, plan, review, at)?),
        Change::Edit {
            rating,
            title,
            body,
        } => {
            c.prepare_cached(
                "UPDATE reviews SET rating = ?2, title = ?3, body = ?4, updated_at = ?5,
                     edit_count = edit_count + 1
                 WHERE id = ?1",
            )?
            .execute(params![id, rating.get(), title, body, at])?;
        }
        Change::Withdraw => {
            c.prepare_cached(
                "UPDATE reviews SET status = 'withdrawn', withdrawn_at = ?2 WHERE id = ?1",
            )?
            .execute(params![id, at])?;
            c.prepare_cached("DELETE FROM reply_delays WHERE review_id = ?1")?
                .execute([&id])?;
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
                    c.prepare_cached(
                        "INSERT INTO replies (review_id, body, responder_name, responder_role,
                             created_at)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?
                    .execute(params![id, body, name, role, at])?;
                    if *counted {
                        c.prepare_cached(
                            "INSERT INTO reply_delays (review_id, business_id, relationship,
                                 seconds)
                             VALUES (?1, ?2, ?3, ?4)",
                        )?
                        .execute(params![
                            id,
                            plan.business.to_string(),
                            relationship.as_str(),
                            delay
                        ])?;
                    }
                }
                None => {
                    c.prepare_cached(
                        "UPDATE replies SET body = ?2, responder_name = ?3, responder_role = ?4,
                             updated_at = ?5, edit_count = edit_count + 1
                         WHERE review_id = ?1",
                    )?
                    .execute(params![id, body, name, role, at])?;
                }
            }
        }
        Change::FollowUp { body } => {
            c.prepare_cached(
                "INSERT INTO follow_ups (review_id, body, created_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![id, body.as_str(), at])?;
        }
        Change::Erase { counted } => erase(c, &id, *counted, at)?,
    }
    let (log_index, salt) =
        crate::log::record_event(c, &mut effects.log, plan.review, plan.business, &step.event)?;
    for m in &step.cells {
        effects.cells.push(m);
    }
    Ok(Some(Applied {
        seq,
        log_index,
        salt,
    }))
}

#[allow(
    clippy::too_many_arguments,
    reason = "the publication's columns, each from the plan"
)]
fn publish(
    c: &Connection,
    plan: &Plan,
    invitation: InvitationId,
    relationship: &str,
    language: &str,
    draft: &domain::review::ReviewDraft,
    edit_token: &TokenHash,
    at: i64,
) -> Result<i64> {
    let (id, business) = (plan.review.to_string(), plan.business.to_string());
    // The invitation is used from now on: its review's row says so (`reviews.invitation_id`
    // is unique), so the invitation's own row is not written again.
    c.prepare_cached(
        "INSERT INTO reviews (id, business_id, invitation_id, relationship, verified, status,
             rating, title, body, nps, experience_date, author_name, language, edit_token_hash,
             created_at)
         VALUES (?1, ?2, ?3, ?4, 1, 'published', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        id,
        business,
        invitation.to_string(),
        relationship,
        draft.rating.get(),
        draft.title.as_str(),
        draft.body.as_str(),
        draft.nps.map(Nps::get),
        draft.experience_date.map(|d| d.get().to_string()),
        draft.author_name.as_str(),
        language,
        edit_token.as_bytes(),
        at,
    ])?;
    let seq = c.last_insert_rowid();
    for p in &draft.products {
        c.prepare_cached(
            "INSERT INTO product_reviews (review_id, business_id, sku, rating, body, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            id,
            business,
            p.sku.as_str(),
            p.rating.get(),
            p.body.as_ref().map(|b| b.as_str()),
            at
        ])?;
    }
    Ok(seq)
}

/// Inserts an imported review: unverified, of no invitation.
fn import(c: &Connection, plan: &Plan, review: &ImportedReview, at: i64) -> Result<i64> {
    c.prepare_cached(
        "INSERT INTO reviews (id, business_id, relationship, verified, status, rating, title,
             body, author_name, language, edit_token_hash, created_at, import_source,
             original_date, external_id)
         VALUES (?1, ?2, ?3, 0, 'published', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        plan.review.to_string(),
        plan.business.to_string(),
        review.relationship.as_str(),
        review.rating.get(),
        review.title.as_str(),
        review.body.as_str(),
        review.author_name.as_str(),
        review.language.as_str(),
        TokenHash::NONE.as_bytes(),
        at,
        review.source.as_str(),
        review.original_date.to_string(),
        review.external_id.as_str(),
    ])?;
    Ok(c.last_insert_rowid())
}

/// The review the business already imported from the same source with the same identifier.
fn imported_id(
    c: &Connection,
    business: BusinessId,
    review: &ImportedReview,
) -> Result<Option<ReviewId>> {
    let id: Option<String> = c
        .prepare_cached(
            "SELECT id FROM reviews
             WHERE business_id = ?1 AND import_source = ?2 AND external_id = ?3",
        )?
        .query_row(
            params![
                business.to_string(),
                review.source.as_str(),
                review.external_id.as_str()
            ],
            |r| r.get(0),
        )
        .optional()?;
    id.map(|id| parse_uuid(&id).map(ReviewId)).transpose()
}

/// Erases a review's personal content.
fn erase(c: &Connection, id: &str, counted: bool, at: i64) -> Result<()> {
    if counted {
        c.prepare_cached("DELETE FROM reply_delays WHERE review_id = ?1")?
            .execute([id])?;
    }
    // The rating stays (a star value is no personal data, and the column may not be empty);
    // it is never shown again.
    c.prepare_cached(
        "UPDATE reviews SET status = 'withdrawn', withdrawn_at = COALESCE(withdrawn_at, ?2),
             erased_at = ?2, title = '', body = '', author_name = '', nps = NULL,
             experience_date = NULL
         WHERE id = ?1",
    )?
    .execute(params![id, at])?;
    c.prepare_cached("UPDATE follow_ups SET body = '' WHERE review_id = ?1")?
        .execute([id])?;
    c.prepare_cached("UPDATE product_reviews SET body = NULL WHERE review_id = ?1")?
        .execute([id])?;
    c.prepare_cached(
        "UPDATE invitations SET customer_name = NULL, customer_email = NULL, email_hash = NULL
         WHERE id = (SELECT invitation_id FROM reviews WHERE id = ?1)",
    )?
    .execute([id])?;
    // The log's entries stay; without their salts the commitments link to nothing.
    c.prepare_cached(
        "UPDATE review_events SET data = 'null', salt = NULL, content = NULL WHERE review_id = ?1",
    )?
    .execute([id])?;
    Ok(())
}

/// What the plan needs to know of the invitation whose token hashes to `token`.
/// (And the business it is of, for the answer.)
fn invitation_facts(c: &Connection, token: &TokenHash) -> Result<(InvitationFacts, BusinessRef)> {
    type Found = (
        String,
        String,
        String,
        String,
        i64,
        Option<i64>,
        i64,
        String,
        String,
    );
    let found: Option<Found> = c
        .prepare_cached(&format!(
            "SELECT i.id, i.business_id, i.relationship, i.locale, i.expires_at, {USED_AT},
                    i.created_at, b.slug, b.name
             FROM invitations i JOIN businesses b ON b.id = i.business_id
             WHERE i.token_hash = ?1",
            USED_AT = crate::invitations::USED_AT
        ))?
        .query_row([token.as_bytes()], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            ))
        })
        .optional()?;
    let (id, business, relationship, locale, expires_at, used_at, invited_at, slug, name) =
        found.ok_or(StoreError::NotFound(Entity::Invitation))?;
    let business = BusinessId(parse_uuid(&business)?);
    let skus = c
        .prepare_cached("SELECT sku FROM invitation_products WHERE invitation_id = ?1")?
        .query_map([&id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let facts = InvitationFacts {
        id: InvitationId(parse_uuid(&id)?),
        business,
        relationship: relationship
            .parse()
            .map_err(|_| corrupt("relationship", &relationship))?,
        locale: locale.parse().map_err(|_| corrupt("locale", &locale))?,
        state: InvitationState {
            used: used_at.is_some(),
            expires_at: from_ms(expires_at)?,
        },
        invited_at: from_ms(invited_at)?,
        skus,
    };
    Ok((
        facts,
        BusinessRef {
            id: business,
            slug,
            name,
        },
    ))
}

/// What the plan needs to know of a review.
fn review_facts(c: &Connection, id: ReviewId) -> Result<ReviewFacts> {
    let row = c
        .prepare_cached(
            "SELECT r.business_id, r.relationship,
                    CASE WHEN r.erased_at IS NULL THEN r.status ELSE 'erased' END,
                    r.rating, r.nps, r.created_at, r.edit_token_hash,
                    EXISTS (SELECT 1 FROM follow_ups WHERE review_id = r.id),
                    r.verified, r.title, r.body,
                    (SELECT seconds FROM reply_delays WHERE review_id = r.id),
                    p.body, p.responder_name, p.responder_role, r.import_source IS NOT NULL
             FROM reviews r LEFT JOIN replies p ON p.review_id = r.id
             WHERE r.id = ?1",
        )?
        .query_row([id.to_string()], |r| {
            Ok(Row {
                business: r.get(0)?,
                relationship: r.get(1)?,
                status: r.get(2)?,
                rating: r.get(3)?,
                nps: r.get(4)?,
                created_at: r.get(5)?,
                edit_token: r.get(6)?,
                has_follow_up: r.get(7)?,
                verified: r.get(8)?,
                title: r.get(9)?,
                body: r.get(10)?,
                reply_delay: r.get(11)?,
                reply: match r.get::<_, Option<String>>(12)? {
                    Some(body) => Some(ReplyFacts {
                        body,
                        responder_name: r.get(13)?,
                        responder_role: r.get(14)?,
                    }),
                    None => None,
                },
                imported: r.get(15)?,
            })
        })
        .optional()?
        .ok_or(StoreError::NotFound(Entity::Review))?;
    let products = c
        .prepare_cached("SELECT sku, rating FROM product_reviews WHERE review_id = ?1")?
        .query_map([id.to_string()], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?)))?
        .map(|row| {
            let (sku, rating) = row?;
            Ok((sku, rating_of(rating)?))
        })
        .collect::<Result<_>>()?;
    Ok(ReviewFacts {
        id,
        state: ReviewState {
            business: BusinessId(parse_uuid(&row.business)?),
            status: parse_status(&row.status)?,
            has_reply: row.reply.is_some(),
            has_follow_up: row.has_follow_up,
        },
        relationship: row
            .relationship
            .parse()
            .map_err(|_| corrupt("relationship", &row.relationship))?,
        verified: row.verified,
        rating: rating_of(row.rating)?,
        nps: row
            .nps
            .map(|n| Nps::new(n).map_err(|_| corrupt("nps", n)))
            .transpose()?,
        title: row.title,
        body: row.body,
        created_at: from_ms(row.created_at)?,
        edit_token: TokenHash(
            row.edit_token
                .try_into()
                .map_err(|_| corrupt("edit token hash", "length"))?,
        ),
        reply: row.reply,
        reply_delay: row.reply_delay,
        imported: row.imported,
        products,
    })
}

/// A review's row as read for the plan.
struct Row {
    business: String,
    relationship: String,
    status: String,
    rating: i64,
    nps: Option<i64>,
    created_at: i64,
    edit_token: Vec<u8>,
    has_follow_up: bool,
    verified: bool,
    title: String,
    body: String,
    reply_delay: Option<i64>,
    reply: Option<ReplyFacts>,
    imported: bool,
}

fn rating_of(stars: i64) -> Result<Rating> {
    Rating::new(stars).map_err(|_| corrupt("rating", stars))
}
