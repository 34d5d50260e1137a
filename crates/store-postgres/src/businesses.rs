//! Businesses and their API keys.

use chrono::{DateTime, Utc};
use domain::business::NewBusiness;
use domain::ids::BusinessId;
use domain::secret::TokenHash;
use store::{ApiKeyRecord, Business, Entity, StoreError};
use tokio_postgres::Row;

use crate::db::{Db, Result, from_ms, to_ms};

const COLUMNS: &str = "b.id, b.slug, b.name, b.website, b.created_at";

/// `$0` with its ASCII letters lower-cased and nothing else: what SQLite's `LIKE` and
/// `NOCASE` fold, whatever the database's locale (PostgreSQL's `lower` and `ILIKE` would
/// also fold non-ASCII letters).
macro_rules! ascii_lower {
    ($expr:literal) => {
        concat!(
            "translate(",
            $expr,
            ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
        )
    };
}

fn business(row: &Row) -> Result<Business> {
    Ok(Business {
        id: BusinessId(row.try_get(0)?),
        slug: row.try_get(1)?,
        name: row.try_get(2)?,
        website: row.try_get(3)?,
        created_at: from_ms(row.try_get(4)?)?,
    })
}

pub(crate) async fn create(
    db: &dyn Db,
    new: &NewBusiness,
    api_key: &TokenHash,
    at: DateTime<Utc>,
) -> Result<Business> {
    let id = BusinessId::generate();
    let website = new.website.as_ref().map(|w| w.as_str());
    // A slug taken (even by a transaction still running elsewhere, which this waits for)
    // inserts nothing, without aborting the transaction.
    let inserted = db
        .execute(
            "INSERT INTO businesses (id, slug, name, website, created_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (slug) DO NOTHING",
            &[
                &id.0,
                &new.slug.as_str(),
                &new.name.as_str(),
                &website,
                &to_ms(at),
            ],
        )
        .await?;
    if inserted == 0 {
        return Err(StoreError::SlugTaken.into());
    }
    insert_key(db, id, api_key, at).await?;
    Ok(Business {
        id,
        slug: new.slug.as_str().to_owned(),
        name: new.name.as_str().to_owned(),
        website: website.map(str::to_owned),
        created_at: from_ms(to_ms(at))?,
    })
}

async fn insert_key(
    db: &dyn Db,
    business: BusinessId,
    key: &TokenHash,
    at: DateTime<Utc>,
) -> Result<()> {
    db.execute(
        "INSERT INTO api_keys (hash, business_id, created_at) VALUES ($1, $2, $3)",
        &[&key.as_bytes().as_slice(), &business.0, &to_ms(at)],
    )
    .await?;
    Ok(())
}

pub(crate) async fn replace_keys(
    db: &dyn Db,
    slug: &str,
    api_key: &TokenHash,
    at: DateTime<Utc>,
) -> Result<Business> {
    // The business's row is locked until the transaction ends, so that two rotations on
    // different servers run one after the other: the second revokes the first's key (the
    // revoking UPDATE below sees every key committed before it starts). NO KEY UPDATE leaves
    // the inserts that merely reference the business (reviews, invitations) unblocked.
    let row = db
        .query_opt(
            &format!("SELECT {COLUMNS} FROM businesses b WHERE b.slug = $1 FOR NO KEY UPDATE"),
            &[&slug],
        )
        .await?
        .ok_or(StoreError::NotFound(Entity::Business))?;
    let business = business(&row)?;
    db.execute(
        "UPDATE api_keys SET revoked_at = $2 WHERE business_id = $1 AND revoked_at IS NULL",
        &[&business.id.0, &to_ms(at)],
    )
    .await?;
    insert_key(db, business.id, api_key, at).await?;
    Ok(business)
}

pub(crate) async fn by_slug(db: &dyn Db, slug: &str) -> Result<Option<Business>> {
    db.query_opt(
        &format!("SELECT {COLUMNS} FROM businesses b WHERE b.slug = $1"),
        &[&slug],
    )
    .await?
    .as_ref()
    .map(business)
    .transpose()
}

/// Businesses whose name or slug contains `query` (ASCII letters in any case), by name; all
/// businesses, by name, for an empty query.
pub(crate) async fn search(db: &dyn Db, query: &str, limit: u32) -> Result<Vec<Business>> {
    // No stored text holds a NUL, which PostgreSQL's text cannot carry.
    if query.contains('\0') {
        return Ok(Vec::new());
    }
    // LIKE's wildcards in the query are literal characters; ASCII letters match in any case
    // (as in SQLite's LIKE), other letters only as they are.
    let escaped = query
        .to_ascii_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    // SQLite's order: the name with its ASCII letters folded (NOCASE), then the slug, both
    // compared byte by byte (collation "C"), whatever the database's locale.
    let sql = format!(
        "SELECT {COLUMNS} FROM businesses b
         WHERE {name} LIKE $1 ESCAPE '\\' OR {slug} LIKE $1 ESCAPE '\\'
         ORDER BY {name} COLLATE \"C\", b.slug COLLATE \"C\" LIMIT $2",
        name = ascii_lower!("b.name"),
        slug = ascii_lower!("b.slug"),
    );
    db.query(&sql, &[&pattern, &i64::from(limit)])
        .await?
        .iter()
        .map(business)
        .collect()
}

pub(crate) async fn by_api_key(db: &dyn Db, key: &TokenHash) -> Result<Option<Business>> {
    db.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM api_keys k JOIN businesses b ON b.id = k.business_id
             WHERE k.hash = $1 AND k.revoked_at IS NULL"
        ),
        &[&key.as_bytes().as_slice()],
    )
    .await?
    .as_ref()
    .map(business)
    .transpose()
}

/// The business's API keys, newest first; a key's id is the first 8 bytes of its hash, in
/// lower-case hex.
pub(crate) async fn api_keys(db: &dyn Db, business: BusinessId) -> Result<Vec<ApiKeyRecord>> {
    db.query(
        "SELECT encode(substring(hash FROM 1 FOR 8), 'hex'), created_at, revoked_at
         FROM api_keys WHERE business_id = $1 ORDER BY created_at DESC, hash",
        &[&business.0],
    )
    .await?
    .iter()
    .map(|row| {
        Ok(ApiKeyRecord {
            id: row.try_get(0)?,
            created_at: from_ms(row.try_get(1)?)?,
            revoked_at: row.try_get::<_, Option<i64>>(2)?.map(from_ms).transpose()?,
        })
    })
    .collect()
}

pub(crate) async fn add_api_key(
    db: &dyn Db,
    business: BusinessId,
    key: &TokenHash,
    at: DateTime<Utc>,
) -> Result<()> {
    insert_key(db, business, key, at).await
}

/// Revokes the business's live key whose id (see [`api_keys`]) is `id`, in any case;
/// `false` if there is none.
pub(crate) async fn revoke_api_key(
    db: &dyn Db,
    business: BusinessId,
    id: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    let Some(prefix) = key_prefix(id) else {
        return Ok(false);
    };
    let changed = db
        .execute(
            "UPDATE api_keys SET revoked_at = $3
             WHERE business_id = $1 AND substring(hash FROM 1 FOR 8) = $2
             AND revoked_at IS NULL",
            &[&business.0, &prefix.as_slice(), &to_ms(at)],
        )
        .await?;
    Ok(changed > 0)
}

/// The 8 bytes a key id (16 hex digits, any case) stands for.
fn key_prefix(id: &str) -> Option<[u8; 8]> {
    if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut bytes = [0u8; 8];
    for (byte, pair) in bytes.iter_mut().zip(id.as_bytes().chunks(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(bytes)
}

/// Every business's slug (after missed notifications, every cache is dropped).
pub(crate) async fn all_slugs(db: &dyn Db) -> Result<Vec<String>> {
    db.query("SELECT slug FROM businesses ORDER BY slug", &[])
        .await?
        .iter()
        .map(|row| Ok(row.try_get(0)?))
        .collect()
}
