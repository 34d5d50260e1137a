//! People leave: the operator (from the command line) and a business's own users (on the
//! `/users` page) list the business's users, disable or enable them, reset a password
//! (shown once) and sign a user out everywhere. Disabling or a new password ends the user's
//! sessions at once: their next request finds no session, and an open inbox stream, which
//! checks its session before each piece of news, hears no more and closes within 30 s.

use chrono::Utc;
use store::{Store, StoreError, UserEntry};
use uuid::Uuid;

use crate::passwords;

/// What the operator or a colleague can do to a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Disable,
    Enable,
    /// End every session; the password stays.
    SignOutEverywhere,
}

/// What a change came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    Done,
    /// Sessions ended by signing out everywhere.
    SignedOut(u64),
    /// No such user.
    NoUser,
}

/// Applies `change` to the user `id`; logged with the user's id only.
pub async fn change(store: &dyn Store, id: Uuid, change: Change) -> Result<Changed, StoreError> {
    let now = Utc::now();
    let done = match change {
        Change::Disable => store.set_user_disabled(id, true, now).await?,
        Change::Enable => store.set_user_disabled(id, false, now).await?,
        Change::SignOutEverywhere => {
            let ended = store.end_sessions(id).await?;
            tracing::info!(user = %id, sessions = ended, "signed out everywhere");
            return Ok(Changed::SignedOut(ended));
        }
    };
    if !done {
        return Ok(Changed::NoUser);
    }
    tracing::info!(user = %id, ?change, "user changed");
    Ok(Changed::Done)
}

/// A new password for the user `id`, shown once (their sessions end); `None` if there is no
/// such user. The argon2id hash is computed off the async threads.
pub async fn reset_password(store: &dyn Store, id: Uuid) -> Result<Option<String>, StoreError> {
    let password = passwords::generate();
    let typed = password.clone();
    let hash = tokio::task::spawn_blocking(move || passwords::hash(&typed))
        .await
        .map_err(|e| StoreError::Backend(Box::new(e)))?
        .map_err(|e| StoreError::Backend(format!("hashing the password: {e}").into()))?;
    if !store.set_password(id, hash).await? {
        return Ok(None);
    }
    tracing::info!(user = %id, "password reset");
    Ok(Some(password))
}

/// The user with this e-mail address, for the command line, which names users by address.
pub async fn find(store: &dyn Store, email: &str) -> Result<Option<UserEntry>, StoreError> {
    store.find_user(email).await
}
