//! The people and keys of a business: logging in and out, API keys, and what the operator
//! creates from the command line (businesses, users).

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use domain::business::{NewBusiness, Slug};
use domain::ids::BusinessId;
use domain::secret::{Secret, TokenHash};
use store::{Business, NewUser, Store, StoreError, User};

use crate::{App, logins, passwords, tokens};

/// How long a session lasts.
pub const SESSION_DAYS: i64 = 14;

/// What a log-in attempt came to.
#[derive(Debug)]
pub enum LogIn {
    /// Too many failures (which limit, for the log; never shown): try later.
    Limited(logins::Limit),
    /// Too many passwords being checked at once: try again in a moment.
    Busy,
    /// Unknown address or wrong password (the two are not told apart).
    Refused,
    /// A new session: its cookie's secret is shown once, and stored only as its hash.
    Session {
        user: User,
        token: Secret,
        expires_at: DateTime<Utc>,
    },
}

/// Checks `password` for `email` (argon2id, off the async threads, with a turn from the
/// hashing gate), counting the attempt before the hash is checked, and opens a session if
/// it is right. Refusals are logged without the address or the password.
pub async fn log_in(
    app: &App,
    email: &str,
    password: String,
    client: Option<IpAddr>,
) -> Result<LogIn, StoreError> {
    let email = email.trim().to_lowercase();
    // No address is longer (RFC 5321); a longer one is no user's, and is not worth a counter.
    if email.len() > logins::MAX_ADDRESS_LEN {
        return Ok(LogIn::Refused);
    }
    if let Err(limit) = app.logins.begin(&email, client) {
        tracing::warn!(?limit, "log-in refused before its password was checked");
        metrics::counter!("passaparola_rate_limited_total", "limit" => "log-in").increment(1);
        return Ok(LogIn::Limited(limit));
    }
    let found = app.store.user_by_email(&email).await;
    let (user, stored) = match found {
        Ok(Some((user, hash))) => (Some(user), Some(hash)),
        Ok(None) => (None, None),
        Err(e) => {
            app.logins.abandon(&email, client);
            return Err(e);
        }
    };
    // argon2 takes tens of milliseconds of CPU and 19 MiB; an unknown address is checked
    // against a dummy hash all the same, so timing does not tell which addresses exist.
    let Ok(turn) = app.hashing.turn().await else {
        // Not checked: the attempt is not a failure, and must not count as one.
        app.logins.abandon(&email, client);
        tracing::warn!("log-in refused: too many passwords being checked at once");
        metrics::counter!("passaparola_rate_limited_total", "limit" => "password-hashing")
            .increment(1);
        return Ok(LogIn::Busy);
    };
    let checked = stored.clone();
    let ok = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        passwords::verify(&password, stored.as_deref())
    })
    .await
    .unwrap_or(false);
    let user = match user {
        Some(user) if ok => user,
        Some(user) => {
            tracing::warn!(user = %user.id, "log-in failed: wrong password");
            return Ok(LogIn::Refused);
        }
        None => {
            tracing::warn!("log-in failed: unknown address");
            return Ok(LogIn::Refused);
        }
    };
    app.logins.succeeded(&email, client);
    let checked = checked.unwrap_or_default();
    Ok(match open_session(app, &user, &email, &checked).await? {
        Some((token, expires_at)) => {
            tracing::info!(user = %user.id, "logged in");
            LogIn::Session {
                user,
                token,
                expires_at,
            }
        }
        None => {
            tracing::warn!(user = %user.id, "log-in refused: the password changed or the user was disabled meanwhile");
            LogIn::Refused
        }
    })
}

/// Opens a session for `user`, whose password was checked against the hash `checked` —
/// unless, while it was checked, the password changed or the user was disabled. The check
/// comes after the session is written: a change before it is seen here, and one after it
/// ended every session, this one with them.
async fn open_session(
    app: &App,
    user: &User,
    email: &str,
    checked: &str,
) -> Result<Option<(Secret, DateTime<Utc>)>, StoreError> {
    let token = tokens::new_session_token();
    let now = Utc::now();
    let expires_at = now + Duration::days(SESSION_DAYS);
    app.store
        .create_session(token.hash(), user.id, now, expires_at)
        .await?;
    let unchanged = matches!(
        app.store.user_by_email(email).await?,
        Some((u, hash)) if u.id == user.id && hash == checked
    );
    if unchanged {
        Ok(Some((token, expires_at)))
    } else {
        app.store.delete_session(token.hash()).await?;
        Ok(None)
    }
}

/// Ends the session whose secret hashes to `token`.
pub async fn log_out(app: &App, token: TokenHash) -> Result<(), StoreError> {
    app.store.delete_session(token).await
}

/// A new API key for the business (its others stay valid), shown once.
pub async fn create_key(app: &App, business: BusinessId) -> Result<Secret, StoreError> {
    let key = tokens::new_api_key();
    app.store
        .add_api_key(business, key.hash(), Utc::now())
        .await?;
    Ok(key)
}

/// Revokes the business's key with this id; `false` if it has none (or it was revoked).
pub async fn revoke_key(app: &App, business: BusinessId, id: &str) -> Result<bool, StoreError> {
    app.store.revoke_api_key(business, id, Utc::now()).await
}

/// Registers a business with a first API key, shown once.
pub async fn create_business(
    store: &dyn Store,
    new: NewBusiness,
) -> Result<(Business, Secret), StoreError> {
    let key = tokens::new_api_key();
    let business = store.create_business(new, key.hash(), Utc::now()).await?;
    Ok((business, key))
}

/// Revokes every API key of the business and installs a new one, shown once.
pub async fn rotate_keys(store: &dyn Store, slug: &Slug) -> Result<Secret, StoreError> {
    let key = tokens::new_api_key();
    store.replace_api_keys(slug, key.hash(), Utc::now()).await?;
    Ok(key)
}

/// A person who logs in for a business, with a first password, shown once.
pub async fn create_user(store: &dyn Store, new: NewUser) -> Result<(User, String), StoreError> {
    let password = passwords::generate();
    let hash = passwords::hash(&password)
        .map_err(|e| StoreError::Backend(format!("hashing the password: {e}").into()))?;
    let user = store.create_user(new, hash, Utc::now()).await?;
    Ok((user, password))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a panic in a test is a failing test")]

    use std::sync::Arc;

    use super::*;

    #[derive(Debug)]
    struct NoCache;

    impl crate::Invalidate for NoCache {
        fn invalidate(&self, _: &str) {}
    }

    /// A log-in whose password was checked just before a reset (or a disable) opens no
    /// session: the holder of the old password must not get in after the change.
    #[tokio::test]
    async fn a_password_changed_during_the_check_opens_no_session() {
        let dir = tempfile::tempdir().unwrap();
        let config = crate::Config {
            data_dir: dir.path().to_owned(),
            database_url: None,
            base_url: url::Url::parse("http://127.0.0.1:9").unwrap(),
            log_origin: None,
            demo: false,
            rate_limits: true,
            mail: None,
        };
        let app = crate::build(&config, Arc::new(NoCache)).await.unwrap().app;
        let store = app.store.as_ref();
        let new = NewBusiness::parse("bottega", "Bottega", None).unwrap();
        create_business(store, new).await.unwrap();
        let email = "giulia@example.it";
        let (user, _) = create_user(
            store,
            store::NewUser {
                business_slug: "bottega".into(),
                email: domain::invitation::Email::parse(email).unwrap(),
                name: domain::review::ResponderName::parse("Giulia").unwrap(),
                role: None,
            },
        )
        .await
        .unwrap();
        let (_, checked) = store.user_by_email(email).await.unwrap().unwrap();
        crate::people::reset_password(store, user.id).await.unwrap();
        assert!(
            open_session(&app, &user, email, &checked)
                .await
                .unwrap()
                .is_none()
        );
        let (_, current) = store.user_by_email(email).await.unwrap().unwrap();
        let (token, _) = open_session(&app, &user, email, &current)
            .await
            .unwrap()
            .unwrap();
        assert!(
            store
                .session_user(token.hash(), Utc::now())
                .await
                .unwrap()
                .is_some()
        );
        // Disabled meanwhile: no session either.
        crate::people::change(store, user.id, crate::people::Change::Disable)
            .await
            .unwrap();
        assert!(
            open_session(&app, &user, email, &current)
                .await
                .unwrap()
                .is_none()
        );
    }
}
