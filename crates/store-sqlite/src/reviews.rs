//! The review write path and the review reads.

use chrono::{DateTime, NaiveDate, Utc};
use domain::ids::{BusinessId, ReviewId};
use domain::invitation::{Locale, Relationship};
use domain::lifecycle::{self, Erasure, EventKind, InvitationState, ReviewState, Withdrawal};
use domain::review::{Nps, Rating, ReviewStatus};
use domain::secret::TokenHash;
use domain::stats::{CellDelta, day_of as stats_day};
use domain::summary::median_of_middle;
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::json;

use crate::Result;
use crate::stats::{self, Scope};
use crate::{corrupt, from_ms, parse_uuid, to_ms};
use store::{
    BusinessRef, Entity, Eraser, FollowUp, Opening, Position, Reply, Review, ReviewCommand,
    ReviewContent, ReviewEvent, ReviewQuery, ReviewWrite, Sort, StoreError,
};

/// Applies one review command. Runs inside the writer's transaction: the review row, its
/// history event and the figures' cells change together or not at all.
pub(super) fn write(c: &Connection, command: ReviewCommand) -> Result<ReviewWrite> {
    let (id, created) = match command {
        ReviewCommand::Submit {
            invitation,
            id,
            draft,
            edit_token,
            at,
        } => {
            submit(c, &invitation, id, &draft, &edit_token, at)?;
            (id, true)
        }
        ReviewCommand::Edit {
            review,
            edit_token,
            patch,
            at,
        } => {
            let current = Current::load(c, review)?.authorised(&edit_token)?;
            lifecycle::edit(current.state)?;
            let (old_title, old_body): (String, String) = c
                .prepare_cached("SELECT title, body FROM reviews WHERE id = ?1")?
                .query_row([review.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let rating = patch.rating.unwrap_or(current.rating);
            let title = patch
                .title
                .as_ref()
                .map_or(old_title.as_str(), |t| t.as_str());
            let body = patch
                .body
                .as_ref()
                .map_or(old_body.as_str(), |b| b.as_str());
            if rating == current.rating && title == old_title && body == old_body {
                // Nothing changes: no history event, no log entry, no edit mark.
                return written(c, review, false);
            }
            c.prepare_cached(
                "UPDATE reviews SET rating = ?2, title = ?3, body = ?4, updated_at = ?5,
                     edit_count = edit_count + 1
                 WHERE id = ?1",
            )?
            .execute(params![
                review.to_string(),
                rating.get(),
                title,
                body,
                to_ms(at)
            ])?;
            record(
                c,
                review,
                current.state.business,
                EventKind::ReviewEdited,
                at,
                &json!({"rating": rating.get(), "title": title, "body": body}),
            )?;
            if rating != current.rating {
                current.move_cells(c, false, |old| {
                    CellDelta::rating_changed(old, rating, current.reply_delay, current.created_at)
                })?;
            }
            (review, false)
        }
        ReviewCommand::Withdraw {
            review,
            edit_token,
            at,
        } => {
            let current = Current::load(c, review)?.authorised(&edit_token)?;
            match lifecycle::withdraw(current.state) {
                Withdrawal::AlreadyWithdrawn => (review, false),
                Withdrawal::Withdraw => {
                    c.prepare_cached(
                        "UPDATE reviews SET status = 'withdrawn', withdrawn_at = ?2 WHERE id = ?1",
                    )?
                    .execute(params![review.to_string(), to_ms(at)])?;
                    c.prepare_cached("DELETE FROM reply_delays WHERE review_id = ?1")?
                        .execute([review.to_string()])?;
                    record(
                        c,
                        review,
                        current.state.business,
                        EventKind::ReviewWithdrawn,
                        at,
                        &json!({}),
                    )?;
                    current.move_cells(c, true, |rating| {
                        CellDelta::removed(
                            rating,
                            current.nps,
                            current.reply_delay,
                            current.created_at,
                        )
                    })?;
                    (review, true)
                }
            }
        }
        ReviewCommand::Reply {
            review,
            business,
            reply,
            at,
        } => {
            let current = Current::load(c, review)?;
            lifecycle::reply(current.state, business)?;
            let snapshot = json!({
                "body": reply.body.as_str(),
                "responder_name": reply.responder_name.as_str(),
                "responder_role": reply.responder_role.as_ref().map(|r| r.as_str()),
            });
            let role = reply.responder_role.as_ref().map(|r| r.as_str());
            if current.state.has_reply {
                let unchanged: bool = c
                    .prepare_cached(
                        "SELECT body = ?2 AND responder_name = ?3 AND responder_role IS ?4
                         FROM replies WHERE review_id = ?1",
                    )?
                    .query_row(
                        params![
                            review.to_string(),
                            reply.body.as_str(),
                            reply.responder_name.as_str(),
                            role
                        ],
                        |r| r.get(0),
                    )?;
                if unchanged {
                    // The same reply again: no history event, no log entry, no edit mark.
                    return written(c, review, false);
                }
                c.prepare_cached(
                    "UPDATE replies SET body = ?2, responder_name = ?3, responder_role = ?4,
                         updated_at = ?5, edit_count = edit_count + 1
                     WHERE review_id = ?1",
                )?
                .execute(params![
                    review.to_string(),
                    reply.body.as_str(),
                    reply.responder_name.as_str(),
                    role,
                    to_ms(at)
                ])?;
                record(c, review, business, EventKind::ReplyEdited, at, &snapshot)?;
                (review, false)
            } else {
                c.prepare_cached(
                    "INSERT INTO replies (review_id, body, responder_name, responder_role,
                         created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    review.to_string(),
                    reply.body.as_str(),
                    reply.responder_name.as_str(),
                    role,
                    to_ms(at)
                ])?;
                let delay = (at - current.created_at).num_seconds().max(0);
                c.prepare_cached(
                    "INSERT INTO reply_delays (review_id, business_id, relationship, seconds)
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![
                    review.to_string(),
                    business.to_string(),
                    current.relationship.as_str(),
                    delay
                ])?;
                record(
                    c,
                    review,
                    business,
                    EventKind::ReplyPublished,
                    at,
                    &snapshot,
                )?;
                current.move_cells(c, true, |rating| CellDelta::first_reply(rating, delay))?;
                (review, true)
            }
        }
        ReviewCommand::Erase { review, by, at } => {
            let mut current = Current::load(c, review)?;
            if let Eraser::Reviewer(token) = &by {
                current = current.authorised(token)?;
            }
            match lifecycle::erase(current.state) {
                Erasure::AlreadyErased => (review, false),
                Erasure::Erase { counted } => {
                    erase(c, review, &current, counted, by, at)?;
                    (review, true)
                }
            }
        }
        ReviewCommand::FollowUp {
            review,
            edit_token,
            body,
            at,
        } => {
            let current = Current::load(c, review)?.authorised(&edit_token)?;
            lifecycle::follow_up(current.state)?;
            c.prepare_cached(
                "INSERT INTO follow_ups (review_id, body, created_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![review.to_string(), body.as_str(), to_ms(at)])?;
            record(
                c,
                review,
                current.state.business,
                EventKind::FollowUpPublished,
                at,
                &json!({"body": body.as_str()}),
            )?;
            (review, true)
        }
    };
    written(c, id, created)
}

/// The review as the write left it.
fn written(c: &Connection, id: ReviewId, created: bool) -> Result<ReviewWrite> {
    let review = by_id(c, id)?.ok_or_else(|| corrupt("review", id))?;
    Ok(ReviewWrite { review, created })
}

fn submit(
    c: &Connection,
    invitation: &TokenHash,
    id: ReviewId,
    draft: &domain::review::ReviewDraft,
    edit_token: &TokenHash,
    at: DateTime<Utc>,
) -> Result<()> {
    type Found = (String, String, String, String, i64, Option<i64>, i64);
    let found: Option<Found> = c
        .prepare_cached(
            "SELECT id, business_id, relationship, locale, expires_at, used_at, created_at
             FROM invitations WHERE token_hash = ?1",
        )?
        .query_row([invitation.as_bytes()], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .optional()?;
    let (invitation_id, business_id, relationship, locale, expires_at, used_at, invited_at) =
        found.ok_or(StoreError::NotFound(Entity::Invitation))?;
    lifecycle::redeem_invitation(
        InvitationState {
            used: used_at.is_some(),
            expires_at: from_ms(expires_at)?,
        },
        at,
    )?;
    let relationship: Relationship = relationship
        .parse()
        .map_err(|_| corrupt("relationship", &relationship))?;
    let locale: Locale = locale.parse().map_err(|_| corrupt("locale", &locale))?;
    let language = draft
        .language
        .as_ref()
        .map_or(locale.as_str(), |l| l.as_str());
    c.prepare_cached("UPDATE invitations SET used_at = ?2 WHERE id = ?1")?
        .execute(params![invitation_id, to_ms(at)])?;
    c.prepare_cached(
        "INSERT INTO reviews (id, business_id, invitation_id, relationship, verified, status,
             rating, title, body, nps, experience_date, author_name, language, edit_token_hash,
             created_at)
         VALUES (?1, ?2, ?3, ?4, 1, 'published', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        id.to_string(),
        business_id,
        invitation_id,
        relationship.as_str(),
        draft.rating.get(),
        draft.title.as_str(),
        draft.body.as_str(),
        draft.nps.map(Nps::get),
        draft.experience_date.map(|d| d.get().to_string()),
        draft.author_name.as_str(),
        language,
        edit_token.as_bytes(),
        to_ms(at),
    ])?;
    let business = BusinessId(parse_uuid(&business_id)?);
    let skus: Vec<String> = c
        .prepare_cached("SELECT sku FROM invitation_products WHERE invitation_id = ?1")?
        .query_map([&invitation_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut unknown = domain::ValidationErrors::new();
    for (i, p) in draft.products.iter().enumerate() {
        if !skus.iter().any(|s| s == p.sku.as_str()) {
            unknown.0.push(domain::FieldError {
                field: format!("products[{i}].sku"),
                code: "not_invited",
                message: "the invitation does not list this product".into(),
            });
        }
        c.prepare_cached(
            "INSERT INTO product_reviews (review_id, business_id, sku, rating, body, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            id.to_string(),
            business_id,
            p.sku.as_str(),
            p.rating.get(),
            p.body.as_ref().map(|b| b.as_str()),
            to_ms(at)
        ])?;
    }
    unknown.into_result().map_err(StoreError::Invalid)?;
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
    record(c, id, business, EventKind::ReviewPublished, at, &snapshot)?;
    // The review counts on its day; the invitation's answer on the day it was sent, for the
    // business and for each product it listed. (When both fall on one day, the writer's
    // batch sums the two changes into one write of each cell: `stats::Batch`.)
    let scope = Scope {
        business,
        product: "",
        relationship,
        verified: true,
    };
    let day = stats_day(at);
    let invited_day = stats_day(from_ms(invited_at)?);
    stats::apply(
        c,
        &scope,
        day,
        &CellDelta::published(draft.rating, draft.nps, at),
    )?;
    stats::apply(c, &scope, invited_day, &CellDelta::answered())?;
    for sku in &skus {
        let scope = Scope {
            product: sku,
            ..scope
        };
        if let Some(p) = draft
            .products
            .iter()
            .find(|p| p.sku.as_str() == sku.as_str())
        {
            stats::apply(
                c,
                &scope,
                day,
                &CellDelta::published(p.rating, draft.nps, at),
            )?;
        }
        stats::apply(c, &scope, invited_day, &CellDelta::answered())?;
    }
    Ok(())
}

/// Erases a review's personal content, in the write path's transaction.
fn erase(
    c: &Connection,
    review: ReviewId,
    current: &Current,
    counted: bool,
    by: Eraser,
    at: DateTime<Utc>,
) -> Result<()> {
    let id = review.to_string();
    if counted {
        c.prepare_cached("DELETE FROM reply_delays WHERE review_id = ?1")?
            .execute([&id])?;
        current.move_cells(c, true, |rating| {
            CellDelta::removed(rating, current.nps, current.reply_delay, current.created_at)
        })?;
    }
    // The rating stays (a star value is no personal data, and the column may not be empty);
    // it is never shown again.
    c.prepare_cached(
        "UPDATE reviews SET status = 'withdrawn', withdrawn_at = COALESCE(withdrawn_at, ?2),
             erased_at = ?2, title = '', body = '', author_name = '', nps = NULL,
             experience_date = NULL
         WHERE id = ?1",
    )?
    .execute(params![id, to_ms(at)])?;
    c.prepare_cached("UPDATE follow_ups SET body = '' WHERE review_id = ?1")?
        .execute([&id])?;
    c.prepare_cached("UPDATE product_reviews SET body = NULL WHERE review_id = ?1")?
        .execute([&id])?;
    c.prepare_cached(
        "UPDATE invitations SET customer_name = NULL, customer_email = NULL
         WHERE id = (SELECT invitation_id FROM reviews WHERE id = ?1)",
    )?
    .execute([&id])?;
    // The log's entries stay; without their salts the commitments link to nothing.
    c.prepare_cached(
        "UPDATE review_events SET data = 'null', salt = NULL, content = NULL WHERE review_id = ?1",
    )?
    .execute([&id])?;
    record(
        c,
        review,
        current.state.business,
        EventKind::ContentErased,
        at,
        &json!({"erased_by": by.name()}),
    )
}

/// What the write path needs to know of a review before changing it.
struct Current {
    state: ReviewState,
    relationship: Relationship,
    rating: Rating,
    nps: Option<Nps>,
    created_at: DateTime<Utc>,
    edit_token: [u8; 32],
    verified: bool,
    /// Seconds to the first reply, while the review is published and replied.
    reply_delay: Option<i64>,
    /// The products it rated, with their ratings.
    products: Vec<(String, Rating)>,
}

impl Current {
    /// Moves the review's time cells (`stats`) by `delta(rating)`: the business's with the
    /// review's rating and, unless only the review's own rating changed, each rated
    /// product's with that product's rating.
    fn move_cells(
        &self,
        c: &Connection,
        with_products: bool,
        delta: impl Fn(Rating) -> CellDelta,
    ) -> Result<()> {
        let mut scope = Scope {
            business: self.state.business,
            product: "",
            relationship: self.relationship,
            verified: self.verified,
        };
        let day = stats_day(self.created_at);
        stats::apply(c, &scope, day, &delta(self.rating))?;
        if with_products {
            for (sku, rating) in &self.products {
                scope.product = sku;
                stats::apply(c, &scope, day, &delta(*rating))?;
            }
        }
        Ok(())
    }

    fn load(c: &Connection, id: ReviewId) -> Result<Self> {
        type Raw = (
            String,
            String,
            String,
            i64,
            Option<i64>,
            i64,
            Vec<u8>,
            bool,
            bool,
            bool,
            Option<i64>,
        );
        let raw: Option<Raw> = c
            .prepare_cached(
                "SELECT r.business_id, r.relationship,
                        CASE WHEN r.erased_at IS NULL THEN r.status ELSE 'erased' END,
                        r.rating, r.nps, r.created_at, r.edit_token_hash,
                        EXISTS (SELECT 1 FROM replies WHERE review_id = r.id),
                        EXISTS (SELECT 1 FROM follow_ups WHERE review_id = r.id),
                        r.verified,
                        (SELECT seconds FROM reply_delays WHERE review_id = r.id)
                 FROM reviews r WHERE r.id = ?1",
            )?
            .query_row([id.to_string()], |r| {
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
                    r.get(9)?,
                    r.get(10)?,
                ))
            })
            .optional()?;
        let (
            business,
            relationship,
            status,
            rating,
            nps,
            created_at,
            token,
            has_reply,
            has_follow_up,
            verified,
            reply_delay,
        ) = raw.ok_or(StoreError::NotFound(Entity::Review))?;
        Ok(Self {
            state: ReviewState {
                business: BusinessId(parse_uuid(&business)?),
                status: parse_status(&status)?,
                has_reply,
                has_follow_up,
            },
            relationship: relationship
                .parse()
                .map_err(|_| corrupt("relationship", &relationship))?,
            rating: Rating::new(rating).map_err(|_| corrupt("rating", rating))?,
            nps: nps
                .map(|n| Nps::new(n).map_err(|_| corrupt("nps", n)))
                .transpose()?,
            created_at: from_ms(created_at)?,
            edit_token: token
                .try_into()
                .map_err(|_| corrupt("edit token hash", "length"))?,
            verified,
            reply_delay,
            products: c
                .prepare_cached("SELECT sku, rating FROM product_reviews WHERE review_id = ?1")?
                .query_map([id.to_string()], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?)))?
                .map(|row| {
                    let (sku, rating) = row?;
                    Ok((
                        sku,
                        Rating::new(rating).map_err(|_| corrupt("rating", rating))?,
                    ))
                })
                .collect::<Result<_>>()?,
        })
    }

    fn authorised(self, token: &TokenHash) -> Result<Self> {
        if &self.edit_token == token.as_bytes() {
            Ok(self)
        } else {
            Err(StoreError::BadEditToken.into())
        }
    }
}

fn parse_status(s: &str) -> Result<ReviewStatus> {
    match s {
        "published" => Ok(ReviewStatus::Published),
        "withdrawn" => Ok(ReviewStatus::Withdrawn),
        "erased" => Ok(ReviewStatus::Erased),
        other => Err(corrupt("status", other)),
    }
}

/// Records an event: the history row and its log entry, in the caller's transaction.
fn record(
    c: &Connection,
    review: ReviewId,
    business: BusinessId,
    kind: EventKind,
    at: DateTime<Utc>,
    data: &serde_json::Value,
) -> Result<()> {
    super::log::record_event(c, review, business, kind, at, data).map(|_| ())
}

pub(super) const REVIEW_SELECT: &str = "
    SELECT r.seq, r.id, r.business_id, b.slug, b.name, r.relationship, r.verified, r.status,
           r.rating, r.title, r.body, r.nps, r.experience_date, r.author_name, r.language,
           r.created_at, r.updated_at, r.edit_count, r.withdrawn_at,
           p.body, p.responder_name, p.responder_role, p.created_at, p.updated_at, p.edit_count,
           f.body, f.created_at,
           le.log_index, le.salt, le.content, r.erased_at, le.kind,
           (SELECT json_group_array(json_array(pr.sku, pd.name, pr.rating, pr.body))
            FROM product_reviews pr
            JOIN products pd ON pd.business_id = pr.business_id AND pd.sku = pr.sku
            WHERE pr.review_id = r.id)
    FROM reviews r
    JOIN businesses b ON b.id = r.business_id
    LEFT JOIN replies p ON p.review_id = r.id
    LEFT JOIN follow_ups f ON f.review_id = r.id
    LEFT JOIN review_events le
        ON le.seq = (SELECT MAX(seq) FROM review_events WHERE review_id = r.id)";

fn bad(col: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, Type::Text, Box::new(e))
}

fn time(row: &Row<'_>, col: usize) -> rusqlite::Result<DateTime<Utc>> {
    let ms: i64 = row.get(col)?;
    from_ms(ms).map_err(|e| bad(col, e))
}

fn opt_time(row: &Row<'_>, col: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let ms: Option<i64> = row.get(col)?;
    ms.map(|ms| from_ms(ms).map_err(|e| bad(col, e)))
        .transpose()
}

/// The product ratings of a review, from `json_group_array(json_array(sku, name, rating,
/// body))`.
fn product_reviews(row: &Row<'_>, col: usize) -> rusqlite::Result<Vec<store::ProductReview>> {
    let json: Option<String> = row.get(col)?;
    let raw: Vec<(String, String, u8, Option<String>)> = match json {
        Some(j) => serde_json::from_str(&j).map_err(|e| bad(col, e))?,
        None => Vec::new(),
    };
    Ok(raw
        .into_iter()
        .map(|(sku, name, rating, body)| store::ProductReview {
            sku,
            name,
            rating,
            body,
        })
        .collect())
}

pub(super) fn review_row(row: &Row<'_>) -> rusqlite::Result<Review> {
    let seq: i64 = row.get(0)?;
    let id: String = row.get(1)?;
    let business_id: String = row.get(2)?;
    let relationship: String = row.get(5)?;
    let status: String = row.get(7)?;
    let erased_at = opt_time(row, 30)?;
    let status = if erased_at.is_some() {
        ReviewStatus::Erased
    } else {
        parse_status(&status).map_err(|e| bad(7, e))?
    };
    let rating: u8 = row.get(8)?;
    let created_at = time(row, 15)?;
    let published = status == ReviewStatus::Published;
    let content = if published {
        let experience_date: Option<String> = row.get(12)?;
        Some(ReviewContent {
            rating,
            title: row.get(9)?,
            body: row.get(10)?,
            nps: row.get(11)?,
            experience_date: experience_date
                .map(|d| d.parse::<NaiveDate>().map_err(|e| bad(12, e)))
                .transpose()?,
            author_name: row.get(13)?,
            language: row.get(14)?,
            products: product_reviews(row, 32)?,
        })
    } else {
        None
    };
    let reply_body: Option<String> = row.get(19)?;
    let reply = match reply_body {
        Some(body) if published => Some(Reply {
            body,
            responder_name: row.get(20)?,
            responder_role: row.get(21)?,
            created_at: time(row, 22)?,
            updated_at: opt_time(row, 23)?,
            edit_count: row.get(24)?,
        }),
        _ => None,
    };
    let follow_up_body: Option<String> = row.get(25)?;
    let follow_up = match follow_up_body {
        Some(body) if published => Some(FollowUp {
            body,
            created_at: time(row, 26)?,
        }),
        _ => None,
    };
    let log_index: Option<i64> = row.get(27)?;
    let salt: Option<Vec<u8>> = row.get(28)?;
    let opened: Option<Vec<u8>> = row.get(29)?;
    let kind: Option<String> = row.get(31)?;
    let shown = published
        || kind
            .as_deref()
            .and_then(EventKind::parse)
            .is_some_and(|k| !k.carries_text());
    let opening = match (salt, opened) {
        (Some(salt), Some(content)) if shown => Some(Opening {
            salt: salt
                .try_into()
                .map_err(|_| bad(28, corrupt("salt", "length")))?,
            content,
        }),
        _ => None,
    };
    Ok(Review {
        log_index: log_index.map(|i| i as u64),
        opening,
        id: ReviewId(parse_uuid(&id).map_err(|e| bad(1, e))?),
        business: BusinessRef {
            id: BusinessId(parse_uuid(&business_id).map_err(|e| bad(2, e))?),
            slug: row.get(3)?,
            name: row.get(4)?,
        },
        relationship: relationship
            .parse()
            .map_err(|e: domain::error::Invalid| bad(5, e))?,
        verified: row.get(6)?,
        status,
        created_at,
        updated_at: opt_time(row, 16)?,
        edit_count: row.get(17)?,
        withdrawn_at: opt_time(row, 18)?,
        erased_at,
        content,
        reply,
        follow_up,
        position: Position {
            rating,
            created_at_ms: created_at.timestamp_millis(),
            seq,
        },
    })
}

pub(super) fn by_id(c: &Connection, id: ReviewId) -> Result<Option<Review>> {
    Ok(
        c.prepare_cached(&format!("{REVIEW_SELECT} WHERE r.id = ?1"))?
            .query_row([id.to_string()], review_row)
            .optional()?,
    )
}

/// The review, if `edit_token` is its author's.
pub(super) fn by_author(
    c: &Connection,
    id: ReviewId,
    edit_token: &TokenHash,
) -> Result<Option<Review>> {
    Ok(c.prepare_cached(&format!(
        "{REVIEW_SELECT} WHERE r.id = ?1 AND r.edit_token_hash = ?2"
    ))?
    .query_row(params![id.to_string(), edit_token.as_bytes()], review_row)
    .optional()?)
}

pub(super) fn history(c: &Connection, id: ReviewId) -> Result<Option<Vec<ReviewEvent>>> {
    let status: Option<String> = c
        .prepare_cached("SELECT status FROM reviews WHERE id = ?1")?
        .query_row([id.to_string()], |r| r.get(0))
        .optional()?;
    let Some(status) = status else {
        return Ok(None);
    };
    let show_content = parse_status(&status)? == ReviewStatus::Published;
    let mut stmt = c.prepare_cached(
        "SELECT seq, kind, at, data, log_index, salt, content
         FROM review_events WHERE review_id = ?1 ORDER BY seq",
    )?;
    type Raw = (
        i64,
        String,
        DateTime<Utc>,
        String,
        Option<i64>,
        Option<Vec<u8>>,
        Option<Vec<u8>>,
    );
    let rows = stmt.query_map([id.to_string()], |r| -> rusqlite::Result<Raw> {
        Ok((
            r.get(0)?,
            r.get(1)?,
            time(r, 2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
        ))
    })?;
    let mut events = Vec::new();
    for row in rows {
        let (seq, kind, at, data, log_index, salt, content) = row?;
        let kind = EventKind::parse(&kind).ok_or_else(|| corrupt("event kind", &kind))?;
        let opening = match (salt, content) {
            (Some(salt), Some(content)) if show_content || !kind.carries_text() => Some(Opening {
                salt: salt.try_into().map_err(|_| corrupt("salt", seq))?,
                content,
            }),
            _ => None,
        };
        events.push(ReviewEvent {
            log_index: log_index.map(|i| i as u64),
            opening,
            seq,
            kind,
            at,
            data: if show_content || !kind.carries_text() {
                Some(serde_json::from_str(&data).map_err(|_| corrupt("event data", seq))?)
            } else {
                None
            },
        });
    }
    Ok(Some(events))
}

pub(super) fn list(c: &Connection, business: BusinessId, q: &ReviewQuery) -> Result<Vec<Review>> {
    let (order, after) = match q.sort {
        Sort::Newest => (
            "r.created_at DESC, r.seq DESC",
            "(r.created_at, r.seq) < (:at, :seq)",
        ),
        Sort::Oldest => (
            "r.created_at ASC, r.seq ASC",
            "(r.created_at, r.seq) > (:at, :seq)",
        ),
        Sort::Highest => (
            "r.rating DESC, r.created_at DESC, r.seq DESC",
            "(r.rating, r.created_at, r.seq) < (:rating, :at, :seq)",
        ),
        Sort::Lowest => (
            "r.rating ASC, r.created_at DESC, r.seq DESC",
            "r.rating >= :rating AND (r.rating > :rating OR (r.created_at, r.seq) < (:at, :seq))",
        ),
    };
    let sql = format!(
        "{REVIEW_SELECT}
         WHERE r.business_id = :business AND r.relationship = :relationship
           AND r.status = 'published'
           AND (:only_rating IS NULL OR r.rating = :only_rating)
           AND {}
         ORDER BY {order}
         LIMIT :limit",
        if q.after.is_some() { after } else { "1" }
    );
    let after = q.after;
    let business = business.to_string();
    let only_rating = q.rating.map(Rating::get);
    let (rating, at, seq) = (
        after.map(|p| p.rating),
        after.map(|p| p.created_at_ms),
        after.map(|p| p.seq),
    );
    let limit = i64::from(q.limit) + 1;
    let all: [(&str, &dyn rusqlite::ToSql); 7] = [
        (":business", &business),
        (":relationship", &q.relationship.as_str()),
        (":only_rating", &only_rating),
        (":rating", &rating),
        (":at", &at),
        (":seq", &seq),
        (":limit", &limit),
    ];
    // SQLite refuses parameters the statement does not name; each sort names its own.
    let used: Vec<_> = all
        .into_iter()
        .filter(|(name, _)| sql.contains(name))
        .collect();
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map(used.as_slice(), review_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) fn of_product(
    c: &Connection,
    business: BusinessId,
    sku: &str,
    relationship: Relationship,
    limit: u32,
) -> Result<Vec<Review>> {
    let mut stmt = c.prepare_cached(&format!(
        "{REVIEW_SELECT}
         JOIN product_reviews pr ON pr.review_id = r.id
         WHERE pr.business_id = ?1 AND pr.sku = ?2 AND r.status = 'published'
           AND r.relationship = ?3
         ORDER BY pr.created_at DESC
         LIMIT ?4"
    ))?;
    let rows = stmt.query_map(
        params![
            business.to_string(),
            sku,
            relationship.as_str(),
            i64::from(limit)
        ],
        review_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) fn ratings(c: &Connection, business: BusinessId) -> Result<Vec<store::RatingRow>> {
    let mut stmt = c.prepare_cached(
        "SELECT created_at, rating, relationship, verified FROM reviews
         WHERE business_id = ?1 AND status = 'published'
         ORDER BY created_at, seq",
    )?;
    let rows = stmt.query_map([business.to_string()], |r| {
        let ms: i64 = r.get(0)?;
        let relationship: String = r.get(2)?;
        Ok(store::RatingRow {
            created_at: DateTime::from_timestamp_millis(ms).ok_or_else(|| {
                bad(
                    0,
                    store::StoreError::Config("a date is out of range".into()),
                )
            })?,
            rating: r.get(1)?,
            relationship: relationship.parse().map_err(|e| bad(2, e))?,
            verified: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(super) fn summary(
    c: &Connection,
    business: BusinessId,
    relationship: Relationship,
) -> Result<domain::summary::Summary> {
    // One read transaction, so the tallies and the median describe the same moment.
    let now = Utc::now();
    let tx = c.unchecked_transaction()?;
    // The all-time cells of the whole business, verified or not: the figures' own sums.
    let tally = super::stats::all_time(&tx, business, relationship)?;
    let middle: Vec<i64> = if tally.replied == 0 {
        Vec::new()
    } else {
        let n = tally.replied;
        tx.prepare_cached(
            "SELECT seconds FROM reply_delays WHERE business_id = ?1 AND relationship = ?2
             ORDER BY seconds LIMIT ?3 OFFSET ?4",
        )?
        .query_map(
            params![
                business.to_string(),
                relationship.as_str(),
                if n % 2 == 1 { 1 } else { 2 },
                i64::try_from((n - 1) / 2).unwrap_or(i64::MAX)
            ],
            |r| r.get(0),
        )?
        .collect::<rusqlite::Result<_>>()?
    };
    tx.finish()?;
    Ok(tally.summary(median_of_middle(&middle), now))
}
