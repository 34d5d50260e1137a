//! The review reads. (The write path is `write.rs`.)

use chrono::{DateTime, NaiveDate, Utc};
use domain::ids::{BusinessId, ReviewId};
use domain::invitation::Relationship;
use domain::lifecycle::EventKind;
use domain::review::{Rating, ReviewStatus};
use domain::secret::TokenHash;
use domain::summary::median_of_middle;
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::Result;
use crate::{corrupt, from_ms, parse_uuid};
use store::{
    BusinessRef, FollowUp, Opening, Position, Reply, Review, ReviewContent, ReviewEvent,
    ReviewQuery, Sort,
};

pub(crate) fn parse_status(s: &str) -> Result<ReviewStatus> {
    match s {
        "published" => Ok(ReviewStatus::Published),
        "withdrawn" => Ok(ReviewStatus::Withdrawn),
        "erased" => Ok(ReviewStatus::Erased),
        other => Err(corrupt("status", other)),
    }
}

pub(super) const REVIEW_SELECT: &str = "
    SELECT r.seq, r.id, r.business_id, b.slug, b.name, r.relationship, r.verified, r.status,
           r.rating, r.title, r.body, r.nps, r.experience_date, r.author_name, r.language,
           r.created_at, r.updated_at, r.edit_count, r.withdrawn_at,
           p.body, p.responder_name, p.responder_role, p.created_at, p.updated_at, p.edit_count,
           f.body, f.created_at,
           le.log_index, le.salt, le.content, r.erased_at, le.kind, r.import_source,
           r.original_date,
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
            products: product_reviews(row, 34)?,
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
        imported: imported(row, 32)?,
    })
}

/// An imported review's source and original date, from the columns `col` and `col + 1`.
fn imported(row: &Row<'_>, col: usize) -> rusqlite::Result<Option<store::Imported>> {
    let source: Option<String> = row.get(col)?;
    let date: Option<String> = row.get(col + 1)?;
    Ok(match (source, date) {
        (Some(source), Some(date)) => Some(store::Imported {
            source,
            original_date: date.parse().map_err(|e| bad(col + 1, e))?,
        }),
        _ => None,
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

pub(super) fn history(
    c: &Connection,
    id: ReviewId,
    page: store::HistoryPage,
) -> Result<Option<Vec<ReviewEvent>>> {
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
         FROM review_events WHERE review_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
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
    let after = page.after.unwrap_or(i64::MIN);
    let args = rusqlite::params![id.to_string(), after, page.limit];
    let rows = stmt.query_map(args, |r| -> rusqlite::Result<Raw> {
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
         WHERE business_id = ?1 AND status = 'published' AND import_source IS NULL
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
