//! The PostgreSQL backend, for an instance that outgrows one machine: any number of
//! stateless servers share one database (PostgreSQL 15 or newer).
//!
//! Reads and writes borrow connections from a pool (`deadpool-postgres`); each write is one
//! transaction, retried when PostgreSQL aborts it to resolve a conflict. A review write
//! stores its history event with the commitment its log entry will carry; the log itself is
//! appended, and its checkpoints signed, by one server at a time, the sequencer
//! ([`sequencer`]), elected with an advisory lock. Every write announces what it changed with
//! `NOTIFY`, so that every server drops its cache and wakes its sequencer ([`listen`]).
//!
//! The business rules are `domain::plan`'s, as in the SQLite backend; only applying them
//! differs, so both backends commit the same log entries.

mod businesses;
pub mod connect;
mod db;
mod import;
mod invitations;
mod listen;
mod log;
mod migrations;
mod reviews;
mod sequencer;
mod stats;
pub mod testing;
mod users;
mod write;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use domain::ids::{BusinessId, ReviewId};
use ledger::note::LogSigner;
use ledger::tiles::TilePath;
use store::StoreError;

use db::{Error, Result};

/// The contract's result, which the trait's methods return.
type StoreResult<T> = store::Result<T>;

/// How many times a write that lost a race (a serialization failure, a deadlock) runs again.
const RETRIES: u32 = 5;

/// How long a review write waits for the sequencer to log its event before it answers
/// without a log index (the entry is logged all the same, a moment later).
const SEQUENCING_WAIT: Duration = Duration::from_secs(5);

/// The PostgreSQL backend.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: Pool,
    /// What other servers (and this one) announced.
    feed: Arc<listen::Feed>,
    /// The sequencer this server runs for its turn, if it holds the log's key.
    sequencer: Option<Arc<sequencer::Handle>>,
    /// This process, as its notifications name it.
    origin: uuid::Uuid,
    /// The database and its hosts, for the operator.
    described: String,
}

/// Runs `$body` in a transaction `$tx` on a pooled connection, commits it, and runs it
/// again (a few times) when PostgreSQL aborted it to resolve a conflict. A macro rather than
/// a function taking a closure: the body borrows the transaction, which a closure's future
/// could only do through boxed higher-ranked lifetimes.
macro_rules! transaction {
    ($store:expr, $tx:ident => $body:expr) => {{
        let mut attempt = 0;
        loop {
            let result: $crate::db::Result<_> = async {
                let mut client = $store.pool.get().await?;
                let $tx = client.transaction().await?;
                let value = $body;
                $tx.commit().await?;
                Ok(value)
            }
            .await;
            match result {
                Err(e) if e.is_retryable() && attempt < $crate::RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(
                        rand::random_range(1..20u64) << attempt,
                    ))
                    .await;
                }
                other => break other.map_err(store::StoreError::from),
            }
        }
    }};
}

impl PostgresStore {
    /// Connects to the database `url` names and brings its schema up to date.
    ///
    /// With the log's `signer` (a server), it listens to the other servers' notifications
    /// and takes its turn as the log's sequencer. Without it (the command line), writes still
    /// record their events, and the sequencer logs them.
    pub async fn open(url: &str, signer: Option<LogSigner>) -> StoreResult<Self> {
        let target = connect::parse(url)?;
        let described = target.describe();
        let pool = connect::pool(&target)?;
        {
            let mut client = pool.get().await.map_err(|e| {
                let why = match &e {
                    // The pool's message hides the client's causes (a refused certificate).
                    deadpool_postgres::PoolError::Backend(e) => connect::causes(e),
                    other => connect::causes(other),
                };
                StoreError::Config(format!("cannot connect to the database: {why}"))
            })?;
            migrations::apply(&mut client).await?;
        }
        let origin = uuid::Uuid::now_v7();
        let (feed, catch_ups) = listen::Feed::new(origin);
        let feed = Arc::new(feed);
        listen::spawn(target.clone(), feed.clone(), catch_ups);
        let sequencer = match signer {
            Some(signer) => {
                Some(sequencer::spawn(target, pool.clone(), signer, feed.clone()).await?)
            }
            None => None,
        };
        Ok(Self {
            pool,
            feed,
            sequencer,
            origin,
            described,
        })
    }

    /// Whether the database `url` names holds a log (a signed checkpoint): `false` for a new
    /// or empty database. For the start-up's check that a log key that signed before is not
    /// used to start a second log.
    pub async fn holds_a_log(url: &str) -> StoreResult<bool> {
        let target = connect::parse(url)?;
        let (client, connection) =
            target
                .config
                .connect(target.tls.clone())
                .await
                .map_err(|e| {
                    StoreError::Config(format!(
                        "cannot connect to the database: {}",
                        connect::causes(&e)
                    ))
                })?;
        let driver = tokio::spawn(connection);
        let has_table: bool = client
            .query_one("SELECT to_regclass('log_checkpoints') IS NOT NULL", &[])
            .await
            .map_err(Error::from)?
            .get(0);
        let holds = if has_table {
            client
                .query_one("SELECT EXISTS (SELECT 1 FROM log_checkpoints)", &[])
                .await
                .map_err(Error::from)?
                .get(0)
        } else {
            false
        };
        drop(client);
        let _ = driver.await;
        Ok(holds)
    }

    /// The schema version the database is at.
    pub async fn schema_version(&self) -> StoreResult<i64> {
        let client = self.pool.get().await.map_err(Error::from)?;
        Ok(migrations::version(&client).await?)
    }

    /// Where the data lives, without the password.
    pub fn describe(&self) -> &str {
        &self.described
    }

    /// Imports a whole instance into this database, which must hold none (no business, no
    /// user, no review event, no log entry): refused with `StoreError::Config` naming what it
    /// holds otherwise. Everything in ONE transaction, so an interrupted copy leaves the target
    /// empty and can simply run again. `progress(table, rows)` is called after each chunk with
    /// the number of rows of that chunk. Returns the number of rows imported.
    ///
    /// The chunks come table by table in the order of `store::dump::TABLES`. The end of the
    /// channel commits: a caller whose source fails must drop this future rather than the
    /// channel's last sender.
    pub async fn import(
        &self,
        from: tokio::sync::mpsc::Receiver<store::dump::Rows>,
        progress: &(dyn Fn(store::dump::Table, u64) + Send + Sync),
    ) -> StoreResult<u64> {
        Ok(import::import(&self.pool, from, progress).await?)
    }

    /// Whether this server sequences the log now (it holds the sequencer's lock).
    pub fn sequences_the_log(&self) -> bool {
        self.sequencer.as_ref().is_some_and(|s| s.is_leading())
    }

    /// A pooled connection, for a read.
    async fn client(&self) -> Result<deadpool_postgres::Client> {
        Ok(self.pool.get().await?)
    }

    /// Waits until the sequencer has logged the event `seq`; its log index, or `None` if
    /// this store logs nothing itself (the command line) or the wait timed out.
    async fn logged(&self, seq: i64) -> Result<Option<u64>> {
        // Only a server waits: the command line's events are logged by the server that
        // sequences, later.
        if self.sequencer.is_none() {
            return Ok(None);
        }
        let mut logged = self.feed.logged();
        let deadline = tokio::time::Instant::now() + SEQUENCING_WAIT;
        loop {
            let client = self.pool.get().await?;
            if let Some(index) = write::log_index_of(&client, seq).await? {
                return Ok(Some(index));
            }
            drop(client);
            if let Some(s) = &self.sequencer {
                s.wake();
            }
            match tokio::time::timeout_at(deadline, logged.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return Ok(None),
            }
        }
    }
}

/// A pooled connection for a read, converted to the contract's error.
macro_rules! client {
    ($store:expr) => {
        $store.client().await?
    };
}

// After the macros above, which they use.
mod invitation_figures;
mod outbox;
mod shops;
mod templates;

#[async_trait]
impl store::Businesses for PostgresStore {
    async fn create_business(
        &self,
        new: domain::business::NewBusiness,
        api_key: domain::secret::TokenHash,
        at: DateTime<Utc>,
    ) -> StoreResult<store::Business> {
        transaction!(self, tx => businesses::create(&tx, &new, &api_key, at).await?)
    }

    async fn replace_api_keys(
        &self,
        slug: &domain::business::Slug,
        api_key: domain::secret::TokenHash,
        at: DateTime<Utc>,
    ) -> StoreResult<store::Business> {
        transaction!(self, tx => businesses::replace_keys(&tx, slug.as_str(), &api_key, at).await?)
    }

    async fn business_by_slug(&self, slug: &str) -> StoreResult<Option<store::Business>> {
        Ok(businesses::by_slug(&client!(self), slug).await?)
    }

    async fn search_businesses(
        &self,
        query: &str,
        limit: u32,
    ) -> StoreResult<Vec<store::Business>> {
        Ok(businesses::search(&client!(self), query, limit).await?)
    }

    async fn business_by_api_key(
        &self,
        api_key: domain::secret::TokenHash,
    ) -> StoreResult<Option<store::Business>> {
        Ok(businesses::by_api_key(&client!(self), &api_key).await?)
    }

    async fn api_keys(&self, business: BusinessId) -> StoreResult<Vec<store::ApiKeyRecord>> {
        Ok(businesses::api_keys(&client!(self), business).await?)
    }

    async fn add_api_key(
        &self,
        business: BusinessId,
        key: domain::secret::TokenHash,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        transaction!(self, tx => businesses::add_api_key(&tx, business, &key, at).await?)
    }

    async fn revoke_api_key(
        &self,
        business: BusinessId,
        id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        transaction!(self, tx => businesses::revoke_api_key(&tx, business, id, at).await?)
    }
}

#[async_trait]
impl store::People for PostgresStore {
    async fn create_user(
        &self,
        new: store::NewUser,
        password_hash: String,
        at: DateTime<Utc>,
    ) -> StoreResult<store::User> {
        transaction!(self, tx => users::create(&tx, &new, &password_hash, at).await?)
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<(store::User, String)>> {
        Ok(users::by_email(&client!(self), email).await?)
    }

    async fn find_user(&self, email: &str) -> StoreResult<Option<store::UserEntry>> {
        Ok(users::find(&client!(self), email).await?)
    }

    async fn users(&self, business: BusinessId) -> StoreResult<Vec<store::UserEntry>> {
        Ok(users::of_business(&client!(self), business).await?)
    }

    async fn set_user_disabled(
        &self,
        user: uuid::Uuid,
        disabled: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        transaction!(self, tx => users::set_disabled(&tx, user, disabled, at).await?)
    }

    async fn set_password(&self, user: uuid::Uuid, password_hash: String) -> StoreResult<bool> {
        transaction!(self, tx => users::set_password(&tx, user, &password_hash).await?)
    }

    async fn end_sessions(&self, user: uuid::Uuid) -> StoreResult<u64> {
        transaction!(self, tx => users::end_sessions(&tx, user).await?)
    }

    async fn create_session(
        &self,
        token: domain::secret::TokenHash,
        user: uuid::Uuid,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        transaction!(self, tx => users::create_session(&tx, &token, user, at, expires_at).await?)
    }

    async fn session_user(
        &self,
        token: domain::secret::TokenHash,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<store::User>> {
        Ok(users::session_user(&client!(self), &token, now).await?)
    }

    async fn delete_session(&self, token: domain::secret::TokenHash) -> StoreResult<()> {
        transaction!(self, tx => users::delete_session(&tx, &token).await?)
    }
}

#[async_trait]
impl store::Invitations for PostgresStore {
    async fn create_invitation(
        &self,
        business: BusinessId,
        id: domain::ids::InvitationId,
        invitation: domain::invitation::NewInvitation,
        token: domain::secret::TokenHash,
        mail: Option<store::NewMail>,
        at: DateTime<Utc>,
    ) -> StoreResult<store::InvitationWrite> {
        let origin = self.origin;
        transaction!(self, tx => {
            let request = invitations::Request {
                business,
                id,
                new: &invitation,
                token: &token,
                mail: mail.as_ref(),
            };
            invitations::create(&tx, origin, request, at).await?
        })
    }

    async fn invitation_by_id(
        &self,
        id: domain::ids::InvitationId,
    ) -> StoreResult<Option<store::Invitation>> {
        Ok(invitations::by_id(&client!(self), id).await?)
    }

    async fn invitation_by_token(
        &self,
        token: domain::secret::TokenHash,
    ) -> StoreResult<Option<store::Invitation>> {
        Ok(invitations::by_token(&client!(self), &token).await?)
    }

    async fn latest_invitations(
        &self,
        business: BusinessId,
        limit: u32,
    ) -> StoreResult<Vec<store::Invitation>> {
        Ok(invitations::latest(&client!(self), business, limit).await?)
    }
}

#[async_trait]
impl store::Reviews for PostgresStore {
    async fn write_review(&self, command: store::ReviewCommand) -> StoreResult<store::ReviewWrite> {
        let origin = self.origin;
        let (mut written, event) =
            transaction!(self, tx => write::review(&tx, origin, &command).await?)?;
        if let Some(seq) = event {
            if let Some(s) = &self.sequencer {
                s.wake();
            }
            if let Some(index) = self.logged(seq).await? {
                written.review.log_index = Some(index);
            }
        }
        Ok(written)
    }

    async fn review(&self, id: ReviewId) -> StoreResult<Option<store::Review>> {
        Ok(reviews::by_id(&client!(self), id).await?)
    }

    async fn review_for_author(
        &self,
        id: ReviewId,
        edit_token: domain::secret::TokenHash,
    ) -> StoreResult<Option<store::Review>> {
        Ok(reviews::by_author(&client!(self), id, &edit_token).await?)
    }

    async fn review_history(
        &self,
        id: ReviewId,
        page: store::HistoryPage,
    ) -> StoreResult<Option<Vec<store::ReviewEvent>>> {
        Ok(reviews::history(&client!(self), id, page).await?)
    }

    async fn list_reviews(
        &self,
        business: BusinessId,
        query: store::ReviewQuery,
    ) -> StoreResult<Vec<store::Review>> {
        Ok(reviews::list(&client!(self), business, &query).await?)
    }

    async fn ratings(&self, business: BusinessId) -> StoreResult<Vec<store::RatingRow>> {
        Ok(reviews::ratings(&client!(self), business).await?)
    }

    async fn inbox(&self, business: BusinessId, limit: u32) -> StoreResult<Vec<store::Review>> {
        Ok(reviews::inbox(&client!(self), business, limit).await?)
    }

    async fn answered(&self, business: BusinessId, limit: u32) -> StoreResult<Vec<store::Review>> {
        Ok(reviews::answered(&client!(self), business, limit).await?)
    }

    async fn product_reviews(
        &self,
        business: BusinessId,
        sku: String,
        relationship: domain::invitation::Relationship,
        limit: u32,
    ) -> StoreResult<Vec<store::Review>> {
        Ok(reviews::of_product(&client!(self), business, &sku, relationship, limit).await?)
    }
}

#[async_trait]
impl store::Figures for PostgresStore {
    async fn summary(
        &self,
        business: BusinessId,
        relationship: domain::invitation::Relationship,
    ) -> StoreResult<domain::summary::Summary> {
        Ok(stats::summary(&mut client!(self), business, relationship).await?)
    }

    async fn stats(
        &self,
        business: BusinessId,
        filter: store::StatsFilter,
        now: DateTime<Utc>,
    ) -> StoreResult<domain::stats::Figures> {
        Ok(stats::figures_of(&client!(self), business, &filter, now).await?)
    }

    async fn products(
        &self,
        business: BusinessId,
        relationship: domain::invitation::Relationship,
    ) -> StoreResult<Vec<store::ProductSummary>> {
        Ok(stats::products(&client!(self), business, relationship).await?)
    }

    async fn product(
        &self,
        business: BusinessId,
        sku: String,
    ) -> StoreResult<Option<store::ProductRecord>> {
        Ok(stats::product(&client!(self), business, &sku).await?)
    }

    async fn trend(
        &self,
        business: BusinessId,
        filter: store::StatsFilter,
        grain: store::TrendGrain,
        points: usize,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<store::TrendPoint>> {
        Ok(stats::trend(&client!(self), business, &filter, grain, points, now).await?)
    }
}

#[async_trait]
impl store::Log for PostgresStore {
    async fn log_checkpoint(&self) -> StoreResult<Option<Vec<u8>>> {
        Ok(log::latest_checkpoint(&client!(self))
            .await?
            .map(|(_, signed)| signed))
    }

    async fn log_tile(&self, path: TilePath) -> StoreResult<Option<Vec<u8>>> {
        Ok(log::tile(&client!(self), path).await?)
    }

    async fn review_receipt(&self, id: ReviewId) -> StoreResult<Option<Vec<u8>>> {
        Ok(log::review_receipt(&mut client!(self), id).await?)
    }

    async fn log_receipt(&self, index: u64) -> StoreResult<Option<Vec<u8>>> {
        Ok(log::entry_receipt(&mut client!(self), index).await?)
    }

    async fn seal_log(&self) -> StoreResult<()> {
        // The sequencer seals every batch it logs. Here (the watch every 2 s, and a server
        // stopping) it only hurries it, and a sequencer waits until no event waits.
        let Some(s) = self.sequencer.as_ref().filter(|s| s.is_leading()) else {
            return Ok(());
        };
        let mut logged = self.feed.logged();
        let deadline = tokio::time::Instant::now() + SEQUENCING_WAIT;
        loop {
            if !write::any_waiting(&self.client().await?).await? {
                return Ok(());
            }
            s.wake();
            if tokio::time::timeout_at(deadline, logged.changed())
                .await
                .is_err()
            {
                return Err(StoreError::Backend(
                    "events still wait for the log after 5 s".into(),
                ));
            }
        }
    }
}

#[async_trait]
impl store::Changes for PostgresStore {
    async fn changes_since(
        &self,
        since: Option<store::ChangeCursor>,
    ) -> StoreResult<(store::Changed, store::ChangeCursor)> {
        self.feed.catch_up().await;
        let (slugs, events, cursor) = self.feed.since(since);
        let slugs = match slugs {
            Some(slugs) => slugs,
            // Some news may have been missed: every business, to be sure.
            None => businesses::all_slugs(&client!(self)).await?,
        };
        Ok((store::Changed { slugs, events }, cursor))
    }
}

#[async_trait]
impl store::Health for PostgresStore {
    fn writer_running(&self) -> bool {
        !self.pool.is_closed() && self.sequencer.as_ref().is_none_or(|s| s.is_running())
    }

    async fn probe_write(&self, at: DateTime<Utc>) -> StoreResult<()> {
        transaction!(self, tx => {
            db::Db::execute(
                &tx,
                "INSERT INTO health_probe (id, at) VALUES (1, $1)
                 ON CONFLICT (id) DO UPDATE SET at = excluded.at",
                &[&at.to_rfc3339()],
            )
            .await?;
        })
    }
}
