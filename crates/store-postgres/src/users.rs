//! The people who log in for a business, and their sessions.

use chrono::{DateTime, Utc};
use domain::ids::BusinessId;
use domain::secret::TokenHash;
use store::{BusinessRef, Entity, NewUser, StoreError, User, UserEntry};
use tokio_postgres::Row;

use crate::db::{Db, Result, from_ms, to_ms};

const USER_COLUMNS: &str = "u.id, b.id, b.slug, b.name, u.email, u.name, u.role";

fn user(row: &Row) -> Result<User> {
    Ok(User {
        id: row.try_get(0)?,
        business: BusinessRef {
            id: BusinessId(row.try_get(1)?),
            slug: row.try_get(2)?,
            name: row.try_get(3)?,
        },
        email: row.try_get(4)?,
        name: row.try_get(5)?,
        role: row.try_get(6)?,
    })
}

/// An e-mail address as stored and looked up: its ASCII letters lower-cased, as SQLite's
/// `lower` does (PostgreSQL's would also fold other letters, by the database's locale).
fn stored_email(email: &str) -> String {
    email.to_ascii_lowercase()
}

pub(crate) async fn create(
    db: &dyn Db,
    new: &NewUser,
    password_hash: &str,
    at: DateTime<Utc>,
) -> Result<User> {
    let business: uuid::Uuid = db
        .query_opt(
            "SELECT id FROM businesses WHERE slug = $1",
            &[&new.business_slug],
        )
        .await?
        .ok_or(StoreError::NotFound(Entity::Business))?
        .try_get(0)?;
    let id = uuid::Uuid::now_v7();
    // An address taken (even by a transaction still running elsewhere, which this waits
    // for) inserts nothing, without aborting the transaction.
    let inserted = db
        .execute(
            "INSERT INTO users (id, business_id, email, name, role, password_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (email) DO NOTHING",
            &[
                &id,
                &business,
                &stored_email(new.email.as_str()),
                &new.name.as_str(),
                &new.role.as_ref().map(|r| r.as_str()),
                &password_hash,
                &to_ms(at),
            ],
        )
        .await?;
    if inserted == 0 {
        return Err(StoreError::EmailTaken.into());
    }
    by_id(db, id)
        .await?
        .ok_or(StoreError::NotFound(Entity::User).into())
}

async fn by_id(db: &dyn Db, id: uuid::Uuid) -> Result<Option<User>> {
    db.query_opt(
        &format!(
            "SELECT {USER_COLUMNS} FROM users u JOIN businesses b ON b.id = u.business_id
             WHERE u.id = $1"
        ),
        &[&id],
    )
    .await?
    .as_ref()
    .map(user)
    .transpose()
}

pub(crate) async fn by_email(db: &dyn Db, email: &str) -> Result<Option<(User, String)>> {
    // No stored address holds a NUL, which PostgreSQL's text cannot carry.
    if email.contains('\0') {
        return Ok(None);
    }
    db.query_opt(
        &format!(
            "SELECT {USER_COLUMNS}, u.password_hash FROM users u
             JOIN businesses b ON b.id = u.business_id WHERE u.email = $1
             AND NOT EXISTS (SELECT 1 FROM disabled_users d WHERE d.user_id = u.id)"
        ),
        &[&stored_email(email.trim())],
    )
    .await?
    .map(|row| Ok((user(&row)?, row.try_get(7)?)))
    .transpose()
}

/// Users as managed: with their creation and, if disabled, when; oldest first.
async fn entries(
    db: &dyn Db,
    condition: &str,
    arg: &(dyn tokio_postgres::types::ToSql + Sync),
) -> Result<Vec<UserEntry>> {
    db.query(
        &format!(
            "SELECT {USER_COLUMNS}, u.created_at, d.disabled_at FROM users u
             JOIN businesses b ON b.id = u.business_id
             LEFT JOIN disabled_users d ON d.user_id = u.id
             WHERE {condition} ORDER BY u.created_at, u.id"
        ),
        &[arg],
    )
    .await?
    .iter()
    .map(|row| {
        Ok(UserEntry {
            user: user(row)?,
            created_at: from_ms(row.try_get(7)?)?,
            disabled_at: row.try_get::<_, Option<i64>>(8)?.map(from_ms).transpose()?,
        })
    })
    .collect()
}

pub(crate) async fn find(db: &dyn Db, email: &str) -> Result<Option<UserEntry>> {
    if email.contains('\0') {
        return Ok(None);
    }
    Ok(entries(db, "u.email = $1", &stored_email(email.trim()))
        .await?
        .pop())
}

pub(crate) async fn of_business(db: &dyn Db, business: BusinessId) -> Result<Vec<UserEntry>> {
    entries(db, "u.business_id = $1", &business.0).await
}

/// Disables (ending the user's sessions) or enables the user; `false` if there is none.
pub(crate) async fn set_disabled(
    db: &dyn Db,
    user: uuid::Uuid,
    disabled: bool,
    at: DateTime<Utc>,
) -> Result<bool> {
    // The user's row stays locked until the transaction ends: two servers changing the same
    // user take turns. NO KEY UPDATE leaves session inserts (which only reference the row)
    // unblocked; a session created meanwhile is a disabled user's, which no read returns.
    let exists = db
        .query_opt(
            "SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE",
            &[&user],
        )
        .await?
        .is_some();
    if !exists {
        return Ok(false);
    }
    if disabled {
        db.execute(
            "INSERT INTO disabled_users (user_id, disabled_at) VALUES ($1, $2)
             ON CONFLICT (user_id) DO NOTHING",
            &[&user, &to_ms(at)],
        )
        .await?;
        end_sessions(db, user).await?;
    } else {
        db.execute("DELETE FROM disabled_users WHERE user_id = $1", &[&user])
            .await?;
    }
    Ok(true)
}

/// Replaces the user's password hash and ends their sessions; `false` if there is no user.
pub(crate) async fn set_password(
    db: &dyn Db,
    user: uuid::Uuid,
    password_hash: &str,
) -> Result<bool> {
    let changed = db
        .execute(
            "UPDATE users SET password_hash = $2 WHERE id = $1",
            &[&user, &password_hash],
        )
        .await?;
    if changed > 0 {
        end_sessions(db, user).await?;
    }
    Ok(changed > 0)
}

pub(crate) async fn end_sessions(db: &dyn Db, user: uuid::Uuid) -> Result<u64> {
    db.execute("DELETE FROM sessions WHERE user_id = $1", &[&user])
        .await
}

pub(crate) async fn create_session(
    db: &dyn Db,
    token: &TokenHash,
    user: uuid::Uuid,
    at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    // Expired sessions go as new ones come: the table stays the size of the live ones.
    // Those another server is deleting at the same moment are skipped rather than waited
    // for (and never deadlocked on): it deletes them, or the next log-in does.
    db.execute(
        "DELETE FROM sessions WHERE token_hash IN
             (SELECT token_hash FROM sessions WHERE expires_at <= $1 FOR UPDATE SKIP LOCKED)",
        &[&to_ms(at)],
    )
    .await?;
    db.execute(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4)",
        &[
            &token.as_bytes().as_slice(),
            &user,
            &to_ms(at),
            &to_ms(expires_at),
        ],
    )
    .await?;
    Ok(())
}

/// The user of a live session (never a disabled user's).
pub(crate) async fn session_user(
    db: &dyn Db,
    token: &TokenHash,
    now: DateTime<Utc>,
) -> Result<Option<User>> {
    db.query_opt(
        &format!(
            "SELECT {USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id
             JOIN businesses b ON b.id = u.business_id
             WHERE s.token_hash = $1 AND s.expires_at > $2
             AND NOT EXISTS (SELECT 1 FROM disabled_users d WHERE d.user_id = u.id)"
        ),
        &[&token.as_bytes().as_slice(), &to_ms(now)],
    )
    .await?
    .as_ref()
    .map(user)
    .transpose()
}

pub(crate) async fn delete_session(db: &dyn Db, token: &TokenHash) -> Result<()> {
    db.execute(
        "DELETE FROM sessions WHERE token_hash = $1",
        &[&token.as_bytes().as_slice()],
    )
    .await?;
    Ok(())
}
