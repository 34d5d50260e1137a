//! What an instance is configured with, and the one function that starts it: `passaparola
//! serve` and the test harness both call [`build`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use url::Url;

use crate::backend::Backend;
use crate::tokens::{self, InstanceKey};
use crate::{App, Inner, Invalidate};

/// An instance's configuration (the command line's options, or a test's).
#[derive(Debug, Clone)]
pub struct Config {
    /// Holds the instance key, the log key and, by default, the SQLite database.
    pub data_dir: PathBuf,
    /// The database (`sqlite://PATH`); by default the SQLite file in the data directory.
    pub database_url: Option<String>,
    /// Where the public reaches this instance; links start with it.
    pub base_url: Url,
    /// The log's name, used when its key is first created (by default from the base URL).
    /// Given explicitly, it must match the existing key's.
    pub log_origin: Option<String>,
    /// Seed the demo data set if it is not there yet.
    pub demo: bool,
    /// Limit writes per credential and per client ([`crate::limits`]); off only for
    /// benchmarks and load tests (`--no-rate-limits`).
    pub rate_limits: bool,
    /// How invitations are mailed; `None`: they are not.
    pub mail: Option<crate::mail::MailConfig>,
}

impl Config {
    /// The database URL in force.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| Backend::default_url(&self.data_dir))
    }
}

/// Why an instance cannot start: each says what to look at.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("reading the log key {path}: {source}")]
    LogKey {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the log key {path} belongs to the log {found:?}, not {wanted:?}: a log keeps its name for life"
    )]
    LogRenamed {
        path: PathBuf,
        found: String,
        wanted: String,
    },
    #[error("reading the instance key {path}: {source}")]
    InstanceKey {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("opening the database {url}: {source}")]
    Store {
        url: String,
        source: store::StoreError,
    },
    #[error("seeding the demo data: {0}")]
    Demo(store::StoreError),
    #[error(
        "the log key {key} exists but the database {database} does not: a new database would \
         start a second log under the same key. Restore the database (passaparola restore), \
         point --database-url at it, or move the log key away to start a new log"
    )]
    LogWithoutDatabase { key: PathBuf, database: PathBuf },
    #[error(
        "the log key {key} exists but the PostgreSQL database {url} holds no log: a new log \
         there would be a second log under the same key. Point --database-url at the \
         instance's database, move an instance into it with passaparola copy, or move the log \
         key away to start a new log"
    )]
    LogWithoutPostgresLog { key: PathBuf, url: String },
    #[error(transparent)]
    Mail(#[from] crate::mail::MailConfigError),
}

/// A started instance: its use cases' state, and the demo businesses seeded now (with their
/// API keys, to print once).
#[derive(Debug)]
pub struct Built {
    pub app: App,
    pub seeded: Vec<crate::demo::SeededBusiness>,
}

/// Starts an instance: its log key (created for its origin on first start), its store
/// (checked against the log's signed checkpoint), its instance key, the demo data if asked,
/// and the background work that keeps it current ([`crate::watch`]). Writes drop `cache`.
pub async fn build(config: &Config, cache: Arc<dyn Invalidate>) -> Result<Built, BuildError> {
    let origin = config
        .log_origin
        .clone()
        .unwrap_or_else(|| tokens::log_origin(&config.base_url));
    let key_path = config.data_dir.join("log.key");
    // A log key that signed before, without its database: a new database would start a
    // second log under the same key, which no auditor could reconcile with the first.
    let url = config.database_url();
    if key_path.exists()
        && Backend::is_sqlite(&url)
        && let Ok(database) = store_sqlite::path_from_url(&url)
        && !database.exists()
    {
        return Err(BuildError::LogWithoutDatabase {
            key: key_path,
            database,
        });
    }
    // The same on PostgreSQL: a key that signed before, and a database with no log. (The
    // first server of a new instance creates the key; the others get a copy of it and find
    // the log the first one started.)
    if key_path.exists()
        && !Backend::is_sqlite(&url)
        && !store_postgres::PostgresStore::holds_a_log(&url)
            .await
            .map_err(|source| BuildError::Store {
                url: crate::backend::redacted(&url),
                source,
            })?
    {
        return Err(BuildError::LogWithoutPostgresLog {
            key: key_path,
            url: crate::backend::redacted(&url),
        });
    }
    let signer = tokens::load_or_create_log_key(&key_path, &origin).map_err(|source| {
        BuildError::LogKey {
            path: key_path.clone(),
            source,
        }
    })?;
    if signer.origin() != origin {
        if config.log_origin.is_some() {
            return Err(BuildError::LogRenamed {
                path: key_path,
                found: signer.origin().to_owned(),
                wanted: origin,
            });
        }
        tracing::warn!(
            log = signer.origin(),
            "the log keeps the name it was created with, not this base URL's"
        );
    }
    let mailer = config
        .mail
        .as_ref()
        .map(crate::mail::Mailer::new)
        .transpose()?;
    let vkey: Arc<str> = Arc::from(signer.verifier_key());
    let store = Backend::open(&url, Some(signer))
        .await
        .map_err(|source| BuildError::Store {
            url: crate::backend::redacted(&url),
            source,
        })?
        .store();
    let instance_key = instance_key(&config.data_dir)?;
    let seeded = if config.demo {
        crate::demo::seed(store.as_ref(), &instance_key, Utc::now())
            .await
            .map_err(BuildError::Demo)?
    } else {
        Vec::new()
    };
    let app = App::new(Inner {
        store,
        instance_key,
        base_url: config.base_url.clone(),
        log_verifier_key: Some(vkey),
        logins: Default::default(),
        hashing: Default::default(),
        limits: crate::limits::Limits::new(config.rate_limits),
        live: Default::default(),
        cache,
        mail: mailer.clone(),
    });
    crate::watch::spawn(app.clone());
    if let Some(mailer) = mailer {
        crate::mail::worker::spawn(app.clone(), mailer);
    }
    Ok(Built { app, seeded })
}

/// The instance key in the data directory, created (readable by its owner only) if missing.
pub fn instance_key(data_dir: &Path) -> Result<InstanceKey, BuildError> {
    let path = data_dir.join("instance.key");
    InstanceKey::load_or_create(&path).map_err(|source| BuildError::InstanceKey { path, source })
}
