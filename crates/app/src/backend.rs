//! The storage backend, chosen once at start-up from the database URL's scheme.

use std::path::Path;
use std::sync::Arc;

use ledger::note::LogSigner;
use store::{Store, StoreError};

/// The backends this build can open, by URL scheme.
pub const SCHEMES: &[&str] = &["sqlite", "postgres"];

/// An open store, with what only its backend can say (for `passaparola migrate`).
#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite(Arc<store_sqlite::SqliteStore>),
    Postgres(Arc<store_postgres::PostgresStore>),
}

impl Backend {
    /// Opens the store that `url` names, bringing its schema up to date. With the log's
    /// `signer` (the server) it checks the log and signs checkpoints; without it (the command
    /// line) writes append entries for the server to seal.
    ///
    /// `sqlite://PATH` (or `sqlite:PATH`, or a plain path) is the embedded default;
    /// `postgres://…` (or `postgresql://…`) a PostgreSQL database that several servers may
    /// share; an unknown scheme is refused with the schemes this build knows.
    pub async fn open(url: &str, signer: Option<LogSigner>) -> Result<Self, StoreError> {
        match scheme(url) {
            None | Some("sqlite") => {
                let path = store_sqlite::path_from_url(url)?;
                Ok(Self::Sqlite(Arc::new(store_sqlite::SqliteStore::open(
                    &path, signer,
                )?)))
            }
            Some("postgres" | "postgresql") => Ok(Self::Postgres(Arc::new(
                store_postgres::PostgresStore::open(url, signer).await?,
            ))),
            Some(other) => Err(StoreError::Config(format!(
                "unsupported database URL scheme {other:?}: this build knows {}",
                SCHEMES
                    .iter()
                    .map(|s| format!("{s}://"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Whether `url` names the SQLite backend.
    pub fn is_sqlite(url: &str) -> bool {
        matches!(scheme(url), None | Some("sqlite"))
    }

    /// The default URL: the SQLite file in the data directory.
    pub fn default_url(data_dir: &Path) -> String {
        format!("sqlite://{}", data_dir.join("passaparola.db").display())
    }

    /// The store, behind the contract.
    pub fn store(&self) -> Arc<dyn Store> {
        match self {
            Self::Sqlite(s) => s.clone(),
            Self::Postgres(s) => s.clone(),
        }
    }

    /// Where the data lives and the schema version it is at, for the operator.
    pub async fn describe(&self) -> Result<String, StoreError> {
        match self {
            Self::Sqlite(s) => Ok(format!(
                "database {} is at schema version {}",
                s.path().display(),
                s.schema_version().await?
            )),
            Self::Postgres(s) => Ok(format!(
                "{} is at schema version {}",
                s.describe(),
                s.schema_version().await?
            )),
        }
    }
}

/// The URL as it may be shown and logged: without a password (in the user part or as a
/// `password=` parameter).
pub fn redacted(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return redacted_by_hand(url);
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "password" {
                "***".into()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    if pairs.iter().any(|(k, _)| k == "password") {
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

/// [`redacted`] for what `url` cannot parse (several hosts, an empty host): the password
/// between `://` and the user part's `@`, and every `password=` parameter, replaced.
fn redacted_by_hand(url: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut out = match base.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            match rest[..authority_end].rfind('@') {
                Some(at) => {
                    let user = rest[..at].split(':').next().unwrap_or_default();
                    let password = if rest[..at].contains(':') { ":***" } else { "" };
                    format!("{scheme}://{user}{password}{}", &rest[at..])
                }
                None => base.to_owned(),
            }
        }
        None => base.to_owned(),
    };
    if !query.is_empty() {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some(("password", _)) => "password=***".to_owned(),
                _ => pair.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

/// A URL's scheme, if it has one (`sqlite:relative.db` has `sqlite`; a plain path none).
fn scheme(url: &str) -> Option<&str> {
    let (scheme, _) = url.split_once(':')?;
    let valid = !scheme.is_empty()
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    // A Windows drive letter or a path with a colon in a later segment is no scheme.
    (valid && scheme.len() > 1 && !scheme.contains('/')).then_some(scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            redacted("postgres://pp:s3cret@db.example/pp?sslmode=require"),
            "postgres://pp:***@db.example/pp?sslmode=require"
        );
        assert_eq!(
            redacted("postgres://db.example/pp?user=pp&password=s3cret"),
            "postgres://db.example/pp?user=pp&password=***"
        );
        assert_eq!(redacted("sqlite://data/p.db"), "sqlite://data/p.db");
        // What the URL parser refuses: several hosts, a socket directory for a host.
        assert_eq!(
            redacted("postgres://u:s3cret@h1:5432,h2:5432/db"),
            "postgres://u:***@h1:5432,h2:5432/db"
        );
        assert_eq!(
            redacted("postgres://u:s3cret@/db?host=/run/pg&password=s3cret"),
            "postgres://u:***@/db?host=/run/pg&password=***"
        );
        assert_eq!(redacted("./data/p.db"), "./data/p.db");
    }

    #[test]
    fn the_scheme_picks_the_backend() {
        assert_eq!(scheme("sqlite://data/p.db"), Some("sqlite"));
        assert_eq!(scheme("sqlite:p.db"), Some("sqlite"));
        assert_eq!(scheme("postgres://u@h/db"), Some("postgres"));
        assert_eq!(scheme("./data/p.db"), None);
        assert_eq!(scheme("/abs/p.db"), None);
        let err = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(Backend::open("mysql://localhost/x", None))
            .unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("\"mysql\"") && message.contains("sqlite://"),
            "{message}"
        );
    }
}
