//! Passaparola's use cases: what the API, the pages and the command line all run. A use case
//! parses nothing of HTTP and writes no SQL: it takes validated domain input, calls the
//! store through its contract, and carries out the write's side effects itself (dropping the
//! business's public cache, telling its open inboxes), so no caller can skip them.
//!
//! [`App`] is what every use case reaches; [`config::build`] makes it from a [`Config`],
//! for `passaparola serve` and for the tests alike. The storage backend is chosen once, from
//! the database URL ([`backend`]).

pub mod accounts;
pub mod backend;
pub mod backup;
pub mod config;
pub mod copy;
pub mod demo;
pub mod import;
pub mod invitations;
pub mod limits;
pub mod links;
pub mod live;
pub mod logins;
pub mod mail;
pub mod passwords;
pub mod people;
pub mod reviews;
pub mod shops;
pub mod templates;
pub mod tokens;
pub mod watch;

use std::sync::Arc;

use store::Store;
use url::Url;

pub use config::{Config, build};

/// What a write tells the public read cache: everything cached about a business may be
/// stale now. The HTTP layer's cache implements it; a write calls it before it answers, so
/// the next read is fresh.
pub trait Invalidate: Send + Sync + std::fmt::Debug + 'static {
    fn invalidate(&self, slug: &str);
}

/// What every use case reaches. Cheap to clone (one `Arc`); fields read through `Deref`.
#[derive(Debug, Clone)]
pub struct App(Arc<Inner>);

/// The fields of [`App`].
#[derive(Debug)]
pub struct Inner {
    pub store: Arc<dyn Store>,
    /// Derives invitation tokens (`DATA_DIR/instance.key`).
    pub instance_key: tokens::InstanceKey,
    /// Where the public reaches this instance; links start with it.
    pub base_url: Url,
    /// The log's verifier key, for auditors; `None` without a log signer (the command line).
    pub log_verifier_key: Option<Arc<str>>,
    /// Failed log-ins, to slow down password guessing.
    pub logins: logins::LoginLimiter,
    /// How many passwords are hashed at once.
    pub hashing: logins::HashingGate,
    /// Limits on writes, per credential and per client.
    pub limits: limits::Limits,
    /// News for the open inboxes.
    pub live: live::Live,
    /// The public read cache to drop on writes.
    pub cache: Arc<dyn Invalidate>,
    /// What sends e-mail; `None` without `--smtp-url` (then invitations send nothing).
    pub mail: Option<mail::Mailer>,
}

impl std::ops::Deref for App {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl App {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }

    /// An absolute link to `path` (which starts with `/`) on this instance.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.base_url.as_str().trim_end_matches('/'))
    }
}
