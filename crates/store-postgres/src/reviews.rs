//! The review reads. (The write path is `write.rs`.)

use chrono::NaiveDate;
use domain::ids::{BusinessId, ReviewId};
use domain::invitation::Relationship;
use domain::lifecycle::EventKind;
use domain::review::{Rating, ReviewStatus};
use domain::secret::TokenHash;
use store::{
    BusinessRef, FollowUp, Opening, Position, Reply, Review, ReviewContent, ReviewEvent,
    ReviewQuery, Sort,
};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::db::{Db, Result, bytes32, corrupt, from_ms};

/// The columns [`review_row`] reads, from `reviews r` and what it joins: its business, its
/// reply, its follow-up and its latest event (`le`, possibly not yet logged).
const REVIEW_COLUMNS: &str = "
    SELECT r.seq, r.id, r.business_id, b.slug, b.name, r.relationship, r.verified, r.status,
           r.rating, r.title, r.body, r.nps, r.experience_date, r.author_name, r.language,
           r.created_at, r.updated_at, r.edit_count, r.withdrawn_at,
           p.body, p.responder_name, p.responder_role, p.created_at, p.updated_at, p.edit_count,
           f.body, f.created_at,
           le.log_index, le.salt, le.content, r.erased_at, le.kind, r.import_source,
           r.original_date,
           (SELECT json_agg(json_build_array(pr.sku, pd.name, pr.rating, pr.body)
                            ORDER BY pr.sku)::text
            FROM product_reviews pr
            JOIN products pd ON pd.business_id = pr.business_id AND pd.sku = pr.sku
            WHERE pr.review_id = r.id)";

/// What every review read joins to `reviews r`.
const REVIEW_JOINS: &str = "
    JOIN businesses b ON b.id = r.business_id
    LEFT JOIN replies p ON p.review_id = r.id
    LEFT JOIN follow_ups f ON f.review_id = r.id
    LEFT JOIN LATERAL (
        SELECT e.log_index, e.salt, e.content, e.kind FROM review_events e
        WHERE e.review_id = r.id ORDER BY e.seq DESC LIMIT 1
    ) le ON true";

/// The review select over `reviews r`; the caller adds its condition and order.
fn review_select() -> String {
    review_select_from("reviews r")
}

/// The review select over `from`, which must name the reviews `r`.
fn review_select_from(from: &str) -> String {
    format!("{REVIEW_COLUMNS} FROM {from} {REVIEW_JOINS}")
}

fn parse_status(s: &str) -> Result<ReviewStatus> {
    match s {
        "published" => Ok(ReviewStatus::Published),
        "withdrawn" => Ok(ReviewStatus::Withdrawn),
        "erased" => Ok(ReviewStatus::Erased),
        other => Err(corrupt("status", other)),
    }
}

fn opt_time(ms: Option<i64>) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    ms.map(from_ms).transpose()
}

fn small<T: TryFrom<i32>>(what: &str, value: i32) -> Result<T> {
    T::try_from(value).map_err(|_| corrupt(what, value))
}

/// The product ratings of a review, from `json_agg(json_build_array(sku, name, rating,
/// body))`.
fn product_reviews(json: Option<String>) -> Result<Vec<store::ProductReview>> {
    let Some(json) = json else {
        return Ok(Vec::new());
    };
    let raw: Vec<(String, String, u8, Option<String>)> =
        serde_json::from_str(&json).map_err(|_| corrupt("product ratings", &json))?;
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

/// A review from a row of [`review_select`].
pub(crate) fn review_row(row: &Row) -> Result<Review> {
    let seq: i64 = row.try_get(0)?;
    let id: uuid::Uuid = row.try_get(1)?;
    let business_id: uuid::Uuid = row.try_get(2)?;
    let relationship: String = row.try_get(5)?;
    let status: String = row.try_get(7)?;
    let erased_at = opt_time(row.try_get(30)?)?;
    let status = if erased_at.is_some() {
        ReviewStatus::Erased
    } else {
        parse_status(&status)?
    };
    let rating: u8 = small("rating", row.try_get(8)?)?;
    let created_at = from_ms(row.try_get(15)?)?;
    let published = status == ReviewStatus::Published;
    let content = if published {
        let experience_date: Option<String> = row.try_get(12)?;
        let nps: Option<i32> = row.try_get(11)?;
        Some(ReviewContent {
            rating,
            title: row.try_get(9)?,
            body: row.try_get(10)?,
            nps: nps.map(|n| small("nps", n)).transpose()?,
            experience_date: experience_date
                .map(|d| {
                    d.parse::<NaiveDate>()
                        .map_err(|_| corrupt("experience date", &d))
                })
                .transpose()?,
            author_name: row.try_get(13)?,
            language: row.try_get(14)?,
            products: product_reviews(row.try_get(34)?)?,
        })
    } else {
        None
    };
    let reply_body: Option<String> = row.try_get(19)?;
    let reply = match reply_body {
        Some(body) if published => Some(Reply {
            body,
            responder_name: row.try_get(20)?,
            responder_role: row.try_get(21)?,
            created_at: from_ms(row.try_get(22)?)?,
            updated_at: opt_time(row.try_get(23)?)?,
            edit_count: small("reply edit count", row.try_get(24)?)?,
        }),
        _ => None,
    };
    let follow_up_body: Option<String> = row.try_get(25)?;
    let follow_up = match follow_up_body {
        Some(body) if published => Some(FollowUp {
            body,
            created_at: from_ms(row.try_get(26)?)?,
        }),
        _ => None,
    };
    let log_index: Option<i64> = row.try_get(27)?;
    let salt: Option<Vec<u8>> = row.try_get(28)?;
    let opened: Option<Vec<u8>> = row.try_get(29)?;
    let kind: Option<String> = row.try_get(31)?;
    let shown = published
        || kind
            .as_deref()
            .and_then(EventKind::parse)
            .is_some_and(|k| !k.carries_text());
    let opening = match (salt, opened) {
        (Some(salt), Some(content)) if shown => Some(Opening {
            salt: bytes32("salt", salt)?,
            content,
        }),
        _ => None,
    };
    Ok(Review {
        log_index: log_index
            .map(|i| u64::try_from(i).map_err(|_| corrupt("log index", i)))
            .transpose()?,
        opening,
        id: ReviewId(id),
        business: BusinessRef {
            id: BusinessId(business_id),
            slug: row.try_get(3)?,
            name: row.try_get(4)?,
        },
        relationship: relationship
            .parse()
            .map_err(|_| corrupt("relationship", &relationship))?,
        verified: row.try_get(6)?,
        status,
        created_at,
        updated_at: opt_time(row.try_get(16)?)?,
        edit_count: small("edit count", row.try_get(17)?)?,
        withdrawn_at: opt_time(row.try_get(18)?)?,
        erased_at,
        content,
        reply,
        follow_up,
        position: Position {
            rating,
            created_at_ms: created_at.timestamp_millis(),
            seq,
        },
        imported: imported(row.try_get(32)?, row.try_get(33)?)?,
    })
}

/// An imported review's source and original date.
fn imported(source: Option<String>, date: Option<String>) -> Result<Option<store::Imported>> {
    Ok(match (source, date) {
        (Some(source), Some(date)) => Some(store::Imported {
            source,
            original_date: date.parse().map_err(|_| corrupt("original date", &date))?,
        }),
        _ => None,
    })
}

fn review_rows(rows: &[Row]) -> Result<Vec<Review>> {
    rows.iter().map(review_row).collect()
}

pub(crate) async fn by_id(db: &dyn Db, id: ReviewId) -> Result<Option<Review>> {
    let sql = format!("{} WHERE r.id = $1", review_select());
    db.query_opt(&sql, &[&id.0])
        .await?
        .as_ref()
        .map(review_row)
        .transpose()
}

/// The review, if `edit_token` is its author's.
pub(crate) async fn by_author(
    db: &dyn Db,
    id: ReviewId,
    edit_token: &TokenHash,
) -> Result<Option<Review>> {
    let sql = format!(
        "{} WHERE r.id = $1 AND r.edit_token_hash = $2",
        review_select()
    );
    let token: &[u8] = edit_token.as_bytes();
    db.query_opt(&sql, &[&id.0, &token])
        .await?
        .as_ref()
        .map(review_row)
        .transpose()
}

pub(crate) async fn history(
    db: &dyn Db,
    id: ReviewId,
    page: store::HistoryPage,
) -> Result<Option<Vec<ReviewEvent>>> {
    let Some(review) = db
        .query_opt(
            "SELECT status, erased_at IS NULL FROM reviews WHERE id = $1",
            &[&id.0],
        )
        .await?
    else {
        return Ok(None);
    };
    let status: String = review.try_get(0)?;
    let not_erased: bool = review.try_get(1)?;
    let show_content = not_erased && parse_status(&status)? == ReviewStatus::Published;
    let after = page.after.unwrap_or(i64::MIN);
    let limit = i64::from(page.limit);
    let rows = db
        .query(
            "SELECT seq, kind, at, log_index, salt, content
             FROM review_events WHERE review_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            &[&id.0, &after, &limit],
        )
        .await?;
    let mut events = Vec::with_capacity(rows.len());
    for row in &rows {
        let seq: i64 = row.try_get(0)?;
        let kind: String = row.try_get(1)?;
        let kind = EventKind::parse(&kind).ok_or_else(|| corrupt("event kind", &kind))?;
        let at = from_ms(row.try_get(2)?)?;
        let log_index: Option<i64> = row.try_get(3)?;
        let salt: Option<Vec<u8>> = row.try_get(4)?;
        let content: Option<Vec<u8>> = row.try_get(5)?;
        let shown = show_content || !kind.carries_text();
        // The event's data is its canonical content; an erased event has none (null).
        let data = if shown {
            Some(match &content {
                Some(c) => serde_json::from_slice(c).map_err(|_| corrupt("event data", seq))?,
                None => serde_json::Value::Null,
            })
        } else {
            None
        };
        let opening = match (salt, content) {
            (Some(salt), Some(content)) if shown => Some(Opening {
                salt: bytes32("salt", salt)?,
                content,
            }),
            _ => None,
        };
        events.push(ReviewEvent {
            log_index: log_index
                .map(|i| u64::try_from(i).map_err(|_| corrupt("log index", i)))
                .transpose()?,
            opening,
            seq,
            kind,
            at,
            data,
        });
    }
    Ok(Some(events))
}

pub(crate) async fn list(
    db: &dyn Db,
    business: BusinessId,
    q: &ReviewQuery,
) -> Result<Vec<Review>> {
    // $1 business, $2 relationship, $3 limit, then $4 the rating filter (if any), then the
    // cursor's rating, time and sequence (if any). Each combination is a statement of its
    // own, so that every one plans as an index range scan.
    let only_rating = q.rating.map(|r| i32::from(Rating::get(r)));
    let mut n = 3;
    let mut next = || {
        n += 1;
        n
    };
    let filter = match only_rating {
        Some(_) => format!("AND r.rating = ${}", next()),
        None => String::new(),
    };
    let (order, after) = match q.sort {
        Sort::Newest => ("r.created_at DESC, r.seq DESC", {
            let (at, seq) = (next(), next());
            format!("(r.created_at, r.seq) < (${at}, ${seq})")
        }),
        Sort::Oldest => ("r.created_at ASC, r.seq ASC", {
            let (at, seq) = (next(), next());
            format!("(r.created_at, r.seq) > (${at}, ${seq})")
        }),
        Sort::Highest => ("r.rating DESC, r.created_at DESC, r.seq DESC", {
            let (rating, at, seq) = (next(), next(), next());
            format!("(r.rating, r.created_at, r.seq) < (${rating}::integer, ${at}, ${seq})")
        }),
        Sort::Lowest => ("r.rating ASC, r.created_at DESC, r.seq DESC", {
            let (rating, at, seq) = (next(), next(), next());
            format!(
                "r.rating >= ${rating}::integer
                 AND (r.rating > ${rating}::integer OR (r.created_at, r.seq) < (${at}, ${seq}))"
            )
        }),
    };
    let sql = format!(
        "{}
         WHERE r.business_id = $1 AND r.relationship = $2 AND r.status = 'published'
           {filter}
           {}
         ORDER BY {order}
         LIMIT $3",
        review_select(),
        if q.after.is_some() {
            format!("AND {after}")
        } else {
            String::new()
        },
    );
    let limit = i64::from(q.limit) + 1;
    let relationship = q.relationship.as_str();
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&business.0, &relationship, &limit];
    if let Some(rating) = &only_rating {
        params.push(rating);
    }
    let cursor = q
        .after
        .map(|p| (i32::from(p.rating), p.created_at_ms, p.seq));
    if let Some((rating, at, seq)) = &cursor {
        if matches!(q.sort, Sort::Highest | Sort::Lowest) {
            params.push(rating);
        }
        params.push(at);
        params.push(seq);
    }
    review_rows(&db.query(&sql, &params).await?)
}

pub(crate) async fn of_product(
    db: &dyn Db,
    business: BusinessId,
    sku: &str,
    relationship: Relationship,
    limit: u32,
) -> Result<Vec<Review>> {
    let sql = format!(
        "{}
         WHERE rated.business_id = $1 AND rated.sku = $2 AND r.status = 'published'
           AND r.relationship = $3
         ORDER BY rated.created_at DESC
         LIMIT $4",
        review_select_from("product_reviews rated JOIN reviews r ON r.id = rated.review_id"),
    );
    let limit = i64::from(limit);
    let rows = db
        .query(&sql, &[&business.0, &sku, &relationship.as_str(), &limit])
        .await?;
    review_rows(&rows)
}

pub(crate) async fn ratings(db: &dyn Db, business: BusinessId) -> Result<Vec<store::RatingRow>> {
    let rows = db
        .query(
            "SELECT created_at, rating, relationship, verified FROM reviews
             WHERE business_id = $1 AND status = 'published' AND import_source IS NULL
             ORDER BY created_at, seq",
            &[&business.0],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let relationship: String = r.try_get(2)?;
            Ok(store::RatingRow {
                created_at: from_ms(r.try_get(0)?)?,
                rating: small("rating", r.try_get(1)?)?,
                relationship: relationship
                    .parse()
                    .map_err(|_| corrupt("relationship", &relationship))?,
                verified: r.try_get(3)?,
            })
        })
        .collect()
}

/// The business's published reviews still waiting for a reply: the lowest ratings, then
/// the oldest.
pub(crate) async fn inbox(db: &dyn Db, business: BusinessId, limit: u32) -> Result<Vec<Review>> {
    published_of(
        db,
        business,
        limit,
        "p.review_id IS NULL ORDER BY r.rating ASC, r.created_at ASC, r.seq ASC",
    )
    .await
}

/// The business's published, replied reviews, the latest reply (or reply edit) first.
pub(crate) async fn answered(db: &dyn Db, business: BusinessId, limit: u32) -> Result<Vec<Review>> {
    published_of(
        db,
        business,
        limit,
        "p.review_id IS NOT NULL ORDER BY COALESCE(p.updated_at, p.created_at) DESC, r.seq DESC",
    )
    .await
}

/// The business's published reviews that meet `rest` (a condition and an order), at most
/// `limit`.
async fn published_of(
    db: &dyn Db,
    business: BusinessId,
    limit: u32,
    rest: &'static str,
) -> Result<Vec<Review>> {
    let sql = format!(
        "{}
         WHERE r.business_id = $1 AND r.status = 'published' AND {rest} LIMIT $2",
        review_select()
    );
    let limit = i64::from(limit);
    review_rows(&db.query(&sql, &[&business.0, &limit]).await?)
}
