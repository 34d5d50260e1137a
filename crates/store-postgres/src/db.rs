//! What every query of this backend runs through: [`Db`], one small interface over a pooled
//! connection and a transaction, with prepared statements cached per connection; this
//! backend's error type; and the conversions of stored values.

use async_trait::async_trait;
use store::StoreError;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

/// A query's parameters.
pub(crate) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// A connection or a transaction. Hand-written rather than `deadpool_postgres::
/// GenericClient` because that trait's futures are not known to be `Send` behind a generic
/// parameter, which the contract's `async_trait` methods require; this one is object-safe,
/// so the modules take `&dyn Db`.
#[async_trait]
pub(crate) trait Db: Send + Sync {
    async fn query(&self, sql: &str, params: Params<'_>) -> Result<Vec<Row>>;
    async fn execute(&self, sql: &str, params: Params<'_>) -> Result<u64>;

    async fn query_opt(&self, sql: &str, params: Params<'_>) -> Result<Option<Row>> {
        let mut rows = self.query(sql, params).await?;
        match rows.len() {
            0 | 1 => Ok(rows.pop()),
            n => Err(StoreError::Backend(format!("{n} rows where one was expected").into()).into()),
        }
    }

    async fn query_one(&self, sql: &str, params: Params<'_>) -> Result<Row> {
        self.query_opt(sql, params)
            .await?
            .ok_or_else(|| StoreError::Backend("no row where one was expected".into()).into())
    }
}

#[async_trait]
impl Db for deadpool_postgres::Client {
    async fn query(&self, sql: &str, params: Params<'_>) -> Result<Vec<Row>> {
        let statement = self.prepare_cached(sql).await?;
        Ok(tokio_postgres::Client::query(self, &statement, params).await?)
    }

    async fn execute(&self, sql: &str, params: Params<'_>) -> Result<u64> {
        let statement = self.prepare_cached(sql).await?;
        Ok(tokio_postgres::Client::execute(self, &statement, params).await?)
    }
}

#[async_trait]
impl Db for deadpool_postgres::Transaction<'_> {
    async fn query(&self, sql: &str, params: Params<'_>) -> Result<Vec<Row>> {
        let statement = self.prepare_cached(sql).await?;
        Ok(tokio_postgres::Transaction::query(self, &statement, params).await?)
    }

    async fn execute(&self, sql: &str, params: Params<'_>) -> Result<u64> {
        let statement = self.prepare_cached(sql).await?;
        Ok(tokio_postgres::Transaction::execute(self, &statement, params).await?)
    }
}

/// This backend's errors: the contract's own, or the database's (which the contract reports
/// as [`StoreError::Backend`]). A type of its own because the orphan rule forbids converting
/// `tokio_postgres::Error` into the contract's `StoreError` here, and `?` needs a conversion.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
    #[error("no database connection: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
}

impl Error {
    /// Whether the transaction lost a race and may simply run again: a serialization
    /// failure or a deadlock, which PostgreSQL resolves by aborting one side.
    pub(crate) fn is_retryable(&self) -> bool {
        use tokio_postgres::error::SqlState;
        match self {
            Error::Postgres(e) => e.code().is_some_and(|c| {
                *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
            }),
            _ => false,
        }
    }
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
            Error::Postgres(e) => StoreError::Backend(Box::new(e)),
            Error::Pool(e) => StoreError::Backend(Box::new(e)),
        }
    }
}

/// The result of this backend's own functions; the contract's methods convert it.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

/// Milliseconds since the Unix epoch, the unit of every stored time (as in SQLite).
pub(crate) fn to_ms(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(ms: i64) -> Result<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| StoreError::Backend(format!("stored time {ms} out of range").into()).into())
}

/// A stored value that no longer parses: the database was changed behind our back.
pub(crate) fn corrupt(what: &str, value: impl std::fmt::Display) -> Error {
    StoreError::Backend(format!("stored {what} \"{value}\" is invalid").into()).into()
}

/// A stored 32-byte hash or salt.
pub(crate) fn bytes32(what: &str, bytes: Vec<u8>) -> Result<[u8; 32]> {
    bytes.try_into().map_err(|_| corrupt(what, "length"))
}
