//! The storage backend, chosen once at start-up from the database URL's scheme.

use std::path::Path;
use std::sync::Arc;

use ledger::note::LogSigner;
use store::{Store, StoreError};

/// The backends this build can open, by URL scheme.
pub const SCHEMES: &[&str] = &["sqlite"];

/// An open store, with what only its backend can say (for `passaparola migrate`).
#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite(Arc<store_sqlite::SqliteStore>),
}

impl Backend {
    /// Opens the store that `url` names, bringing its schema up to date. With the log's
    /// `signer` (the server) it checks the log and signs checkpoints; without it (the command
    /// line) writes append entries for the server to seal.
    ///
    /// `sqlite://PATH` (or `sqlite:PATH`, or a plain path) is the embedded default; an
    /// unknown scheme is refused with the schemes this build knows.
    pub fn open(url: &str, signer: Option<LogSigner>) -> Result<Self, StoreError> {
        match scheme(url) {
            None | Some("sqlite") => {
                let path = store_sqlite::path_from_url(url)?;
                Ok(Self::Sqlite(Arc::new(store_sqlite::SqliteStore::open(
                    &path, signer,
                )?)))
            }
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
        }
    }
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
    fn the_scheme_picks_the_backend() {
        assert_eq!(scheme("sqlite://data/p.db"), Some("sqlite"));
        assert_eq!(scheme("sqlite:p.db"), Some("sqlite"));
        assert_eq!(scheme("postgres://u@h/db"), Some("postgres"));
        assert_eq!(scheme("./data/p.db"), None);
        assert_eq!(scheme("/abs/p.db"), None);
        let err = Backend::open("mysql://localhost/x", None).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("\"mysql\"") && message.contains("sqlite://"),
            "{message}"
        );
    }
}
