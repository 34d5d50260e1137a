//! The embedded default backend: one SQLite file in WAL mode.
//!
//! Writes go through a single writer thread with group commit ([`writer`]); reads use a small
//! pool of read-only connections on Tokio's blocking threads. `synchronous = FULL`: a write is
//! acknowledged only after the WAL is synced, so it survives `kill -9` and power loss.

pub mod backup;
mod businesses;
mod dump;
mod invitation_figures;
mod invitations;
mod log;
mod log_cache;
mod migrations;
mod outbox;
mod reviews;
mod shops;
mod stats;
mod templates;
mod users;
mod write;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ids::ReviewId;
use ledger::note::LogSigner;
use ledger::tiles::TilePath;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};

use store::StoreError;
use writer::Writer;

/// The contract's result, which the trait's methods return.
type StoreResult<T> = store::Result<T>;

/// Prepared statements kept per connection. rusqlite keeps 16 by default; one submission
/// alone runs about twenty distinct statements on the writer (and the reads as many), so at
/// 16 the cache evicted what the next write needed and every write parsed its SQL again.
const STATEMENT_CACHE: usize = 128;

/// How long a connection waits for a lock held by another connection or process.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQLite backend.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    path: PathBuf,
    writer: Writer,
    readers: r2d2::Pool<SqliteConnectionManager>,
    /// The log's newest committed state, shared by the writer and the readers.
    log: Arc<log_cache::LogCache>,
}

/// Turns a `sqlite:` URL (`sqlite://data/passaparola.db`, `sqlite:///abs/path.db`,
/// `sqlite:relative.db`) or a plain path into a file path.
pub fn path_from_url(url: &str) -> StoreResult<PathBuf> {
    let path = if let Some(rest) = url.strip_prefix("sqlite://") {
        rest
    } else if let Some(rest) = url.strip_prefix("sqlite:") {
        rest
    } else if url.contains("://") {
        return Err(StoreError::Config(format!(
            "unsupported database URL scheme in {:?}: this build supports sqlite: only",
            url.split("://").next().unwrap_or_default()
        )));
    } else {
        url
    };
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Err(StoreError::Config(
            "the database must be a file (in-memory SQLite cannot be shared by the writer \
             and the readers)"
                .into(),
        ));
    }
    Ok(PathBuf::from(path))
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    ///
    /// With the log's `signer` (the server), it also checks the log against its latest
    /// signed checkpoint, refusing a mismatch, and signs a checkpoint after every batch of
    /// writes. Without it (the command line), writes still append their log entries, and the
    /// server's next checkpoint covers them.
    pub fn open(path: &Path, signer: Option<LogSigner>) -> StoreResult<Self> {
        Self::open_inner(path, signer).map_err(Into::into)
    }

    fn open_inner(path: &Path, signer: Option<LogSigner>) -> Result<Self> {
        create_private(path)?;
        let mut conn = Connection::open(path)
            .map_err(|e| StoreError::Config(format!("cannot open {}: {e}", path.display())))?;
        configure(&conn)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        migrations::apply(&mut conn)?;
        let cache = Arc::new(log_cache::LogCache::default());
        let before_commit = match signer {
            Some(signer) => {
                log::check(&conn, &signer)?;
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let logged = log::backfill(&tx)?;
                if logged > 0 {
                    tracing::info!(
                        entries = logged,
                        "logged the events recorded before the log"
                    );
                }
                log::seal(&tx, &cache, &signer, Utc::now())?;
                tx.commit()?;
                if let Some((size, signed)) = log::latest_checkpoint(&conn)? {
                    cache.saw_checkpoint(size, &signed);
                }
                let sealing = cache.clone();
                let hook: writer::BeforeCommit =
                    Box::new(move |c: &Connection| log::seal(c, &sealing, &signer, Utc::now()));
                Some(hook)
            }
            None => None,
        };
        let checkpointer = Connection::open(path)
            .map_err(|e| StoreError::Config(format!("cannot open {}: {e}", path.display())))?;
        configure(&checkpointer)?;
        let writer = Writer::start(conn, checkpointer, before_commit, cache.clone())
            .map_err(|e| StoreError::Backend(format!("cannot start the writer: {e}").into()))?;
        let manager = SqliteConnectionManager::file(path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .with_init(|c| {
                c.busy_timeout(BUSY_TIMEOUT)?;
                c.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                c.pragma_update(None, "foreign_keys", "ON")
            });
        let readers = r2d2::Pool::builder()
            .max_size(8)
            .min_idle(Some(1))
            .build(manager)
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        Ok(Self {
            path: path.to_owned(),
            writer,
            readers,
            log: cache,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version the database is at.
    pub async fn schema_version(&self) -> StoreResult<i64> {
        self.read(|c| Ok(c.pragma_query_value(None, "user_version", |r| r.get(0))?))
            .await
    }

    /// How many rows each table holds now (for a progress bar), in the order of
    /// [`store::dump::TABLES`].
    pub async fn row_counts(&self) -> store::Result<Vec<(store::dump::Table, u64)>> {
        self.read(dump::row_counts).await
    }

    /// Sends every row of every table, in the order of [`store::dump::TABLES`], in chunks
    /// of at most `chunk` rows (an empty table sends none), all read in one read
    /// transaction: one consistent snapshot, while a server may go on writing. Stops early
    /// (`Ok`) if the receiver is dropped. Refuses a database whose events are not all in
    /// its log yet, before sending anything.
    pub async fn export(
        &self,
        chunk: usize,
        to: tokio::sync::mpsc::Sender<store::dump::Rows>,
    ) -> store::Result<()> {
        self.read(move |c| dump::export(c, chunk, &to)).await
    }

    /// Runs a read on a pooled read-only connection, off the async threads.
    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let conn = pool.get().map_err(|e| StoreError::Backend(Box::new(e)))?;
            f(&conn).map_err(StoreError::from)
        })
        .await
        .map_err(|e| StoreError::Backend(Box::new(e)))?
    }
}

/// Creates the database file (and its folder) readable by its owner only, if it does not
/// exist: it holds customers' names and e-mail addresses. SQLite gives its WAL and shared
/// memory files the database file's permissions.
fn create_private(path: &Path) -> Result<()> {
    let failed = |what: &Path, e: std::io::Error| {
        StoreError::Config(format!("cannot create {}: {e}", what.display()))
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(|e| failed(dir, e))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(failed(path, e).into()),
    }
}

/// Settings every read-write connection needs.
fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Each write runs in a savepoint of its batch: keep the savepoints' journals in memory.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // 8 MiB of page cache (negative: in KiB): a batch's pages stay in memory, and the rest
    // comes from the OS's page cache. Larger costs the writer more: at every COMMIT SQLite
    // walks its page cache's whole hash table (`pcache1TruncateUnsafe`, 14% of the writer's
    // time at 64 MiB); measured side by side, 64 MiB took 128-132 µs of the writer per
    // submission, 8 MiB 113-114, 2 MiB 103-107 (BENCHMARKS.md, issue 12).
    conn.pragma_update(None, "cache_size", -8192)?;
    Ok(())
}

/// This backend's errors: the contract's own, or SQLite's (which the contract reports as
/// [`StoreError::Backend`]). A type of its own because the orphan rule forbids converting
/// `rusqlite::Error` into the contract's `StoreError` here, and `?` needs a conversion.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

impl From<domain::plan::Refusal> for Error {
    fn from(e: domain::plan::Refusal) -> Self {
        Error::Store(e.into())
    }
}

impl From<Error> for StoreError {
    fn from(e: Error) -> Self {
        match e {
            Error::Store(e) => e,
            Error::Sqlite(e) => StoreError::Backend(Box::new(e)),
        }
    }
}

/// The result of this backend's own functions; the contract's methods convert it.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

/// Milliseconds since the Unix epoch, the unit of every stored time.
pub(crate) fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(ms: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| StoreError::Backend(format!("stored time {ms} out of range").into()).into())
}

/// A stored value that no longer parses: the database was changed behind our back.
pub(crate) fn corrupt(what: &str, value: impl std::fmt::Display) -> Error {
    StoreError::Backend(format!("stored {what} \"{value}\" is invalid").into()).into()
}

pub(crate) fn parse_uuid(s: &str) -> Result<uuid::Uuid> {
    uuid::Uuid::try_parse(s).map_err(|_| corrupt("identifier", s))
}

#[async_trait]
impl store::Businesses for SqliteStore {
    async fn create_business(
        &self,
        new: domain::business::NewBusiness,
        api_key: domain::secret::TokenHash,
        at: DateTime<Utc>,
    ) -> StoreResult<store::Business> {
        self.writer
            .write(move |c, _| businesses::create(c, &new, &api_key, at))
            .await
    }

    async fn replace_api_keys(
        &self,
        slug: &domain::business::Slug,
        api_key: domain::secret::TokenHash,
        at: DateTime<Utc>,
    ) -> StoreResult<store::Business> {
        let slug = slug.as_str().to_owned();
        self.writer
            .write(move |c, _| businesses::replace_keys(c, &slug, &api_key, at))
            .await
    }

    async fn business_by_slug(&self, slug: &str) -> StoreResult<Option<store::Business>> {
        let slug = slug.to_owned();
        self.read(move |c| businesses::by_slug(c, &slug)).await
    }

    async fn search_businesses(
        &self,
        query: &str,
        limit: u32,
    ) -> StoreResult<Vec<store::Business>> {
        let query = query.to_owned();
        self.read(move |c| businesses::search(c, &query, limit))
            .await
    }

    async fn business_by_api_key(
        &self,
        api_key: domain::secret::TokenHash,
    ) -> StoreResult<Option<store::Business>> {
        self.read(move |c| businesses::by_api_key(c, &api_key))
            .await
    }

    async fn api_keys(
        &self,
        business: domain::ids::BusinessId,
    ) -> StoreResult<Vec<store::ApiKeyRecord>> {
        self.read(move |c| businesses::api_keys(c, business)).await
    }

    async fn add_api_key(
        &self,
        business: domain::ids::BusinessId,
        key: domain::secret::TokenHash,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.writer
            .write(move |c, _| businesses::add_api_key(c, business, &key, at))
            .await
    }

    async fn revoke_api_key(
        &self,
        business: domain::ids::BusinessId,
        id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let id = id.to_owned();
        self.writer
            .write(move |c, _| businesses::revoke_api_key(c, business, &id, at))
            .await
    }
}

#[async_trait]
impl store::People for SqliteStore {
    async fn create_user(
        &self,
        new: store::NewUser,
        password_hash: String,
        at: DateTime<Utc>,
    ) -> StoreResult<store::User> {
        self.writer
            .write(move |c, _| users::create(c, &new, &password_hash, at))
            .await
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<(store::User, String)>> {
        let email = email.to_owned();
        self.read(move |c| users::by_email(c, &email)).await
    }

    async fn find_user(&self, email: &str) -> StoreResult<Option<store::UserEntry>> {
        let email = email.to_owned();
        self.read(move |c| users::find(c, &email)).await
    }

    async fn users(&self, business: domain::ids::BusinessId) -> StoreResult<Vec<store::UserEntry>> {
        self.read(move |c| users::of_business(c, business)).await
    }

    async fn set_user_disabled(
        &self,
        user: uuid::Uuid,
        disabled: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.writer
            .write(move |c, _| users::set_disabled(c, user, disabled, at))
            .await
    }

    async fn set_password(&self, user: uuid::Uuid, password_hash: String) -> StoreResult<bool> {
        self.writer
            .write(move |c, _| users::set_password(c, user, &password_hash))
            .await
    }

    async fn end_sessions(&self, user: uuid::Uuid) -> StoreResult<u64> {
        self.writer
            .write(move |c, _| users::end_sessions(c, user))
            .await
    }

    async fn create_session(
        &self,
        token: domain::secret::TokenHash,
        user: uuid::Uuid,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.writer
            .write(move |c, _| users::create_session(c, &token, user, at, expires_at))
            .await
    }

    async fn session_user(
        &self,
        token: domain::secret::TokenHash,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<store::User>> {
        self.read(move |c| users::session_user(c, &token, now))
            .await
    }

    async fn delete_session(&self, token: domain::secret::TokenHash) -> StoreResult<()> {
        self.writer
            .write(move |c, _| users::delete_session(c, &token))
            .await
    }
}

#[async_trait]
impl store::Invitations for SqliteStore {
    async fn create_invitation(
        &self,
        business: domain::ids::BusinessId,
        id: domain::ids::InvitationId,
        invitation: domain::invitation::NewInvitation,
        token: domain::secret::TokenHash,
        mail: Option<store::NewMail>,
        at: DateTime<Utc>,
    ) -> StoreResult<store::InvitationWrite> {
        self.writer
            .write(move |c, fx| {
                let request = invitations::Request {
                    business,
                    id,
                    new: &invitation,
                    token: &token,
                    mail: mail.as_ref(),
                };
                invitations::create(c, &mut fx.cells, request, at)
            })
            .await
    }

    async fn invitation_by_id(
        &self,
        id: domain::ids::InvitationId,
    ) -> StoreResult<Option<store::Invitation>> {
        self.read(move |c| invitations::by_id(c, id)).await
    }

    async fn invitation_by_token(
        &self,
        token: domain::secret::TokenHash,
    ) -> StoreResult<Option<store::Invitation>> {
        self.read(move |c| invitations::by_token(c, &token)).await
    }

    async fn latest_invitations(
        &self,
        business: domain::ids::BusinessId,
        limit: u32,
    ) -> StoreResult<Vec<store::Invitation>> {
        self.read(move |c| invitations::latest(c, business, limit))
            .await
    }
}

#[async_trait]
impl store::Reviews for SqliteStore {
    async fn write_review(&self, command: store::ReviewCommand) -> StoreResult<store::ReviewWrite> {
        self.writer
            .write(move |c, fx| write::review(c, fx, command))
            .await
    }

    async fn review(&self, id: domain::ids::ReviewId) -> StoreResult<Option<store::Review>> {
        self.read(move |c| reviews::by_id(c, id)).await
    }

    async fn review_for_author(
        &self,
        id: domain::ids::ReviewId,
        edit_token: domain::secret::TokenHash,
    ) -> StoreResult<Option<store::Review>> {
        self.read(move |c| reviews::by_author(c, id, &edit_token))
            .await
    }

    async fn review_history(
        &self,
        id: domain::ids::ReviewId,
        page: store::HistoryPage,
    ) -> StoreResult<Option<Vec<store::ReviewEvent>>> {
        self.read(move |c| reviews::history(c, id, page)).await
    }

    async fn list_reviews(
        &self,
        business: domain::ids::BusinessId,
        query: store::ReviewQuery,
    ) -> StoreResult<Vec<store::Review>> {
        self.read(move |c| reviews::list(c, business, &query)).await
    }

    async fn ratings(
        &self,
        business: domain::ids::BusinessId,
    ) -> StoreResult<Vec<store::RatingRow>> {
        self.read(move |c| reviews::ratings(c, business)).await
    }

    async fn inbox(
        &self,
        business: domain::ids::BusinessId,
        limit: u32,
    ) -> StoreResult<Vec<store::Review>> {
        self.read(move |c| users::inbox(c, business, limit)).await
    }

    async fn answered(
        &self,
        business: domain::ids::BusinessId,
        limit: u32,
    ) -> StoreResult<Vec<store::Review>> {
        self.read(move |c| users::answered(c, business, limit))
            .await
    }

    async fn product_reviews(
        &self,
        business: domain::ids::BusinessId,
        sku: String,
        relationship: domain::invitation::Relationship,
        limit: u32,
    ) -> StoreResult<Vec<store::Review>> {
        self.read(move |c| reviews::of_product(c, business, &sku, relationship, limit))
            .await
    }
}

#[async_trait]
impl store::Figures for SqliteStore {
    async fn summary(
        &self,
        business: domain::ids::BusinessId,
        relationship: domain::invitation::Relationship,
    ) -> StoreResult<domain::summary::Summary> {
        self.read(move |c| reviews::summary(c, business, relationship))
            .await
    }

    async fn stats(
        &self,
        business: domain::ids::BusinessId,
        filter: store::StatsFilter,
        now: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<domain::stats::Figures> {
        self.read(move |c| stats::figures_of(c, business, &filter, now))
            .await
    }

    async fn products(
        &self,
        business: domain::ids::BusinessId,
        relationship: domain::invitation::Relationship,
    ) -> StoreResult<Vec<store::ProductSummary>> {
        self.read(move |c| stats::products(c, business, relationship))
            .await
    }

    async fn product(
        &self,
        business: domain::ids::BusinessId,
        sku: String,
    ) -> StoreResult<Option<store::ProductRecord>> {
        self.read(move |c| {
            use rusqlite::OptionalExtension;
            Ok(c.prepare_cached(
                "SELECT sku, name, url, image, gtin FROM products
                     WHERE business_id = ?1 AND sku = ?2",
            )?
            .query_row(rusqlite::params![business.to_string(), sku], |r| {
                Ok(store::ProductRecord {
                    sku: r.get(0)?,
                    name: r.get(1)?,
                    url: r.get(2)?,
                    image: r.get(3)?,
                    gtin: r.get(4)?,
                })
            })
            .optional()?)
        })
        .await
    }

    async fn trend(
        &self,
        business: domain::ids::BusinessId,
        filter: store::StatsFilter,
        grain: store::TrendGrain,
        points: usize,
        now: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<Vec<store::TrendPoint>> {
        self.read(move |c| stats::trend(c, business, &filter, grain, points, now))
            .await
    }
}

#[async_trait]
impl store::Log for SqliteStore {
    async fn log_checkpoint(&self) -> StoreResult<Option<Vec<u8>>> {
        self.read(|c| Ok(log::latest_checkpoint(c)?.map(|(_, signed)| signed)))
            .await
    }

    async fn log_tile(&self, path: TilePath) -> StoreResult<Option<Vec<u8>>> {
        self.read(move |c| log::tile(c, path)).await
    }

    async fn review_receipt(&self, id: ReviewId) -> StoreResult<Option<Vec<u8>>> {
        let cache = self.log.clone();
        self.read(move |c| log::receipt(c, &cache, id)).await
    }

    async fn log_receipt(&self, index: u64) -> StoreResult<Option<Vec<u8>>> {
        // A recent entry's receipt is built from memory, without the blocking pool.
        if let Some(receipt) = log::cached_receipt(&self.log, index) {
            return Ok(Some(receipt));
        }
        let cache = self.log.clone();
        self.read(move |c| {
            let tx = c.unchecked_transaction()?;
            let receipt = log::entry_receipt(&tx, &cache, index)?;
            tx.finish()?;
            Ok(receipt)
        })
        .await
    }

    async fn seal_log(&self) -> StoreResult<()> {
        // An empty write: its batch runs the sealing hook like any other.
        self.writer.write(|_, _| Ok(())).await
    }
}

#[async_trait]
impl store::Changes for SqliteStore {
    async fn changes_since(
        &self,
        since: Option<store::ChangeCursor>,
    ) -> StoreResult<(store::Changed, store::ChangeCursor)> {
        // The command line, the only other writer, needs no live news: slugs alone.
        let (slugs, cursor) = self
            .read(move |c| businesses::changes_since(c, since))
            .await?;
        let changed = store::Changed {
            slugs,
            events: Vec::new(),
        };
        Ok((changed, cursor))
    }
}

#[async_trait]
impl store::Health for SqliteStore {
    fn writer_running(&self) -> bool {
        self.writer.is_running()
    }

    async fn probe_write(&self, at: DateTime<Utc>) -> StoreResult<()> {
        self.writer
            .write(move |c, _| {
                c.prepare_cached(
                    "INSERT INTO health_probe (id, at) VALUES (1, ?1)
                     ON CONFLICT (id) DO UPDATE SET at = excluded.at",
                )?
                .execute([at.to_rfc3339()])?;
                Ok(())
            })
            .await
    }
}
