//! Web users of a business, their sessions, and the reply inbox.

use chrono::{DateTime, Utc};
use domain::ids::BusinessId;
use domain::secret::TokenHash;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::Result;
use crate::reviews::REVIEW_SELECT;
use crate::{from_ms, parse_uuid, to_ms};
use store::{BusinessRef, Entity, NewUser, Review, StoreError, User, UserEntry};

const USER_COLUMNS: &str = "u.id, b.id, b.slug, b.name, u.email, u.name, u.role";

fn user(row: &Row<'_>) -> rusqlite::Result<[Option<String>; 7]> {
    Ok([
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
    ])
}

fn into_user([id, bid, slug, bname, email, name, role]: [Option<String>; 7]) -> Result<User> {
    let text = |v: Option<String>| v.unwrap_or_default();
    Ok(User {
        id: parse_uuid(&text(id))?,
        business: BusinessRef {
            id: BusinessId(parse_uuid(&text(bid))?),
            slug: text(slug),
            name: text(bname),
        },
        email: text(email),
        name: text(name),
        role,
    })
}

pub(super) fn create(
    c: &Connection,
    new: &NewUser,
    password_hash: &str,
    at: DateTime<Utc>,
) -> Result<User> {
    let business: Option<String> = c
        .query_row(
            "SELECT id FROM businesses WHERE slug = ?1",
            [&new.business_slug],
            |r| r.get(0),
        )
        .optional()?;
    let business = business.ok_or(StoreError::NotFound(Entity::Business))?;
    let id = uuid::Uuid::now_v7();
    let inserted = c.execute(
        "INSERT INTO users (id, business_id, email, name, role, password_hash, created_at)
         VALUES (?1, ?2, lower(?3), ?4, ?5, ?6, ?7) ON CONFLICT (email) DO NOTHING",
        params![
            id.to_string(),
            business,
            new.email.as_str(),
            new.name.as_str(),
            new.role.as_ref().map(|r| r.as_str()),
            password_hash,
            to_ms(at)
        ],
    )?;
    if inserted == 0 {
        return Err(StoreError::EmailTaken.into());
    }
    by_id(c, id)?.ok_or(StoreError::NotFound(Entity::User).into())
}

fn by_id(c: &Connection, id: uuid::Uuid) -> Result<Option<User>> {
    c.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM users u JOIN businesses b ON b.id = u.business_id
         WHERE u.id = ?1"
    ))?
    .query_row([id.to_string()], user)
    .optional()?
    .map(into_user)
    .transpose()
}

pub(super) fn by_email(c: &Connection, email: &str) -> Result<Option<(User, String)>> {
    let found = c
        .prepare_cached(&format!(
            "SELECT {USER_COLUMNS}, u.password_hash FROM users u
             JOIN businesses b ON b.id = u.business_id WHERE u.email = lower(?1)
             AND NOT EXISTS (SELECT 1 FROM disabled_users d WHERE d.user_id = u.id)"
        ))?
        .query_row([email.trim()], |r| Ok((user(r)?, r.get::<_, String>(7)?)))
        .optional()?;
    found.map(|(u, hash)| Ok((into_user(u)?, hash))).transpose()
}

pub(super) fn create_session(
    c: &Connection,
    token: &TokenHash,
    user: uuid::Uuid,
    at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    // Expired sessions go as new ones come: the table stays the size of the live ones.
    c.prepare_cached("DELETE FROM sessions WHERE expires_at <= ?1")?
        .execute([to_ms(at)])?;
    c.prepare_cached(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        token.as_bytes(),
        user.to_string(),
        to_ms(at),
        to_ms(expires_at)
    ])?;
    Ok(())
}

pub(super) fn session_user(
    c: &Connection,
    token: &TokenHash,
    now: DateTime<Utc>,
) -> Result<Option<User>> {
    c.prepare_cached(&format!(
        "SELECT {USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id
         JOIN businesses b ON b.id = u.business_id
         WHERE s.token_hash = ?1 AND s.expires_at > ?2
         AND NOT EXISTS (SELECT 1 FROM disabled_users d WHERE d.user_id = u.id)"
    ))?
    .query_row(params![token.as_bytes(), to_ms(now)], user)
    .optional()?
    .map(into_user)
    .transpose()
}

pub(super) fn delete_session(c: &Connection, token: &TokenHash) -> Result<()> {
    c.prepare_cached("DELETE FROM sessions WHERE token_hash = ?1")?
        .execute([token.as_bytes()])?;
    Ok(())
}

/// Users as managed: with their creation and, if disabled, when.
fn entries(c: &Connection, condition: &str, arg: &str) -> Result<Vec<UserEntry>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {USER_COLUMNS}, u.created_at, d.disabled_at FROM users u
         JOIN businesses b ON b.id = u.business_id
         LEFT JOIN disabled_users d ON d.user_id = u.id
         WHERE {condition} ORDER BY u.created_at, u.id"
    ))?;
    let rows = stmt.query_map([arg], |r| {
        Ok((user(r)?, r.get::<_, i64>(7)?, r.get::<_, Option<i64>>(8)?))
    })?;
    rows.map(|row| {
        let (u, created, disabled) = row?;
        Ok(UserEntry {
            user: into_user(u)?,
            created_at: from_ms(created)?,
            disabled_at: disabled.map(from_ms).transpose()?,
        })
    })
    .collect()
}

pub(super) fn find(c: &Connection, email: &str) -> Result<Option<UserEntry>> {
    Ok(entries(c, "u.email = lower(?1)", email.trim())?.pop())
}

pub(super) fn of_business(c: &Connection, business: BusinessId) -> Result<Vec<UserEntry>> {
    entries(c, "u.business_id = ?1", &business.to_string())
}

/// Disables (ending the user's sessions) or enables the user; `false` if there is none.
pub(super) fn set_disabled(
    c: &Connection,
    user: uuid::Uuid,
    disabled: bool,
    at: DateTime<Utc>,
) -> Result<bool> {
    if by_id(c, user)?.is_none() {
        return Ok(false);
    }
    if disabled {
        c.execute(
            "INSERT INTO disabled_users (user_id, disabled_at) VALUES (?1, ?2)
             ON CONFLICT (user_id) DO NOTHING",
            params![user.to_string(), to_ms(at)],
        )?;
        end_sessions(c, user)?;
    } else {
        c.execute(
            "DELETE FROM disabled_users WHERE user_id = ?1",
            [user.to_string()],
        )?;
    }
    Ok(true)
}

pub(super) fn set_password(c: &Connection, user: uuid::Uuid, hash: &str) -> Result<bool> {
    let changed = c.execute(
        "UPDATE users SET password_hash = ?2 WHERE id = ?1",
        params![user.to_string(), hash],
    )?;
    if changed > 0 {
        end_sessions(c, user)?;
    }
    Ok(changed > 0)
}

pub(super) fn end_sessions(c: &Connection, user: uuid::Uuid) -> Result<u64> {
    Ok(c.execute(
        "DELETE FROM sessions WHERE user_id = ?1",
        [user.to_string()],
    )? as u64)
}

pub(super) fn inbox(c: &Connection, business: BusinessId, limit: u32) -> Result<Vec<Review>> {
    published_of(
        c,
        business,
        limit,
        "p.review_id IS NULL ORDER BY r.rating ASC, r.created_at ASC, r.seq ASC",
    )
}

pub(super) fn answered(c: &Connection, business: BusinessId, limit: u32) -> Result<Vec<Review>> {
    published_of(
        c,
        business,
        limit,
        "p.review_id IS NOT NULL ORDER BY COALESCE(p.updated_at, p.created_at) DESC, r.seq DESC",
    )
}

/// The business's published reviews that meet `rest` (a condition and an order), at most
/// `limit`.
fn published_of(
    c: &Connection,
    business: BusinessId,
    limit: u32,
    rest: &'static str,
) -> Result<Vec<Review>> {
    let mut stmt = c.prepare_cached(&format!(
        "{REVIEW_SELECT}
         WHERE r.business_id = ?1 AND r.status = 'published' AND {rest} LIMIT ?2"
    ))?;
    let rows = stmt.query_map(
        params![business.to_string(), limit],
        super::reviews::review_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
