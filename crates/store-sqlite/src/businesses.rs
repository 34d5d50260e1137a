//! Businesses and their API keys.

use chrono::{DateTime, Utc};
use domain::business::NewBusiness;
use domain::ids::BusinessId;
use domain::secret::TokenHash;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::Result;
use crate::{from_ms, parse_uuid, to_ms};
use store::{Business, Entity, StoreError};

const COLUMNS: &str = "b.id, b.slug, b.name, b.website, b.created_at";

fn business(row: &Row<'_>) -> rusqlite::Result<(String, String, String, Option<String>, i64)> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn into_business(
    (id, slug, name, website, created_at): (String, String, String, Option<String>, i64),
) -> Result<Business> {
    Ok(Business {
        id: BusinessId(parse_uuid(&id)?),
        slug,
        name,
        website,
        created_at: from_ms(created_at)?,
    })
}

pub(super) fn create(
    c: &Connection,
    new: &NewBusiness,
    api_key: &TokenHash,
    at: DateTime<Utc>,
) -> Result<Business> {
    let id = BusinessId::generate();
    let inserted = c.execute(
        "INSERT INTO businesses (id, slug, name, website, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (slug) DO NOTHING",
        params![
            id.to_string(),
            new.slug.as_str(),
            new.name.as_str(),
            new.website.as_ref().map(|w| w.as_str()),
            to_ms(at)
        ],
    )?;
    if inserted == 0 {
        return Err(StoreError::SlugTaken.into());
    }
    c.execute(
        "INSERT INTO api_keys (hash, business_id, created_at) VALUES (?1, ?2, ?3)",
        params![api_key.as_bytes(), id.to_string(), to_ms(at)],
    )?;
    Ok(Business {
        id,
        slug: new.slug.as_str().to_owned(),
        name: new.name.as_str().to_owned(),
        website: new.website.as_ref().map(|w| w.as_str().to_owned()),
        created_at: from_ms(to_ms(at))?,
    })
}

pub(super) fn replace_keys(
    c: &Connection,
    slug: &str,
    api_key: &TokenHash,
    at: DateTime<Utc>,
) -> Result<Business> {
    let business = by_slug(c, slug)?.ok_or(StoreError::NotFound(Entity::Business))?;
    c.execute(
        "UPDATE api_keys SET revoked_at = ?2 WHERE business_id = ?1 AND revoked_at IS NULL",
        params![business.id.to_string(), to_ms(at)],
    )?;
    c.execute(
        "INSERT INTO api_keys (hash, business_id, created_at) VALUES (?1, ?2, ?3)",
        params![api_key.as_bytes(), business.id.to_string(), to_ms(at)],
    )?;
    Ok(business)
}

pub(super) fn by_slug(c: &Connection, slug: &str) -> Result<Option<Business>> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM businesses b WHERE b.slug = ?1"
    ))?
    .query_row([slug], business)
    .optional()?
    .map(into_business)
    .transpose()
}

pub(super) fn by_api_key(c: &Connection, key: &TokenHash) -> Result<Option<Business>> {
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM api_keys k JOIN businesses b ON b.id = k.business_id
         WHERE k.hash = ?1 AND k.revoked_at IS NULL"
    ))?
    .query_row([key.as_bytes()], business)
    .optional()?
    .map(into_business)
    .transpose()
}

/// Businesses whose name or slug contains `query` (ASCII letters in any case), by name; all
/// businesses, by name, for an empty query.
pub(super) fn search(c: &Connection, query: &str, limit: u32) -> Result<Vec<Business>> {
    // LIKE's wildcards in the query are literal characters.
    let escaped = query
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM businesses b
         WHERE b.name LIKE ?1 ESCAPE '\\' OR b.slug LIKE ?1 ESCAPE '\\'
         ORDER BY b.name COLLATE NOCASE, b.slug LIMIT ?2"
    ))?
    .query_map(rusqlite::params![pattern, limit], business)?
    .map(|row| into_business(row?))
    .collect()
}

pub(super) fn api_keys(c: &Connection, business: BusinessId) -> Result<Vec<store::ApiKeyRecord>> {
    let rows: Vec<(String, i64, Option<i64>)> = c
        .prepare_cached(
            "SELECT substr(hex(hash), 1, 16), created_at, revoked_at FROM api_keys
             WHERE business_id = ?1 ORDER BY created_at DESC, hash",
        )?
        .query_map([business.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(|(id, created, revoked)| {
            Ok(store::ApiKeyRecord {
                id: id.to_ascii_lowercase(),
                created_at: from_ms(created)?,
                revoked_at: revoked.map(from_ms).transpose()?,
            })
        })
        .collect()
}

pub(super) fn add_api_key(
    c: &Connection,
    business: BusinessId,
    key: &TokenHash,
    at: DateTime<Utc>,
) -> Result<()> {
    c.execute(
        "INSERT INTO api_keys (hash, business_id, created_at) VALUES (?1, ?2, ?3)",
        params![key.as_bytes(), business.to_string(), to_ms(at)],
    )?;
    Ok(())
}

pub(super) fn revoke_api_key(
    c: &Connection,
    business: BusinessId,
    id: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(false);
    }
    let changed = c.execute(
        "UPDATE api_keys SET revoked_at = ?3
         WHERE business_id = ?1 AND substr(hex(hash), 1, 16) = upper(?2) AND revoked_at IS NULL",
        params![business.to_string(), id, to_ms(at)],
    )?;
    Ok(changed > 0)
}

/// The slugs of the businesses whose reviews' events or invitations were written after
/// `since` (by any connection), and where both sequences now stand. Review events and
/// invitations only grow (an erasure adds an event), so their largest keys are the feed.
pub(super) fn changes_since(
    c: &Connection,
    since: Option<store::ChangeCursor>,
) -> Result<(Vec<String>, store::ChangeCursor)> {
    let now: (i64, i64) = c
        .prepare_cached(
            "SELECT (SELECT COALESCE(MAX(seq), 0) FROM review_events),
                    (SELECT COALESCE(MAX(rowid), 0) FROM invitations)",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let cursor = store::ChangeCursor([now.0, now.1]);
    let Some(store::ChangeCursor([events, invitations])) = since else {
        return Ok((Vec::new(), cursor));
    };
    if (events, invitations) == now {
        return Ok((Vec::new(), cursor));
    }
    let slugs = c
        .prepare_cached(
            "SELECT b.slug FROM businesses b
             WHERE b.id IN (SELECT r.business_id FROM review_events e
                            JOIN reviews r ON r.id = e.review_id
                            WHERE e.seq > ?1 AND e.seq <= ?2)
                OR b.id IN (SELECT business_id FROM invitations
                            WHERE rowid > ?3 AND rowid <= ?4)",
        )?
        .query_map(params![events, now.0, invitations, now.1], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok((slugs, cursor))
}
